"""Completions (include/linux/completion.h): one task waits until another says it is done."""

from __future__ import annotations

import os

from kmodsim.kernel.debug.hung_task import SCHEDULE_FOREVER, SCHEDULE_TIMED, WAIT_FOR_COMMON
from kmodsim.kernel.errno import ERESTARTSYS
from kmodsim.kernel.time import HZ
from kmodsim.kernel.wait import Blocked, _jiffies_left, _wait, wake_up, wake_up_all

UINT_MAX = 0xFFFFFFFF


class completion:
    """struct completion: how many waiters may pass (`done`), and its wait channel's name."""

    kernel_named = True
    __slots__ = ("done", "name")

    def __init__(self, name: str = "") -> None:
        self.done = 0
        self.name = name or f"#{os.urandom(4).hex()}"

    def __repr__(self) -> str:
        return f"<completion {self.name} done={self.done}>"


def DECLARE_COMPLETION(name: str = "") -> completion:
    """`static DECLARE_COMPLETION(c);` is `c = DECLARE_COMPLETION()`."""
    return completion(name)


def init_completion(c: completion) -> None:
    c.done = 0


reinit_completion = init_completion


def complete(c: completion) -> None:
    """Let one waiter (present or future) through."""
    if c.done != UINT_MAX:
        c.done += 1
    wake_up(c)  # type: ignore[arg-type]  # a completion's channel is its own queue's


def complete_all(c: completion) -> None:
    """Let every waiter through, from now on."""
    c.done = UINT_MAX
    wake_up_all(c)  # type: ignore[arg-type]


def _take(c: completion) -> None:
    if c.done != UINT_MAX:
        c.done -= 1


def _blocked(call: str, c: completion, schedule_timeout: str) -> Blocked:
    return Blocked([schedule_timeout, WAIT_FOR_COMMON],
                   lambda: f"{call}({c.name}) waits for a complete({c.name}) nobody has called")


def wait_for_completion(c: completion) -> None:
    _wait(c, lambda: c.done > 0, None, False,  # type: ignore[arg-type]
          _blocked("wait_for_completion", c, SCHEDULE_FOREVER))
    _take(c)


def wait_for_completion_timeout(c: completion, timeout: int) -> int:
    """`timeout` in jiffies: the jiffies left (>= 1) once completed, 0 if it timed out."""
    held, left = _wait(c, lambda: c.done > 0, timeout / HZ, False,  # type: ignore[arg-type]
                       _blocked("wait_for_completion_timeout", c, SCHEDULE_TIMED))
    if not held:
        return 0
    _take(c)
    return _jiffies_left(left)


def wait_for_completion_interruptible(c: completion) -> int:
    held, _ = _wait(c, lambda: c.done > 0, None, interruptible=True)  # type: ignore[arg-type]
    if not held:
        return -ERESTARTSYS
    _take(c)
    return 0


def try_wait_for_completion(c: completion) -> bool:
    if c.done == 0:
        return False
    _take(c)
    return True


def completion_done(c: completion) -> bool:
    return c.done != 0
