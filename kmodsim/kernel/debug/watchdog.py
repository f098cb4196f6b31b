"""The soft-lockup watchdog (kernel/watchdog.c): module code that runs too long without
sleeping is stopped with the kernel's report, instead of hanging the learner's shell.

Armed only while module code runs, with a real-time interval timer; sleeping (msleep and
friends) pauses it, as a context switch touches the real watchdog.
"""

from __future__ import annotations

import _signal  # the C module: `signal` builds enums at import, which costs a command
import os
import time

from kmodsim.kernel._current import Kernel
from kmodsim.kernel.module import TAINT_SOFTLOCKUP, Module, add_taint, modules_linked_in
from kmodsim.kernel.panic import KernelFault
from kmodsim.kernel.printk import hint, log_lines
from kmodsim.kernel.stacktrace import HARDWARE, Frame, call_trace, cpu_line

DEFAULT_THRESH_S = 5.0


def threshold() -> float:
    try:
        value = float(os.environ.get("KMODSIM_WATCHDOG_THRESH", DEFAULT_THRESH_S))
    except ValueError:
        value = DEFAULT_THRESH_S
    return value if value > 0 else DEFAULT_THRESH_S


class SoftLockup(KernelFault):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"stuck for {seconds:.0f}s")
        self.seconds = seconds

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        module = lm.name if lm else "?"
        rip = frames[0].symbol(module) if frames else "?"
        lines = [(0, f"watchdog: BUG: soft lockup - CPU#0 stuck for {int(self.seconds)}s! "
                     f"[{k.task.comm}:{k.task.pid}]"),
                 (4, f"Modules linked in: {modules_linked_in(k)}"),
                 (4, cpu_line(k)), (4, f"Hardware name: {HARDWARE}"), (4, f"RIP: 0010:{rip}"),
                 *[(4, t) for t in call_trace(k, frames[1:], module)]]
        log_lines(k, lines)
        add_taint(k, TAINT_SOFTLOCKUP)
        hint(k, "kmodsim: hint: module code ran for more than "
               f"{threshold():g} s without sleeping or returning"
               + (f"; it was at {frames[0].where}" if frames else "")
               + " (a loop whose condition never changes?)")


class Watchdog:
    """Counts the time module code runs; pauses while it sleeps."""

    def __init__(self) -> None:
        self.started = 0.0
        self.used = 0.0  # seconds run before the current stretch
        self.limit = threshold()

    def _fire(self, signum: int, frame: object) -> None:
        raise SoftLockup(self.used + time.monotonic() - self.started)

    def arm(self) -> None:
        self.started = time.monotonic()
        self.used = 0.0
        _signal.signal(_signal.SIGALRM, self._fire)
        _signal.setitimer(_signal.ITIMER_REAL, self.limit)

    def pause(self) -> None:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        self.used += time.monotonic() - self.started

    def resume(self) -> None:
        self.started = time.monotonic()
        _signal.setitimer(_signal.ITIMER_REAL, max(0.001, self.limit - self.used))

    def disarm(self) -> None:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
