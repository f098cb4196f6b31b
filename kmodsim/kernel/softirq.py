"""Tasklets (include/linux/interrupt.h, kernel/softirq.c): a function deferred to softirq
context, where it may not sleep.

When a tasklet runs is the kernel's choice (the next interrupt's exit, or ksoftirqd); kmodsim
makes one, so that output is the same every time: a scheduled tasklet runs as soon as the
task that scheduled it leaves module code (the hook returns) or sleeps, before anything it
did is committed. It never outlives the kernel entry that scheduled it, so it needs no state
of its own beyond the tasklet object in module memory.
"""

from __future__ import annotations

from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.timer import run_due_timers

TASKLET_STATE_SCHED, TASKLET_STATE_RUN = 1 << 0, 1 << 1


class tasklet_struct:
    """struct tasklet_struct: `callback(t)` (tasklet_setup) or `func(data)` (tasklet_init)."""

    __slots__ = ("func", "data", "callback", "use_callback", "state", "count")

    def __init__(self) -> None:
        self.func: Callable | None = None
        self.data: object = 0
        self.callback: Callable | None = None
        self.use_callback = False
        self.state = 0
        self.count = 0  # tasklet_disable() depth

    def __repr__(self) -> str:
        return f"<tasklet_struct state={self.state}>"


def tasklet_setup(t: tasklet_struct, callback: Callable) -> None:
    """The callback gets the tasklet itself (from_tasklet() finds its container)."""
    t.callback, t.use_callback, t.func, t.state, t.count = callback, True, None, 0, 0


def tasklet_init(t: tasklet_struct, func: Callable, data: object) -> None:
    """The older form: `func(data)`."""
    t.func, t.data, t.use_callback, t.callback, t.state, t.count = func, data, False, None, 0, 0


def DECLARE_TASKLET(callback: Callable) -> tasklet_struct:
    """`static DECLARE_TASKLET(t, callback);` is `t = DECLARE_TASKLET(callback)`."""
    t = tasklet_struct()
    tasklet_setup(t, callback)
    return t


def DECLARE_TASKLET_OLD(func: Callable) -> tasklet_struct:
    """`DECLARE_TASKLET_OLD(t, func)`: func(0)."""
    t = tasklet_struct()
    tasklet_init(t, func, 0)
    return t


def from_tasklet(struct: type | None, t: tasklet_struct, field: str) -> object:
    """C's `from_tasklet(var, t, field)` is `from_tasklet(StructType, t, "field")`: the
    struct whose `field` is `t` (container_of)."""
    from kmodsim.kernel.structmem import container_of

    return container_of(t, struct if isinstance(struct, type) else None, field)


def tasklet_schedule(t: tasklet_struct) -> None:
    """Run `t` once, in softirq context, as soon as this task leaves module code or sleeps."""
    if t.state & TASKLET_STATE_SCHED:
        return
    t.state |= TASKLET_STATE_SCHED
    lm = _current.module()
    _current.entry().task.tasklets.append((lm.name if lm else "", t))


tasklet_hi_schedule = tasklet_schedule


def tasklet_disable(t: tasklet_struct) -> None:
    t.count += 1


def tasklet_enable(t: tasklet_struct) -> None:
    """The last enable lets a tasklet scheduled meanwhile run (as the softirq would next)."""
    t.count = max(0, t.count - 1)
    if t.count == 0 and t.state & TASKLET_STATE_SCHED:
        pending = _current.entry().task.tasklets
        if all(other is not t for _, other in pending):
            lm = _current.module()
            pending.append((lm.name if lm else "", t))


def tasklet_kill(t: tasklet_struct) -> None:
    """Wait until `t` is neither scheduled nor running: a scheduled one runs now."""
    if t.state & TASKLET_STATE_SCHED:
        run_tasklets(_current.entry())


def run_timer_softirq(k: Kernel) -> None:
    """The timer interrupt's softirq: the timers due fire, then the tasklets they scheduled
    (at a kernel entry, or in a sleeping task as it wakes)."""
    run_due_timers(k)
    if k.task.tasklets:
        run_tasklets(k)


def run_tasklets(k: Kernel) -> None:
    """The tasklet softirq: run every scheduled tasklet, in the order scheduled."""
    task = k.task
    if task.in_irq:
        return  # already in the softirq: the loop below takes what this one schedules
    while task.tasklets:
        name, t = task.tasklets.pop(0)
        if t.count:  # disabled: it stays scheduled, and runs once tasklet_enable() says so
            continue
        t.state &= ~TASKLET_STATE_SCHED
        try:
            lm = k.module(name)
        except KeyError:
            continue
        fn, arg = (t.callback, t) if t.use_callback else (t.func, t.data)
        if fn is None:
            continue
        task.in_irq = True
        t.state |= TASKLET_STATE_RUN
        try:
            k.call(lm, "tasklet", fn, arg)
        finally:
            t.state &= ~TASKLET_STATE_RUN
            task.in_irq = False
