"""The kernel's reports in a ring buffer: where each begins, what it is, and kmodsim's hint.

A report is what a debugging kernel prints when something goes wrong: an Oops, a BUG, a
KASAN or lockdep report, kmemleak's leaks, the watchdogs', `Unknown symbol`, a panic. Each
starts with a headline the kernel always prints the same way (`BUG: kernel NULL pointer
dereference, address: ...`) and, unless hints are off, ends with kmodsim's own line
`kmodsim: hint: ... at FILE:LINE in fn()`. This module finds them in records as
/dev/kmsg gives them; `kmod explain` and the few lines a command prints after `Killed` are
made from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kmodsim.formats.kmsg import Record

HINT_PREFIX = "kmodsim: hint: "

# (pattern, kind, what it means), the first match wins. A line that matches CONTINUES joins
# the report before it instead of starting one (KASAN's report ends in an Oops; an Oops in a
# timer ends in a panic), and kmemleak's lines join kmemleak's (one `unreferenced object` per
# leak). A report of a kind in SINGLE is its headline alone.
_HEADLINES: list[tuple[re.Pattern[str], str, str]] = [(re.compile(p), k, m) for p, k, m in [
    (r"^BUG: kernel NULL pointer dereference", "oops",
     "Module code used a pointer that was never set: an attribute or item of None (NULL in "
     "C). The kernel kills the task that did it (an Oops)."),
    (r"^BUG: unable to handle page fault", "oops",
     "Module code touched memory that isn't mapped: an object already freed, or the code of "
     "a module that is gone. The kernel kills the task that did it (an Oops)."),
    (r"^kernel BUG at ", "bug",
     "A Python exception escaped module code, which the kernel treats as BUG(): an invalid "
     "opcode Oops that kills the task."),
    (r"^BUG: KASAN: slab-out-of-bounds", "kasan",
     "KASAN caught an access past the end of a kmalloc'd buffer."),
    (r"^BUG: KASAN: slab-use-after-free", "kasan",
     "KASAN caught an access to a buffer after it was kfree'd."),
    (r"^BUG: KASAN: double-free", "kasan",
     "KASAN caught a second kfree() of the same buffer."),
    (r"^BUG: KASAN: ", "kasan", "KASAN caught a bad memory access."),
    (r"^BUG: sleeping function called from invalid context", "atomic-sleep",
     "Something that may sleep (msleep, mutex_lock, kmalloc with GFP_KERNEL...) was called "
     "in atomic context: under a spinlock, or in a timer callback."),
    (r"^watchdog: BUG: soft lockup", "soft-lockup",
     "Module code ran for seconds without sleeping or returning; the soft-lockup watchdog "
     "stopped it. On one CPU nothing else could have run meanwhile."),
    (r"^BUG: ", "bug", "The kernel found a state that must never happen."),
    (r"^WARNING: possible recursive locking detected", "lockdep",
     "lockdep: a task takes a lock it already holds, so it would wait for itself for ever."),
    (r"^WARNING: possible circular locking dependency detected", "lockdep",
     "lockdep: two locks are taken in opposite orders on two paths (A then B, B then A); "
     "two tasks taking them at once deadlock."),
    (r"^WARNING: bad unlock balance detected", "lockdep",
     "lockdep: a lock was released by a task that does not hold it."),
    (r"^WARNING: lock held when returning to user space", "lockdep",
     "lockdep: a handler returned with a lock still held; the next task that takes it waits "
     "for ever."),
    (r"^WARNING: ", "warning",
     "A WARN() fired: the kernel goes on (taint W), but something is wrong."),
    (r"^INFO: task \S+ blocked for more than \d+ seconds", "hung-task",
     "A task has slept uninterruptibly for minutes (for a lock, in wait_event, "
     "wait_for_completion, down, kthread_stop): whatever should wake it never does."),
    (r"^unreferenced object 0x", "kmemleak",
     "kmemleak found kmalloc'd buffers that nothing points to any more: they can never be "
     "freed (a memory leak)."),
    (r"^kmemleak: \d+ new suspected memory leak", "kmemleak",
     "kmemleak found kmalloc'd buffers that were never freed (a memory leak)."),
    (r"^\S+: Unknown symbol \S+ \(err -?\d+\)", "unknown-symbol",
     "The module uses a name that neither the kernel nor a loaded module provides: a typo, "
     "or a function defined nowhere. insmod refused it: nothing was loaded."),
    (r"^Kernel panic - not syncing: ", "panic",
     "The kernel stopped: nothing runs until a reboot."),
    (r"^(Oops|general protection fault): ", "oops",
     "The kernel killed the task that was running module code (an Oops)."),
    (r"^do_init_module: .* suspiciously returned", "init-return",
     "The init function returned a positive number; it should return 0 or -errno."),
    (r"^proc_dir_entry '.*' already registered", "warning",
     "A /proc entry of that name exists already: did an exit function forget "
     "remove_proc_entry()?"),
]]
CONTINUES = re.compile(r"^(Oops: |general protection fault: |Kernel panic - not syncing: )")
SINGLE = {"unknown-symbol"}

# lines that open a report before its headline: WARN()'s and BUG()'s `cut here` (after
# which comes the WARN's message), KASAN's and lockdep's rule, lockdep's blank line
_CUT_HERE = "------------[ cut here ]------------"
_RULE = re.compile(r"^(=+|-+|)$")
MAX_PREAMBLE = 3
ORPHAN_HINT = ("The kernel itself printed no report (lockdep stops after its first one, as "
               "the kernel's does; some mistakes it never reports): kmodsim's hint says what "
               "happened.")

_AT = re.compile(r" at (?P<file>/.+?\.py):(?P<line>\d+) in (?P<fn>[^\s()]+)\(\)")
_BUG_AT = re.compile(r"^kernel BUG at (?P<file>.+?\.py):(?P<line>\d+)!")
_MODULE = re.compile(r"\+0x[0-9a-f]+/0x[0-9a-f]+ \[(?P<name>\w+)\]")
_UNKNOWN = re.compile(r"^(?P<name>\S+): Unknown symbol (?P<symbol>\S+) \(err")


def classify(text: str) -> tuple[str, str] | None:
    """(kind, meaning) when `text` is a report's headline."""
    for pattern, kind, meaning in _HEADLINES:
        if pattern.match(text):
            return kind, meaning
    return None


