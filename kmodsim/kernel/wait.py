"""Wait queues (include/linux/wait.h): a task sleeps until a condition holds, woken by
another task's wake_up(). `wait_event(wq, lambda: cond)` is C's `wait_event(wq, cond)`.

The condition is a function evaluated in the sleeper's module after each wake-up, so it sees
what the waker wrote; the wait channel is the queue's module and name (its variable's name).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import NamedTuple

from kmodsim.kernel import _current
from kmodsim.kernel.debug.atomic_sleep import might_sleep
from kmodsim.kernel.debug.hung_task import SCHEDULE_TIMED, hung_task_timeout, report_hung_wait
from kmodsim.kernel.errno import ERESTARTSYS
from kmodsim.kernel.sched import SIGNALLED, TIMED_OUT, channel, wait_on, wake
from kmodsim.kernel.time import HZ

MAX_SCHEDULE_TIMEOUT = 0x7FFFFFFFFFFFFFFF


class wait_queue_head_t:
    """wait_queue_head_t: who sleeps on it is the scheduler's business, not module memory."""

    kernel_named = True  # named after its variable at insmod: the wait channel
    __slots__ = ("name",)

    def __init__(self, name: str = "") -> None:
        self.name = name or f"#{os.urandom(4).hex()}"  # made at run time: a name of its own

    def __repr__(self) -> str:
        return f"<wait_queue_head_t {self.name}>"


def DECLARE_WAIT_QUEUE_HEAD(name: str = "") -> wait_queue_head_t:
    """`static DECLARE_WAIT_QUEUE_HEAD(wq);` is `wq = DECLARE_WAIT_QUEUE_HEAD()`."""
    return wait_queue_head_t(name)


def init_waitqueue_head(wq: wait_queue_head_t) -> None:
    pass  # nothing to reset: the sleepers are the scheduler's


class Blocked(NamedTuple):
    """What khungtaskd shows of a task asleep in an uninterruptible wait: the kernel
    functions it sleeps in under schedule() (innermost first), and the hint saying what it
    waits for (asked when it is reported)."""

    waits_in: list[str]
    why: Callable[[], str]


def _wait(wq: wait_queue_head_t, condition: Callable[[], object], timeout: float | None,
          interruptible: bool, blocked: Blocked | None = None) -> tuple[bool, float]:
    """Sleep until condition() holds: (held, seconds left of `timeout`); raises nothing,
    a signal returns (False, -1). An uninterruptible sleep that lasts longer than the
    hung-task timeout gets khungtaskd's report, once, as `blocked` describes it."""
    k = _current.entry()
    deadline = None if timeout is None else time.monotonic() + timeout
    # how long khungtaskd lets the sleep go unreported (0: for ever): it looks only at tasks
    # in state D, and only when it is on
    hung_after = hung_task_timeout() if blocked and not interruptible else 0.0
    woken = True  # False after a sleep cut short for khungtaskd: nobody woke the task
    while not (woken and condition()):
        might_sleep(k, "include/linux/wait.h:1")
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return bool(condition()), 0.0
        # each wake-up starts khungtaskd's count again (the task ran); a wait that times out
        # first is never reported
        watched = hung_after > 0 and (left is None or left > hung_after)
        outcome = wait_on(k, (channel("wq", wq),), hung_after if watched else left,
                          interruptible)
        if outcome == SIGNALLED:
            return False, -1.0
        woken = not (watched and outcome == TIMED_OUT)
        if not woken and blocked:
            report_hung_wait(k, hung_after, blocked.waits_in, blocked.why())
            hung_after = 0.0  # once per wait
    return True, (0.0 if deadline is None else max(0.0, deadline - time.monotonic()))


def _jiffies_left(seconds: float) -> int:
    return max(1, round(seconds * HZ))


def _event_blocked(call: str, wq: wait_queue_head_t, condition: Callable[[], object],
                   waits_in: list[str]) -> Blocked:
    def why() -> str:
        if condition():  # made true with no wake_up(): the task sleeps on
            return (f"{call}({wq.name})'s condition is true, but nobody woke the task: "
                    f"wake_up({wq.name}) after setting it")
        return (f"{call}({wq.name}) waits for a condition nobody has made true; "
                f"wake_up({wq.name}) after setting it")
    return Blocked(waits_in, why)


def wait_event(wq: wait_queue_head_t, condition: Callable[[], object]) -> None:
    """Sleep (uninterruptibly) until condition() is true."""
    # a macro: it sleeps in schedule() right under the module's function
    _wait(wq, condition, None, False, _event_blocked("wait_event", wq, condition, []))


def wait_event_interruptible(wq: wait_queue_head_t, condition: Callable[[], object]) -> int:
    """0 once condition() is true; -ERESTARTSYS if a signal (Ctrl-C) came first."""
    held, _ = _wait(wq, condition, None, interruptible=True)
    return 0 if held else -ERESTARTSYS


def wait_event_timeout(wq: wait_queue_head_t, condition: Callable[[], object],
                       timeout: int) -> int:
    """`timeout` in jiffies: the jiffies left (at least 1) once true, 0 if it timed out."""
    blocked = _event_blocked("wait_event_timeout", wq, condition, [SCHEDULE_TIMED])
    held, left = _wait(wq, condition, timeout / HZ, False, blocked)
    return _jiffies_left(left) if held else 0


def wait_event_interruptible_timeout(wq: wait_queue_head_t, condition: Callable[[], object],
                                     timeout: int) -> int:
    """Jiffies left (>= 1) once true, 0 on timeout, -ERESTARTSYS on a signal."""
    held, left = _wait(wq, condition, timeout / HZ, interruptible=True)
    if left < 0:
        return -ERESTARTSYS
    return _jiffies_left(left) if held else 0


def wake_up(wq: wait_queue_head_t) -> None:
    """Wake the tasks sleeping on `wq` (they run once this task sleeps or returns)."""
    wake(_current.entry(), channel("wq", wq))


wake_up_interruptible = wake_up
wake_up_all = wake_up
wake_up_interruptible_all = wake_up
