"""An open file of a user program (any simulated path: /proc, /dev, /sys, debugfs): system
calls on it (read, write, lseek, ioctl, close) enter the kernel one at a time.

An open file outlives the kernel entry that made it. A file of a module's is kernel memory:
its struct file (position, private_data) and inode are kept with the module's memory, so that
`file.private_data = dev` is the module's own `dev` in every later call, whatever other tasks
did to it meanwhile, and an entry that is undone undoes what it did to the file. A file of
the kernel's own (/proc/modules) is kept pickled by the program between calls.
"""

from __future__ import annotations

import _pickle as pickle  # the C pickler alone: `pickle` adds a Python one (1 ms of start-up)
from types import TracebackType
from typing import TYPE_CHECKING

from kmodsim.errors import ProcError
from kmodsim.kernel import fs
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.errno import EBADF
from kmodsim.kernel.fs import FILES
from kmodsim.kernel.vfs import (
    O_APPEND,
    O_CREAT,
    O_NONBLOCK,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    SEEK_CUR,
)
from kmodsim.store import load_blob

if TYPE_CHECKING:
    from kmodsim.machine import Machine

BUFSIZE = 8192  # what Python's own buffered files ask read(2) for


class SimulatedFile:
    """Like a file object of the built-in open(), over a file of the simulated machine.
    `name` is the path as given; a relative one is under /proc (`counter`: /proc/counter)."""

    def __init__(self, machine: Machine, path: str, mode: str = "r",
                 nonblock: bool = False) -> None:
        self._machine = machine
        self.name = path
        self._binary = "b" in mode
        plus = "+" in mode
        flags = O_RDWR if plus else O_WRONLY if mode[0] in "wa" else O_RDONLY
        if mode[0] == "w":  # as C's fopen() asks open(2)
            flags |= O_CREAT | O_TRUNC
        elif mode[0] == "a":
            flags |= O_CREAT | O_APPEND
        if nonblock:  # O_NONBLOCK: a handler that would sleep returns -EAGAIN instead
            flags |= O_NONBLOCK
        self._path = fs.normalize(path)
        self._buffer = b""
        self.closed = False
        with machine._kernel() as k:
            of = fs.open_file(k, self._path, flags)
            frozen = self._freeze(of)
        self._frozen = frozen

    def _freeze(self, of: fs.OpenFile) -> tuple:
        """(path, module, key) of a module's file, kept among its FILES (fs.open_file put
        it there); (path, None, pickled file) of the kernel's own, which the program keeps."""
        if of.lm is None:
            return of.path, None, pickle.dumps((of.node, of.filp))
        of.lm.dirty = True  # the file (its position) is saved with the module's memory
        return of.path, of.lm.name, of.key

    def _thaw(self, k: Kernel, frozen: tuple) -> fs.OpenFile:
        path, owner, kept = frozen
        if owner is None:
            node, filp = load_blob(kept)  # type: ignore[misc]
            return fs.OpenFile(path, node, None, filp)
        try:
            lm = k.module(owner)
            node, filp = lm.objects_of(FILES)[kept]
        except KeyError:  # rmmod -f, or a reboot, while the file was open
            raise ProcError(path, EBADF, [f"kmod: {path}: its module {owner} was removed (or "
                                          f"the machine rebooted) while the file was open"]
                            ) from None
        return fs.OpenFile(path, node, lm, filp, kept)

    def _syscall(self, op: str, arg: object = None) -> object:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        with self._machine._kernel() as k:
            of = self._thaw(k, self._frozen)
            if op == "read":
                result: object = fs.read(k, of, arg)  # type: ignore[arg-type]
            elif op == "write":
                result = fs.write(k, of, arg)  # type: ignore[arg-type]
            elif op == "llseek":
                result = fs.llseek(k, of, *arg)  # type: ignore[misc]
            elif op == "ioctl":
                result = fs.ioctl(k, of, *arg)  # type: ignore[misc]
            elif op == "poll":
                result = fs.poll(k, of, *arg)  # type: ignore[misc]
            frozen = self._freeze(of)
        self._frozen = frozen  # (an entry undone leaves the file as it was before it)
        return result

    def _release(self) -> None:
        """close(2): the release hook, and the file is no more, whatever the hook does."""
        with self._machine._kernel() as k:
            try:
                of = self._thaw(k, self._frozen)
            except ProcError:
                return  # its module is gone, and the file with it
            fs.release(k, of)  # which takes it from its module's FILES, whatever the hook does

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

    def seek(self, offset: int, whence: int = 0) -> int:
        """lseek(2) through the file's llseek (ESPIPE, as ProcError, if it can't seek)."""
        if whence == SEEK_CUR:  # from where the reader is, not where read-ahead got to
            offset -= len(self._buffer)
        pos = self._syscall("llseek", (offset, whence))
        self._buffer = b""
        return pos  # type: ignore[return-value]

    def tell(self) -> int:
        return self.seek(0, SEEK_CUR)

    def poll(self, events: int = 0x1 | 0x40, timeout: float | None = None) -> int:
        """poll(2) on this file alone: the events ready (default: POLLIN | POLLRDNORM),
        waiting up to `timeout` seconds (None: until some are; 0: not at all); 0 if none
        came in time. The module's poll handler says what is ready."""
        if self._buffer and events & 0x1:
            return 0x1 | 0x40  # read ahead already: a read won't block
        return self._syscall("poll", (events, timeout))  # type: ignore[return-value]

    def ioctl(self, cmd: int, arg: int | bytes | bytearray = 0) -> int:
        """ioctl(2): the handler's return value (ProcError for -errno: ENOTTY if the file
        has no ioctl or the command is unknown). `arg` is a number, or a buffer the handler
        reaches as a user pointer (copy_from_user/copy_to_user); a bytearray gets what the
        handler wrote."""
        ret, buffer = self._syscall("ioctl", (cmd, arg))  # type: ignore[misc]
        if isinstance(arg, bytearray) and buffer is not None:
            arg[:] = buffer
        return ret  # type: ignore[no-any-return]

    def __iter__(self) -> SimulatedFile:
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
            self.closed = True  # as close(2): the descriptor is gone even if release fails
            self._release()

    def __enter__(self) -> SimulatedFile:
        return self

    def __exit__(self, t: type | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


ProcFile = SimulatedFile  # its name when it opened only /proc files
