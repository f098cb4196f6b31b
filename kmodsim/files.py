"""An open file of a user program: system calls on it enter the kernel one at a time.

An open file outlives the kernel entry that made it: between calls it is kept pickled, with
its position and private_data, and thawed in the next entry.
"""

from __future__ import annotations

import pickle
from types import TracebackType
from typing import TYPE_CHECKING

from kmodsim.kernel import fs
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.procfs import O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY
from kmodsim.store import load_blob

if TYPE_CHECKING:
    from kmodsim.machine import Machine

BUFSIZE = 8192  # what Python's own buffered files ask read(2) for


class ProcFile:
    def __init__(self, machine: Machine, path: str, mode: str = "r",
                 nonblock: bool = False) -> None:
        self._machine = machine
        self.name = path
        self._binary = "b" in mode
        plus = "+" in mode
        flags = O_RDWR if plus else O_WRONLY if mode[0] in "wa" else O_RDONLY
        if nonblock:  # O_NONBLOCK: a handler that would sleep returns -EAGAIN instead
            flags |= O_NONBLOCK
        self._path = fs.normalize(path)
        self._buffer = b""
        self.closed = False
        with machine._kernel() as k:
            of = fs.open_file(k, self._path, flags)
            self._frozen = self._freeze(of)

    # An open file outlives the kernel entry that made it: keep it pickled in between.
    @staticmethod
    def _freeze(of: fs.OpenFile) -> tuple:
        return (of.path, of.lm.name if of.lm else None, pickle.dumps((of.pde, of.filp)),
                of.builtin, of.pos)

    @staticmethod
    def _thaw(k: Kernel, frozen: tuple) -> fs.OpenFile:
        path, owner, blob, builtin, pos = frozen
        lm = k.module(owner) if owner else None
        pde, filp = load_blob(blob)  # type: ignore[misc]
        return fs.OpenFile(path, pde, lm, filp, builtin, pos)

    def _syscall(self, op: str, arg: object = None) -> object:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        with self._machine._kernel() as k:
            of = self._thaw(k, self._frozen)
            if op == "read":
                result: object = fs.read(k, of, arg)  # type: ignore[arg-type]
            elif op == "write":
                result = fs.write(k, of, arg)  # type: ignore[arg-type]
            else:
                fs.release(k, of)
                result = None
            self._frozen = self._freeze(of)
        return result

    def _out(self, data: bytes) -> str | bytes:
        return data if self._binary else data.decode("utf-8", "replace")

    def _fill(self) -> bool:
        chunk = self._syscall("read", BUFSIZE)
        self._buffer += chunk  # type: ignore[operator]
        return bool(chunk)

    def read(self, size: int = -1) -> str | bytes:
        while (size < 0 or len(self._buffer) < size) and self._fill():
            pass
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return self._out(data)

    def read1(self, size: int = BUFSIZE) -> bytes:
        """One read(2) of up to `size` bytes (what cat does), past anything buffered."""
        if self._buffer:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
            return data
        return self._syscall("read", size)  # type: ignore[return-value]

    def readline(self) -> str | bytes:
        while b"\n" not in self._buffer and self._fill():
            pass
        cut = self._buffer.find(b"\n") + 1 or len(self._buffer)
        data, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return self._out(data)

    def __iter__(self) -> ProcFile:
        return self

    def __next__(self) -> str | bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def write(self, data: str | bytes) -> int:
        raw = data.encode() if isinstance(data, str) else bytes(data)
        done = 0
        while done < len(raw):
            n = self._syscall("write", raw[done:])
            if not n:
                break
            done += n  # type: ignore[operator]
        return len(data) if done == len(raw) else done

    def close(self) -> None:
        if not self.closed:
            self._syscall("release")
            self.closed = True

    def __enter__(self) -> ProcFile:
        return self

    def __exit__(self, t: type | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
