"""The task a command runs as (include/linux/sched.h): who it is, what context it is in, and
sleeping. A task lives as long as its kernel entry; nothing of it is stored.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmodsim.kernel._current import Kernel
    from kmodsim.kernel.debug.lockdep import Held
    from kmodsim.kernel.debug.watchdog import Watchdog


class Task:
    """struct task_struct, the little of it the kernel's reports and checks need."""

    __slots__ = ("pid", "comm", "uid", "kind", "irqs_disabled", "in_irq", "held", "watchdog")

    def __init__(self, comm: str = "sh", uid: int = 1000) -> None:
        self.pid = os.getpid()
        self.comm = comm  # the program's name, as reports print it (cat, insmod, sh)
        self.uid = uid  # 0: root (kmod sh, the tutorials' sudo); 1000: an ordinary user
        self.kind = ""  # the hook running: init, exit, read, write, open, release, timer
        self.irqs_disabled = 0  # local_irq_save() depth
        self.in_irq = False  # running a timer callback (softirq: may not sleep)
        self.held: list[Held] = []  # locks held, in the order taken (lockdep's held_locks)
        self.watchdog: Watchdog | None = None  # armed while module code runs


def sleep(k: Kernel, seconds: float) -> None:
    """The task sleeps: real time passes, and the soft-lockup watchdog is not counting."""
    watchdog = k.task.watchdog
    if watchdog is not None:
        watchdog.pause()
    try:
        if seconds > 0:
            time.sleep(seconds)
    finally:
        if watchdog is not None:
            watchdog.resume()


def local_irq_save(k: Kernel) -> int:
    task = k.task
    flags = 0 if task.irqs_disabled else 0x200  # X86_EFLAGS_IF
    task.irqs_disabled += 1
    return flags


def local_irq_restore(k: Kernel, flags: int) -> None:
    task = k.task
    task.irqs_disabled = max(0, task.irqs_disabled - 1)
