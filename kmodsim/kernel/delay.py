"""Sleeping and busy-waiting (include/linux/delay.h), and jiffies."""

from __future__ import annotations

import time

from kmodsim.kernel import _current

HZ = 250
INITIAL_JIFFIES = (-300 * HZ) & 0xFFFFFFFF  # the kernel starts jiffies 5 minutes before wrap


def _sleep(seconds: float, where: str) -> None:
    k = _current.entry()
    from kmodsim.lockdep import might_sleep

    might_sleep(k, where)
    k.sleep(seconds)


def msleep(msecs: int) -> None:
    _sleep(msecs / 1000, "kernel/time/timer.c:2154")


def msleep_interruptible(msecs: int) -> int:
    msleep(msecs)
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
    _current.entry().sleep(0)


def schedule() -> None:
    _sleep(0, "kernel/sched/core.c:6772")


def get_jiffies() -> int:
    return (INITIAL_JIFFIES + _current.entry().now_usec() * HZ // 1_000_000) & 0xFFFFFFFF


def msecs_to_jiffies(m: int) -> int:
    return (m * HZ + 999) // 1000


def jiffies_to_msecs(j: int) -> int:
    return j * 1000 // HZ
