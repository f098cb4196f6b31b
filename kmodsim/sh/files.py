"""Where a path leads in `kmod sh`: /proc and /sys are the simulated machine's; every other
path is the host's, so `cat hello.c` and `> /dev/null` work as they always do.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING, BinaryIO, Protocol

from kmodsim.errors import KmodError, ProcError

if TYPE_CHECKING:
    from kmodsim.machine import Machine

SIMULATED_TREES = ("/proc", "/sys")


class Reader(Protocol):
    def read1(self, size: int) -> bytes: ...
    def close(self) -> None: ...


class Writer(Protocol):
    def write(self, data: bytes) -> int: ...
    def close(self) -> None: ...


class FileError(Exception):
    """open/read/write failed with `errno` (a ProcError's, or the host's)."""

    def __init__(self, err: int, lines: list[str] | None = None) -> None:
        super().__init__(err)
        self.errno = err
        self.lines = lines or []  # kmodsim's own explanation, if any


def absolute(path: str) -> str:
    return os.path.normpath(os.path.join(os.getcwd(), path))


def is_simulated(path: str) -> bool:
    full = absolute(path)
    return any(full == tree or full.startswith(tree + "/") for tree in SIMULATED_TREES)


def _proc_error(e: KmodError) -> FileError:
    if isinstance(e, ProcError):
        return FileError(e.errno, e.lines[1:])
    raise e


class _HostFile:
    def __init__(self, f: BinaryIO) -> None:
        self.f = f

    def read1(self, size: int) -> bytes:
        try:
            return self.f.read1(size)  # type: ignore[attr-defined]
        except OSError as e:
            raise FileError(e.errno or errno.EIO) from None

    def write(self, data: bytes) -> int:
        try:
            self.f.write(data)
            self.f.flush()
        except OSError as e:
            raise FileError(e.errno or errno.EIO) from None
        return len(data)

    def close(self) -> None:
        try:
            self.f.close()
        except OSError:
            pass


class _SimFile:
    """A /proc file open in the simulated machine: each read1/write is one system call."""

    def __init__(self, f: object) -> None:
        self.f = f

    def read1(self, size: int) -> bytes:
        try:
            return self.f.read1(size)  # type: ignore[attr-defined, no-any-return]
        except KmodError as e:
            raise _proc_error(e) from None

    def write(self, data: bytes) -> int:
        try:
            n = self.f.write(data)  # type: ignore[attr-defined]
        except KmodError as e:
            raise _proc_error(e) from None
        return int(n)

    def close(self) -> None:
        try:
            self.f.close()  # type: ignore[attr-defined]
        except KmodError as e:
            raise _proc_error(e) from None


def open_file(machine: Machine, path: str, mode: str) -> Reader | Writer:
    """Open for reading ("rb"), writing ("wb") or appending ("ab"); FileError if it can't."""
    if is_simulated(path):
        full = absolute(path)
        if not full.startswith("/proc/"):
            raise FileError(errno.ENOENT)
        try:
            return _SimFile(machine.open(full, "rb" if mode == "rb" else "wb"))
        except KmodError as e:
            raise _proc_error(e) from None
    try:
        return _HostFile(open(path, mode))  # noqa: SIM115 - closed by the caller
    except OSError as e:
        raise FileError(e.errno or errno.EIO) from None


def list_dir(machine: Machine, path: str) -> list[str]:
    """The names in a simulated folder, as `ls` lists them."""
    full = absolute(path)
    below = full[len("/proc/"):] if full.startswith("/proc/") else ""
    if not full.startswith("/proc"):
        raise FileError(errno.ENOENT)
    names = set()
    for entry in machine.proc_list():
        if below and not entry.startswith(below + "/"):
            if entry == below:
                return [os.path.basename(full)]
            continue
        rest = entry[len(below) + 1:] if below else entry
        names.add(rest.split("/", 1)[0])
    if below and not names:
        raise FileError(errno.ENOENT)
    return sorted(names)


def is_dir(machine: Machine, path: str) -> bool:
    full = absolute(path)
    if full in ("/proc", "/proc/sys", "/proc/sys/kernel"):
        return True
    below = full[len("/proc/"):]
    return any(entry.startswith(below + "/") for entry in machine.proc_list())
