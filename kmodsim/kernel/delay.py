"""Sleeping and busy-waiting (include/linux/delay.h)."""

from __future__ import annotations

import time

from kmodsim.kernel import _current
from kmodsim.kernel.debug.atomic_sleep import might_sleep
from kmodsim.kernel.sched import SIGNALLED, sleep


def _sleep(seconds: float, where: str, interruptible: bool = False) -> str:
    k = _current.entry()
    might_sleep(k, where)
    return sleep(k, seconds, interruptible)


def msleep(msecs: int) -> None:
    """Sleep at least `msecs` ms; other tasks run meanwhile; Ctrl-C waits for the end."""
    _sleep(msecs / 1000, "kernel/time/timer.c:2154")


def msleep_interruptible(msecs: int) -> int:
    """Like msleep, but a signal (Ctrl-C) ends it early: returns the ms left (0 if none)."""
    start = time.monotonic()
    if _sleep(msecs / 1000, "kernel/time/timer.c:2154", interruptible=True) == SIGNALLED:
        return max(1, int(msecs - (time.monotonic() - start) * 1000))
    return 0


def ssleep(seconds: int) -> None:
    msleep(seconds * 1000)


def usleep_range(lo: int, hi: int) -> None:
    _sleep(lo / 1_000_000, "kernel/time/sleep_timeout.c:367")


def fsleep(usecs: int) -> None:
    usleep_range(usecs, usecs)


def mdelay(msecs: int) -> None:
    """Busy-wait: the CPU spins (the soft-lockup watchdog sees it), no sleeping."""
    end = time.monotonic() + msecs / 1000
    while time.monotonic() < end:
        pass


def udelay(usecs: int) -> None:
    mdelay(usecs / 1000)


def ndelay(nsecs: int) -> None:
    mdelay(nsecs / 1_000_000)


def cond_resched() -> None:
    """A point where other tasks may run (this one stays runnable)."""
    sleep(_current.entry(), 0)
