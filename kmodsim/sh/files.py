"""Where a path leads in `kmod sh`: /proc and /sys (with /sys/kernel/debug) are the simulated
machine's; so is a /dev node the simulated machine has (a module's device), and /dev itself
for `ls`. Every other path is the host's, so `cat hello.c` and `> /dev/null` work as they
always do (unless a module made a /dev/null of its own).
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING, BinaryIO, Protocol

from kmodsim.errors import KmodError, ProcError

if TYPE_CHECKING:
    from kmodsim.machine import Machine

SIMULATED_TREES = ("/proc", "/sys")  # wholly the simulated machine's
SHARED_TREES = ("/dev",)  # the simulated machine's where it has the node, else the host's


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


def _under(full: str, trees: tuple[str, ...]) -> bool:
    return any(full == tree or full.startswith(tree + "/") for tree in trees)


def is_simulated(path: str, machine: Machine | None = None) -> bool:
    """Whether `path` is the simulated machine's (a /dev path only if `machine` has it)."""
    full = absolute(path)
    if _under(full, SIMULATED_TREES):
        return True
    if machine is not None and _under(full, SHARED_TREES):
        try:
            return machine.stat(full) is not None
        except KmodError:
            return False
    return False


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
    if is_simulated(path, machine):
        try:
            return _SimFile(machine.open(absolute(path), mode))
        except KmodError as e:
            raise _proc_error(e) from None
    try:
        return _HostFile(open(path, mode))  # noqa: SIM115 - closed by the caller
    except OSError as e:
        raise FileError(e.errno or errno.EIO) from None


def list_dir(machine: Machine, path: str) -> list[str]:
    """The names in a simulated folder, as `ls` lists them (a file: its own name)."""
    full = absolute(path)
    try:
        names = machine.list_dir(full)
    except KmodError as e:
        raise _proc_error(e) from None
    return [os.path.basename(full)] if names is None else names


def is_dir(machine: Machine, path: str) -> bool:
    found = machine.stat(absolute(path))
    return found is not None and found[0] & 0o170000 == 0o040000
