"""Kernel timers (include/linux/timer.h): run a function once a jiffies deadline passes.

There is no daemon, so nothing runs between commands: every kernel entry first fires the
timers whose deadline has passed, in order, as the timer softirq would have. A timer that
re-arms itself for a deadline already past fires again in the same catch-up.
"""

from __future__ import annotations

from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel.delay import get_jiffies

TIMER_DEFERRABLE = 0x00080000
TIMER_PINNED = 0x00200000
TIMER_IRQSAFE = 0x00400000


class timer_list:
    """struct timer_list. Give the callback at timer_setup(); arm it with mod_timer()."""

    def __init__(self) -> None:
        self.function: Callable | None = None
        self.expires = 0
        self.flags = 0
        self.tid = 0  # the kernel's handle on it (0: never set up)

    def __repr__(self) -> str:
        return f"<timer_list {self.tid} expires {self.expires}>"


def timer_setup(timer: timer_list, callback: Callable, flags: int = 0) -> None:
    timer.function = callback
    timer.flags = flags
    _current.entry().timer_register(timer)


def DEFINE_TIMER(callback: Callable) -> timer_list:
    timer = timer_list()
    timer.function = callback
    return timer


def mod_timer(timer: timer_list, expires: int) -> int:
    """Arm (or re-arm) the timer for jiffies `expires`; 1 if it was pending, else 0."""
    timer.expires = int(expires)
    return _current.entry().timer_arm(timer)


def add_timer(timer: timer_list) -> None:
    mod_timer(timer, timer.expires)


def timer_delete(timer: timer_list) -> int:
    """Disarm; 1 if it was pending, else 0."""
    return _current.entry().timer_disarm(timer)


def timer_delete_sync(timer: timer_list) -> int:
    return timer_delete(timer)


del_timer = timer_delete
del_timer_sync = timer_delete_sync


def timer_pending(timer: timer_list) -> bool:
    return _current.entry().timer_is_pending(timer)


def jiffies_now() -> int:
    """The `jiffies` variable of C: read it when you need it."""
    return get_jiffies()
