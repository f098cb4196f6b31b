"""Semaphores (include/linux/semaphore.h): up to `count` tasks in at once; the others sleep."""

from __future__ import annotations

import os

from kmodsim.kernel.debug.hung_task import SCHEDULE_FOREVER
from kmodsim.kernel.errno import EINTR
from kmodsim.kernel.wait import Blocked, _wait, wake_up


class semaphore:
    kernel_named = True
    __slots__ = ("count", "name")

    def __init__(self, count: int = 1, name: str = "") -> None:
        self.count = count
        self.name = name or f"#{os.urandom(4).hex()}"

    def __repr__(self) -> str:
        return f"<semaphore {self.name} count={self.count}>"


def DEFINE_SEMAPHORE(name: str = "", count: int = 1) -> semaphore:
    """`static DEFINE_SEMAPHORE(sem);` (count 1) is `sem = DEFINE_SEMAPHORE()`."""
    return semaphore(count, name)


def sema_init(sem: semaphore, val: int) -> None:
    sem.count = val


def down(sem: semaphore) -> None:
    """Take it; sleep (uninterruptibly) while the count is 0."""
    blocked = Blocked([SCHEDULE_FOREVER, "__down_common+0x11e/0x240", "down+0x43/0x60"],
                      lambda: f"down({sem.name}) waits for an up({sem.name}) that never came: "
                              f"each down() that takes the semaphore needs one once done")
    _wait(sem, lambda: sem.count > 0, None, False, blocked)  # type: ignore[arg-type]
    sem.count -= 1


def down_interruptible(sem: semaphore) -> int:
    """0 once taken; -EINTR if a signal (Ctrl-C) came first."""
    held, _ = _wait(sem, lambda: sem.count > 0, None, interruptible=True)  # type: ignore[arg-type]
    if not held:
        return -EINTR
    sem.count -= 1
    return 0


def down_trylock(sem: semaphore) -> int:
    """0 if taken, 1 if not (note: the opposite of mutex_trylock)."""
    if sem.count <= 0:
        return 1
    sem.count -= 1
    return 0


def up(sem: semaphore) -> None:
    sem.count += 1
    wake_up(sem)  # type: ignore[arg-type]
