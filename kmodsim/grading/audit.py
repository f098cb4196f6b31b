"""What a test left behind in the kernel: the reports in its ring buffer, /proc entries whose
module is gone, and the taint flags of reports the ring no longer holds. A grader fails a
test on them unless the test said it expects them.

Each report is found by its first line, the one a kernel developer greps for, and named by
its kind. A crash report keeps its Oops: KASAN's report and a NULL pointer dereference end in
`Oops: ...`, which is part of that report rather than a second one.

The ring buffer is small and `dmesg -C` empties it, so a report can be gone from it; the
kernel's taint flags stay for the boot (D after an Oops, W after a WARNING, L after a soft
lockup). A flag that no report in the ring accounts for is a finding of its own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from kmodsim.kernel.module import TAINT_DIE, TAINT_SOFTLOCKUP, TAINT_WARN

if TYPE_CHECKING:
    from kmodsim.formats.kmsg import Record
    from kmodsim.machine import Machine

# The names a test may expect, with what each covers.
KINDS = {
    "Oops": "a crash: NULL pointer dereference, page fault, general protection fault, "
            "kernel BUG at, Oops",
    "KASAN": "KASAN: out-of-bounds, use-after-free, double-free",
    "kmemleak": "kmemleak: memory never kfree'd (reported at rmmod)",
    "lockdep": "lockdep: recursive locking, circular dependency, bad unlock balance",
    "lock held": "a lock held when returning to user space",
    "hung task": "a task blocked for more than 120 seconds",
    "soft lockup": "the watchdog's soft lockup",
    "atomic sleep": "sleeping function called from invalid context",
    "panic": "Kernel panic",
    "WARNING": "any WARNING: line (WARN_ON, proc_dir_entry already registered, lockdep's)",
    "BUG": "any BUG: line (KASAN's, the soft lockup's, a NULL pointer dereference's)",
    "proc entry left": "a /proc entry still there after its module was unloaded",
}

# (pattern, kind, opens a crash report that an Oops line then belongs to), first match wins
_HEADLINES: list[tuple[re.Pattern[str], str, bool]] = [
    (re.compile(r"BUG: KASAN: "), "KASAN", True),
    (re.compile(r"BUG: kernel NULL pointer dereference|BUG: unable to handle page fault"),
     "Oops", True),
    (re.compile(r"kernel BUG at "), "Oops", True),
    (re.compile(r"(Oops|invalid opcode): |general protection fault, "), "Oops", False),
    (re.compile(r"kmemleak: \d+ new suspected memory leaks?"), "kmemleak", False),
    (re.compile(r"WARNING: (possible recursive locking detected|possible circular locking "
                r"dependency detected|bad unlock balance detected)"), "lockdep", False),
    (re.compile(r"WARNING: lock held when returning to user space"), "lock held", False),
    (re.compile(r"INFO: task .* blocked for more than \d+ seconds"), "hung task", False),
    (re.compile(r"watchdog: BUG: soft lockup"), "soft lockup", False),
    (re.compile(r"BUG: sleeping function called from invalid context"), "atomic sleep", False),
    (re.compile(r"Kernel panic - not syncing"), "panic", False),
    (re.compile(r"WARNING: "), "WARNING", False),
    (re.compile(r"BUG: "), "BUG", False),
]
_END_OF_REPORT = re.compile(r"---\[ end trace ")


class Finding(NamedTuple):
    kind: str
    line: str  # the report's first line, the /proc entry left behind, or the taint flag
    also: frozenset[str] = frozenset()  # other kinds that allow it (a taint's lost report)

    def excused_by(self, expected: frozenset[str]) -> bool:
        """Whether a test that expects `expected` (names from KINDS) expected this."""
        if self.kind in expected or self.also & expected:
            return True
        if "WARNING" in expected and self.line.lstrip().startswith("WARNING: "):
            return True
        return "BUG" in expected and ("BUG: " in self.line or "kernel BUG at" in self.line)

    def __str__(self) -> str:
        return f"{self.line} [{self.kind}]"


def reports(records: list[Record]) -> list[Finding]:
    """The kernel reports in a ring buffer, oldest first."""
    found: list[Finding] = []
    in_crash = False
    for record in records:
        for line in record.text.splitlines():
            text = line.strip()
            if _END_OF_REPORT.match(text):
                in_crash = False
                continue
            for pattern, kind, opens in _HEADLINES:
                if pattern.match(text):
                    if kind == "Oops" and not opens and in_crash:
                        break  # the Oops that ends the crash report already found
                    found.append(Finding(kind, text))
                    in_crash = in_crash or opens
                    break
    return found


def leftover_proc_entries(machine: Machine) -> list[list[str]]:
    """[path, module] of each /proc entry a module made and left behind when it went (after
    a panic too: a test may expect one)."""
    with machine._kernel(allow_panicked=True, timers=False) as k:
        loaded = {name for (name,) in k.db.execute("SELECT name FROM modules")}
        rows = k.db.execute("SELECT path, module FROM proc_entries WHERE module != '' "
                            "ORDER BY path").fetchall()
    return [[path, owner] for path, owner in rows if owner not in loaded]


class TaintReport(NamedTuple):
    """What a taint flag says happened, as the audit names it."""

    letter: str
    what: str
    kind: str  # the finding's kind
    shown_by: frozenset[str]  # the kinds of the reports that set it
    also: frozenset[str]  # the other kinds a test may expect its report as


# the flags a report the audit looks for sets (kernel/panic.c's taint_flags[] letters)
TAINT_REPORTS = {
    TAINT_DIE: TaintReport("D", "an Oops", "Oops", frozenset({"Oops", "KASAN"}),
                           frozenset({"KASAN", "BUG"})),  # every Oops here opens with a BUG
    TAINT_WARN: TaintReport("W", "a WARNING", "WARNING", frozenset({"WARNING", "atomic sleep"}),
                            frozenset({"atomic sleep"})),
    TAINT_SOFTLOCKUP: TaintReport("L", "a soft lockup", "soft lockup",
                                  frozenset({"soft lockup"}), frozenset({"BUG"})),
}


def lost_reports(taint: int, found: list[Finding]) -> list[Finding]:
    """A finding for each taint flag set by a report that is no longer in the ring."""
    kinds = {f.kind for f in found}
    return [Finding(report.kind, f"the kernel is tainted {report.letter} ({report.what}), "
                                 f"but that report is gone from the kernel log (it scrolled "
                                 f"out of the ring buffer, or dmesg -C cleared it)",
                    report.also)
            for bit, report in TAINT_REPORTS.items()
            if taint & (1 << bit) and not kinds & report.shown_by]


def findings(records: list[Record], leftovers: list[list[str]], taint: int = 0
             ) -> list[Finding]:
    """Everything the audit finds: the ring's reports, the reports only the taint flags
    (`taint`, /proc/sys/kernel/tainted) remember, and the /proc entries left behind."""
    found = reports(records)
    return found + lost_reports(taint, found) + [
        Finding("proc entry left", f"/proc/{path} left behind by {owner}, which is unloaded")
        for path, owner in leftovers]