class Report:
    """One report: its records (headline first, hint last when there is one)."""

    __slots__ = ("records", "head", "kind", "meaning", "hint", "file", "line", "function",
                 "module", "symbol", "killed", "panicked")

    def __init__(self, headline: Record, kind: str, meaning: str,
                 preamble: list[Record] | None = None) -> None:
        self.records = [*(preamble or []), headline]
        self.head = headline
        self.kind = kind
        self.meaning = meaning
        self.hint: str | None = None  # the hint's text, without `kmodsim: hint: `
        self.file: str | None = None  # the module's file, absolute, as the hint names it
        self.line: int | None = None
        self.function: str | None = None
        self.module: str | None = None
        self.symbol: str | None = None  # an unknown symbol's name
        self.killed = kind in ("oops", "bug")  # the task died (an Oops is part of it)
        self.panicked = kind == "panic"

    @property
    def headline(self) -> str:
        """The kernel's headline; a hint the kernel printed no report for is its own."""
        text = self.head.text
        return text[len(HINT_PREFIX):] if self.kind == "hint" else text

    @property
    def ts_usec(self) -> int:
        return self.head.ts_usec

    def _add(self, r: Record) -> None:
        self.records.append(r)
        self._learn(r.text)

    def _learn(self, text: str) -> None:
        if self.module is None:
            m = _MODULE.search(text)
            if m:
                self.module = m.group("name")
        if text.startswith("Oops: ") or text.startswith("invalid opcode: "):
            self.killed = True
        if text.startswith("Kernel panic - not syncing: "):
            self.panicked = True
        if self.file is None:
            m = _BUG_AT.match(text)
            if m:
                self.file, self.line = m.group("file"), int(m.group("line"))

    def _set_hint(self, r: Record) -> None:
        self.records.append(r)
        self.hint = r.text[len(HINT_PREFIX):]
        m = _AT.search(self.hint)
        if m:
            self.file, self.line, self.function = m.group("file"), int(m.group("line")), \
                m.group("fn")

    def finish(self) -> Report:
        m = _UNKNOWN.match(self.headline)
        if m:
            self.module, self.symbol = m.group("name"), m.group("symbol")
        if self.module is None and self.file is not None:
            stem = self.file.rsplit("/", 1)[-1][: -len(".py")]
            self.module = stem.replace("-", "_")
        return self

    def text(self) -> list[str]:
        """The report's lines as `kmod dmesg` prints them (without colours)."""
        out = []
        for r in self.records:
            sec, usec = divmod(r.ts_usec, 1_000_000)
            prefix = f"[{sec:5d}.{usec:06d}] "
            first, *rest = r.text.split("\n")
            out.append(prefix + first)
            out.extend(" " * len(prefix) + line for line in rest)
        return out


def find_reports(records: Iterable[Record]) -> list[Report]:
    """The reports in `records`, oldest first. Records around them (a module's own printk,
    taint notices) belong to none."""
    reports: list[Report] = []
    current: Report | None = None
    preamble: list[Record] = []
    for r in records:
        text = r.text
        if text.startswith(HINT_PREFIX):
            if current is None:  # a hint after no headline: it is the whole report
                current = Report(r, "hint", ORPHAN_HINT)
                current.records = []
            current._set_hint(r)
            reports.append(current.finish())
            current, preamble = None, []
            continue
        found = classify(text)
        if found is not None:
            kind, meaning = found
            if current is not None and (CONTINUES.match(text) and current.kind != "kmemleak"
                                        or current.kind == kind == "kmemleak"):
                current._add(r)
                continue
            if current is not None:
                reports.append(current.finish())
            current = Report(r, kind, meaning, preamble)
            current._learn(text)
            preamble = []
            if kind in SINGLE:
                reports.append(current.finish())
                current = None
            continue
        if text == _CUT_HERE:  # the next report begins
            if current is not None:
                reports.append(current.finish())
                current = None
            preamble = [r]
        elif current is not None:
            current._add(r)
        elif preamble or _RULE.match(text):
            preamble = (preamble + [r])[-MAX_PREAMBLE:]
    if current is not None:
        reports.append(current.finish())
    return reports
