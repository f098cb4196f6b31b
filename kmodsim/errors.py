"""Errors the Python API raises; the CLI prints them the way the real tool would."""

from __future__ import annotations

import os


def strerror(err: int) -> str:
    """glibc's text for a positive errno value (`Unknown error N` past its table)."""
    try:
        return os.strerror(err)
    except ValueError:
        return f"Unknown error {err}"


class KmodError(Exception):
    """A failure that a tool reports on stderr, exiting with `exit_code`."""

    exit_code = 1

    def __init__(self, lines: str | list[str], errno: int = 0) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        self.errno = errno
        super().__init__("\n".join(self.lines))


class InsmodError(KmodError):
    pass


class RmmodError(KmodError):
    pass


class ProcError(KmodError):
    """A failed open/read/write of a /proc file: `kmod: /proc/NAME: <strerror>`."""

    def __init__(self, path: str, errno: int, detail: list[str] | None = None) -> None:
        super().__init__([f"kmod: /proc/{path}: {strerror(errno)}", *(detail or [])], errno)
        self.path = path


class Killed(KmodError):
    """The command's task died in the kernel (Oops): the shell shows `Killed`, status 137."""

    exit_code = 137

    def __init__(self, hint: str | None = None) -> None:
        super().__init__(["Killed"] + ([hint] if hint else []))


class StoreError(KmodError):
    """The state store can't be used (corrupt, foreign, unsafe permissions)."""


class ModuleMemoryError(KmodError):
    """A module variable holds a value that can't be kept between commands."""

