"""Kernel timers (include/linux/timer.h, kernel/time/timer.c): run a function once a jiffies
deadline passes.

There is no daemon: every kernel entry first fires the timers whose deadline has passed, in
order, as the timer softirq would have, and a task asleep in the kernel wakes at the next
deadline to fire it (runtime/schedule), so a timer's wake_up() reaches a sleeper on time. A
timer that re-arms itself for a deadline already past fires again in the same catch-up. The
timer objects are module memory (each module's `timer` objects, by handle); which are armed,
and when they expire, is this subsystem's state for the boot.
"""

from __future__ import annotations

from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.module import ModuleState
from kmodsim.kernel.panic import PanicState, code_gone
from kmodsim.kernel.sched import TIMERS_CHANNEL, wake
from kmodsim.kernel.time import HZ, TimeState, jiffies_to_usec_since_boot, usec_to_jiffies

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


class TimerState(State):
    """The armed timers of the boot: handle -> [module, expires, the module's load_order]
    (the instance that armed it: one inserted again since is another)."""

    PREFIX = "timer"

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.armed: dict[str, list] = self.json_var("armed")

    def _store(self) -> None:
        self.set_json_var("armed", self.armed)

    def register(self, timer: timer_list) -> None:
        lm = _current.module()
        if not timer.tid:
            timer.tid = self.int_var("next_id", 1)
            self.set_var("next_id", timer.tid + 1)
        if lm is not None:
            lm.objects_of("timer")[timer.tid] = timer

    def arm(self, timer: timer_list) -> int:
        self.register(timer)
        lm = _current.module()
        was = str(timer.tid) in self.armed
        self.armed[str(timer.tid)] = [lm.name if lm else "", timer.expires,
                                      lm.load_order if lm else 0]
        self._store()
        wake(self.k, TIMERS_CHANNEL)  # the sleepers see when they must wake to fire it
        return int(was)

    def disarm(self, timer: timer_list) -> int:
        if self.armed.pop(str(timer.tid), None) is None:
            return 0
        self._store()
        return 1

    def disarm_module(self, module: str) -> None:
        """Disarm every timer of `module` (forced out with code the store can't load: the
        callbacks are nowhere, and firing into them would panic the machine)."""
        kept = {tid: armed for tid, armed in self.armed.items() if armed[0] != module}
        if len(kept) != len(self.armed):
            self.armed = kept
            self._store()

    def run_due(self, limit: int = 10_000) -> None:
        """Fire, in deadline order, every timer whose deadline has passed (the softirq)."""
        if not self.armed:
            return
        clock = self.k.state(TimeState)
        now = usec_to_jiffies(clock.wall_usec())
        for _ in range(limit):
            due = [(exp, int(tid), mod, rest) for tid, (mod, exp, *rest) in self.armed.items()
                   if (now - exp) & 0xFFFFFFFF < 0x80000000]  # time_after_eq, wrap-safe
            if not due:
                return
            expires, tid, module, rest = min(due)
            del self.armed[str(tid)]
            self._store()
            clock.override = max(jiffies_to_usec_since_boot(expires), clock.int_var("last_usec"))
            try:
                self._fire(tid, module, rest[0] if rest else None)
            finally:
                clock.override = None

    def _fire(self, tid: int, module: str, instance: int | None) -> None:
        k = self.k
        k.task.kind = "timer"
        if not k.state(ModuleState).exists(module, instance):  # removed, no del_timer_sync()
            code_gone(k, module, 0x80,
                      f"a timer of module {module} fired after the module was removed: its "
                      f"exit must call del_timer_sync() (timer_delete_sync())")
        lm = k.module(module)
        timer = lm.objects_of("timer").get(tid)
        if timer is None or timer.function is None:
            return
        k.task.in_irq = True
        try:
            k.call(lm, "timer", timer.function, timer)
        finally:
            k.task.in_irq = False


    def next_due_in(self) -> float | None:
        """Seconds until the earliest armed timer is due (0: it is; None: none armed)."""
        if not self.armed:
            return None
        now_usec = self.k.state(TimeState).wall_usec()
        now = usec_to_jiffies(now_usec)
        ahead = min(((exp - now + 0x80000000) & 0xFFFFFFFF) - 0x80000000  # wrap-safe
                    for _, exp, *_ in self.armed.values())
        if ahead <= 0:
            return 0.0
        into_jiffy = now_usec * HZ % 1_000_000 / HZ  # microseconds since `now` began
        return max(0.0, (ahead * 1_000_000 / HZ - into_jiffy) / 1e6)


def next_timer_in(k: Kernel) -> float | None:
    """When a sleeping task must wake to fire a timer: seconds from now, or None."""
    if k.meta.get(f"{TimerState.PREFIX}.armed") in (None, "{}"):
        return None
    if k.state(PanicState).panicked:
        return None  # a panicked kernel runs no timer
    return k.state(TimerState).next_due_in()


def run_due_timers(k: Kernel) -> None:
    if k.meta.get(f"{TimerState.PREFIX}.armed") in (None, "{}"):
        return  # none armed (most entries): no need to make the state to find out
    k.state(TimerState).run_due()


def _timers() -> TimerState:
    return _current.entry().state(TimerState)


def timer_setup(timer: timer_list, callback: Callable, flags: int = 0) -> None:
    timer.function = callback
    timer.flags = flags
    _timers().register(timer)


def DEFINE_TIMER(callback: Callable) -> timer_list:
    timer = timer_list()
    timer.function = callback
    return timer


def mod_timer(timer: timer_list, expires: int) -> int:
    """Arm (or re-arm) the timer for jiffies `expires`; 1 if it was pending, else 0."""
    timer.expires = int(expires)
    return _timers().arm(timer)


def add_timer(timer: timer_list) -> None:
    mod_timer(timer, timer.expires)


def timer_delete(timer: timer_list) -> int:
    """Disarm; 1 if it was pending, else 0."""
    return _timers().disarm(timer)


def timer_delete_sync(timer: timer_list) -> int:
    return timer_delete(timer)


del_timer = timer_delete
del_timer_sync = timer_delete_sync


def timer_pending(timer: timer_list) -> bool:
    return str(timer.tid) in _timers().armed
