"""KMachine: a machine with the helpers a teacher asserts with.

    km.insmod("students/alice/counter.py", start=5)   # insmod counter.ko start=5
    assert km.proc_write("counter", "X\n").errno == errno.EINVAL
    assert km.proc_read("counter") == b"5\n"
    assert "counter: loaded" in km.dmesg()
    assert km.tainted() == "OE"

It wraps a Machine (module code in this process) or an IsolatedMachine (module code in a
child process); anything else a Machine has (log_records, advance_clock, reboot, ...) is
reached through it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kmodsim.errors import Killed, ProcError, strerror

# pytest leaves this file's frames out of a test's traceback: the error is the module's
__tracebackhide__ = True

LEVELS = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"]


class WriteResult:
    """What `echo DATA > /proc/PATH` got: `written` bytes, or the `errno` of the failure.
    True when the write succeeded, so `assert km.proc_write(...)` checks that."""

    __slots__ = ("written", "errno")

    def __init__(self, written: int = 0, errno: int = 0) -> None:
        self.written = written  # bytes the module's write handler accepted in all
        self.errno = errno  # 0, or errno.EINVAL and friends (positive, as errno's values)

    @property
    def ok(self) -> bool:
        return self.errno == 0

    def __bool__(self) -> bool:
        return self.ok

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, WriteResult)
                and (self.written, self.errno) == (other.written, other.errno))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.ok:
            return f"WriteResult(written={self.written})"
        import errno as errno_names

        name = errno_names.errorcode.get(self.errno, str(self.errno))
        return f"WriteResult(errno={name}: {strerror(self.errno)})"


def param_text(name: str, value: object) -> str:
    """name=value as insmod takes it: lists comma-separated, booleans Y/N."""
    if isinstance(value, bool):
        text = "Y" if value else "N"
    elif isinstance(value, list | tuple):
        text = ",".join(param_text("", v)[1:] for v in value)
    else:
        text = str(value)
    return f"{name}={text}"


def parse_level(level: int | str | Sequence[int | str]) -> set[int]:
    """The console levels a dmesg(level=...) keeps: 3, "err", "warn+" (warn and more urgent),
    "info-" (info and less urgent), or a list of those."""
    if isinstance(level, list | tuple | set):
        return set().union(*(parse_level(x) for x in level))
    if isinstance(level, int):
        return {level}
    text = str(level).strip().lower()
    plus, minus = text.endswith("+"), text.endswith("-")
    name = text.rstrip("+-")
    if name == "warning":
        name = "warn"
    if name not in LEVELS:
        raise ValueError(f"unknown level {level!r}: one of {', '.join(LEVELS)}, with + or -")
    n = LEVELS.index(name)
    if plus:
        return set(range(n + 1))
    if minus:
        return set(range(n, len(LEVELS)))
    return {n}


class KMachine:
    """A machine for one test. `machine` is the Machine or IsolatedMachine underneath."""

    def __init__(self, machine: Any) -> None:
        self.machine = machine

    @property
    def home(self) -> Path:
        home = getattr(self.machine, "home", None)
        return Path(os.path.abspath(home if home is not None else self.machine.store.home))

    @property
    def isolation(self) -> str:
        """"bwrap", "process" (an IsolatedMachine), or "none" (module code runs here)."""
        return getattr(self.machine, "isolation", "none")

    def _in_process(self) -> bool:
        return self.isolation == "none"

    def _proc(self, call: Any) -> Any:
        return self._explained(call)

    def _explained(self, call: Any) -> Any:
        """call(); a Killed it raises says why: its message (str(), not its shell `lines`)
        gets the kernel report's first line and kmodsim's hint."""
        try:
            return call()
        except Killed as e:
            from kmodsim.grading.audit import reports

            try:
                records = self.machine.log_records()
            except Exception:  # the machine's process died with the task: no more to say
                raise e from None
            found = reports(records)
            hints = [line for r in records for line in r.text.split("\n")
                     if line.startswith("kmodsim: hint: ")]
            text = e.lines[0] + (f": {found[-1].line}" if found else "")
            e.args = ("\n".join([text, *hints[-1:]]),)
            raise

    # -- modules ---------------------------------------------------------------------------
    def insmod(self, path: str | os.PathLike[str], *args: str, **params: object) -> None:
        """insmod PATH ARGS... NAME=VALUE...; InsmodError (with .lines, .errno) if it fails."""
        argv = [*args, *(param_text(k, v) for k, v in params.items())]
        self._explained(lambda: self.machine.insmod(os.fspath(path), argv))

    def rmmod(self, target: str | os.PathLike[str], force: bool = False) -> None:
        """rmmod NAME (or a module file); RmmodError if it fails."""
        self._explained(lambda: self.machine.rmmod(os.fspath(target), force))

    def modules(self) -> list:
        return self.machine.modules()

    def is_loaded(self, name: str) -> bool:
        return any(m.name == name for m in self.machine.modules())

    # -- /proc -----------------------------------------------------------------------------
    def proc_read(self, path: str, nonblock: bool = False) -> bytes:
        """`cat /proc/PATH`: the bytes read until end of file. ProcError (with .errno) if an
        open or read fails; Killed if the module's handler crashed (an Oops). `nonblock`:
        opened O_NONBLOCK."""
        return self._proc(lambda: self.machine.proc_read(path, nonblock))

    def proc_write(self, path: str, data: str | bytes) -> WriteResult:
        """`printf DATA > /proc/PATH`: DATA written as given (no newline added; a str is
        UTF-8). Never raises for the write's own errno: it is in the result
        (WriteResult.errno); Killed if the module's handler crashed (an Oops)."""
        raw = data.encode() if isinstance(data, str) else bytes(data)
        try:
            n = self._proc(lambda: self.machine.proc_write(path, raw))
        except ProcError as e:
            return WriteResult(0, e.errno)
        return WriteResult(n, 0)

    def proc_exists(self, path: str) -> bool:
        return path.removeprefix("/proc/").strip("/") in self.machine.proc_list()

    def open(self, path: str, mode: str = "r", nonblock: bool = False) -> Any:
        """A user program's open() of /proc/PATH (as kmodsim.userspace.open)."""
        return self.machine.open(path, mode, nonblock)

    # -- the kernel's state ------------------------------------------------------------------
    def dmesg(self, level: int | str | Sequence[int | str] | None = None) -> list[str]:
        """The ring buffer's lines, oldest first, without time stamps: each line of each
        record (`level` keeps some: "err", "warn+", 4, ["err", "info"])."""
        keep = None if level is None else parse_level(level)
        return [line for r in self.machine.log_records()
                if keep is None or r.level in keep for line in r.text.split("\n")]

    def tainted(self) -> str:
        """The taint flags' letters, in the kernel's order ("" if untainted): "OE" after
        loading an out-of-tree unsigned module, "DOE" after an Oops, "POE" without a license."""
        from kmodsim.kernel.module import TAINT_FLAGS

        mask = self.machine.tainted()
        return "".join(on for bit, (on, _, _) in enumerate(TAINT_FLAGS) if mask & (1 << bit))

    def taint_mask(self) -> int:
        """/proc/sys/kernel/tainted: the flags as a number."""
        return int(self.machine.tainted())

    def leftover_proc_entries(self) -> list[list[str]]:
        """[path, module] of each /proc entry whose module is unloaded."""
        if self._in_process():
            from kmodsim.grading.audit import leftover_proc_entries

            return leftover_proc_entries(self.machine)
        return self.machine.leftover_proc_entries()

    def findings(self) -> list:
        """The kernel's reports so far, those only its taint flags still show, and the /proc
        entries left behind (grading.audit)."""
        from kmodsim.grading.audit import findings

        return findings(self.machine.log_records(), self.leftover_proc_entries(),
                        self.taint_mask())

    def close(self) -> None:
        self.machine.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.machine, name)

    def __repr__(self) -> str:
        return f"KMachine({str(self.home)!r}, isolation={self.isolation!r})"
