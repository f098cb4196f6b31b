"""Errors the Python API raises; the CLI prints them the way the real tool would."""

from __future__ import annotations

import os


def strerror(err: int) -> str:
    """glibc's text for a positive errno value (`Unknown error N` past its table)."""
    try:
        return os.strerror(err)
    except (ValueError, OverflowError):
        return f"Unknown error {err}"


class KmodError(Exception):
    """A failure that a tool reports on stderr, exiting with `exit_code`."""

    exit_code = 1
    # A system call's error is its result: what the kernel did before returning it (a
    # handler's printk, its counter) stays. Other errors undo the whole kernel entry.
    is_result = False

    def __init__(self, lines: str | list[str], errno: int = 0) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        self.errno = errno
        super().__init__("\n".join(self.lines))


class InsmodError(KmodError):
    is_result = True


class RmmodError(KmodError):
    is_result = True


class ProcError(KmodError):
    """A failed open/read/write/ioctl of a simulated file: `kmod: PATH: <strerror>` (a
    relative PATH is under /proc, as `kmod proc read NAME` names it)."""

    is_result = True

    def __init__(self, path: str, errno: int, detail: list[str] | None = None) -> None:
        shown = path if path.startswith("/") else f"/proc/{path}"
        super().__init__([f"kmod: {shown}: {strerror(errno)}", *(detail or [])], errno)
        # a /proc file's NAME as `kmod proc` takes it (counter); any other file's full path
        self.path = shown[len("/proc/"):] if shown.startswith("/proc/") else shown


SIGKILL, SIGSEGV = 9, 11
# what a shell says of a child killed by the signal (strsignal(), as dash prints it)
SIGNAL_TEXT = {SIGKILL: "Killed", SIGSEGV: "Segmentation fault"}


class Killed(KmodError):
    """The command's task died in the kernel (Oops): killed by SIGKILL (a page fault) or
    SIGSEGV (BUG(), an invalid opcode), so the shell shows `Killed` (status 137) or
    `Segmentation fault` (139)."""

    def __init__(self, signal: int = SIGKILL, hint: str | None = None,
                 report: object = None) -> None:
        super().__init__([SIGNAL_TEXT.get(signal, f"Signal {signal}")] + ([hint] if hint else []))
        self.signal = signal
        self.exit_code = 128 + signal
        # the kernel's report that killed the task (kmodsim.formats.reports.Report: headline,
        # kind, file, line, function, hint, text()), for the Python API's callers
        self.report = report

    def __str__(self) -> str:
        """`Killed: <the kernel's headline>`, then kmodsim's hint (a caller that set its own
        message keeps it; what a shell prints stays `lines`)."""
        message = str(self.args[0]) if self.args else ""
        report = getattr(self, "report", None)  # (absent on one rebuilt from elsewhere)
        if message != "\n".join(self.lines) or report is None:
            return message
        hint = getattr(report, "hint", None)
        return f"{self.lines[0]}: {report.headline}" + (f"\nkmodsim: hint: {hint}" if hint
                                                        else "")


class StoreError(KmodError):
    """The state store can't be used (corrupt, foreign, unsafe permissions)."""


class ModuleMemoryError(KmodError):
    """A module variable holds a value that can't be kept between commands."""

