"""The kernel's clock and jiffies (kernel/time/): time since the simulated boot.

The clock is the wall clock since boot, plus any skew tests add (`Machine.advance_clock`),
and it never goes back. A timer catching up runs with the clock set to its deadline.
"""

from __future__ import annotations

import time

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State

HZ = 250
INITIAL_JIFFIES = (-300 * HZ) & 0xFFFFFFFF  # the kernel starts jiffies 5 minutes before wrap


class TimeState(State):
    PREFIX = "time"

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.override: int | None = None  # a timer catching up runs at its deadline
        boot = self.var("boot_time")
        if boot is None:  # (set once per boot: a reboot's entry makes its own TimeState)
            boot = time.time()
            self.set_var("boot_time", boot)
        self.boot_time = float(boot)  # type: ignore[arg-type]

    def wall_usec(self) -> int:
        """Microseconds since boot on the (possibly advanced) wall clock; no side effects."""
        return int((time.time() - self.boot_time) * 1_000_000) + self.int_var("skew_usec")

    def now_usec(self) -> int:
        if self.override is not None:
            return self.override
        now = self.wall_usec()
        last = self.int_var("last_usec")
        if now <= last:  # the clock never goes back
            return last
        self.set_var("last_usec", now)
        return now

    def advance(self, seconds: float) -> None:
        self.set_var("skew_usec", self.int_var("skew_usec") + int(seconds * 1_000_000))


def now_usec(k: Kernel) -> int:
    """The kernel clock in microseconds since boot."""
    return k.state(TimeState).now_usec()


def usec_to_jiffies(usec: int) -> int:
    return (INITIAL_JIFFIES + usec * HZ // 1_000_000) & 0xFFFFFFFF


def jiffies_to_usec_since_boot(j: int) -> int:
    return ((j - INITIAL_JIFFIES) & 0xFFFFFFFF) * 1_000_000 // HZ


def jiffies(k: Kernel) -> int:
    return usec_to_jiffies(now_usec(k))


def get_jiffies() -> int:
    return jiffies(_current.entry())


def jiffies_now() -> int:
    """The `jiffies` variable of C: read it when you need it."""
    return get_jiffies()


def msecs_to_jiffies(m: int) -> int:
    return (m * HZ + 999) // 1000


def jiffies_to_msecs(j: int) -> int:
    return j * 1000 // HZ
