"""Mutexes and spinlocks (kernel/locking/), checked by lockdep (kernel/debug/lockdep.py).

A lock's state is module memory: a mutex left locked by one command is still locked in the
next. A task that wants a mutex another task holds sleeps until that task unlocks it (and
wakes it); if that takes longer than the hung-task timeout, khungtaskd's report says so.
A spinlocked section never sleeps, so no task can find a spinlock held by another.
"""

from __future__ import annotations

import time

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.debug import lockdep
from kmodsim.kernel.debug.atomic_sleep import might_sleep
from kmodsim.kernel.debug.hung_task import hung_task_timeout, report_hung_task
from kmodsim.kernel.errno import EINTR
from kmodsim.kernel.sched import (
    SIGNALLED,
    TIMED_OUT,
    channel,
    local_irq_restore,
    local_irq_save,
    wait_on,
    wake,
)


class _Lock:
    kind = "lock"
    kernel_named = True  # named after its variable at insmod (kmodsim.runtime.namespace)
    __slots__ = ("name", "owner", "owner_comm")

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.owner: int | None = None  # pid of the holding task
        self.owner_comm = ""

    @property
    def locked(self) -> bool:
        return self.owner is not None

    def __getstate__(self) -> tuple:
        return (self.name, self.owner, self.owner_comm)

    def __setstate__(self, state: tuple) -> None:
        self.name, self.owner, self.owner_comm = state

    def __repr__(self) -> str:
        held = f"held by pid {self.owner}" if self.owner is not None else "unlocked"
        return f"<{self.kind} {self.name or '?'} {held}>"


class mutex(_Lock):
    kind = "mutex"
    __slots__ = ()


class spinlock_t(_Lock):
    kind = "spinlock"
    __slots__ = ()


def DEFINE_MUTEX(name: str = "") -> mutex:
    return mutex(name)


def mutex_init(lock: mutex) -> None:
    lock.owner = None


def _wait_for(k: Kernel, lock: _Lock, interruptible: bool) -> bool:
    """Sleep until no other task holds `lock`; False if a signal ended the wait."""
    if lock.owner is None or lock.owner == k.task.pid:
        return True  # free (or ours: lockdep says so next)
    start = time.monotonic()
    timeout = hung_task_timeout()
    # until khungtaskd has reported this wait; it looks only at tasks in state D (0: it is off)
    watched = timeout > 0 and not interruptible
    while lock.owner is not None and lock.owner != k.task.pid:
        left = max(0.0, timeout - (time.monotonic() - start)) if watched else None
        outcome = wait_on(k, (channel("mutex", lock),), left, interruptible)
        if outcome == SIGNALLED:
            return False
        if outcome == TIMED_OUT and watched and lock.owner not in (None, k.task.pid):
            report_hung_task(k, lock, timeout)
            watched = False
    return True


def mutex_lock(lock: mutex) -> None:
    """Take the mutex; sleep (uninterruptibly) while another task holds it."""
    k = _current.entry()
    might_sleep(k, "kernel/locking/mutex.c:283")
    _wait_for(k, lock, interruptible=False)
    lockdep.acquire(k, lock)


def mutex_lock_interruptible(lock: mutex) -> int:
    """Like mutex_lock, but a signal (Ctrl-C) ends the wait: -EINTR, the lock not taken."""
    k = _current.entry()
    might_sleep(k, "kernel/locking/mutex.c:283")
    if not _wait_for(k, lock, interruptible=True):
        return -EINTR
    lockdep.acquire(k, lock)
    return 0


def mutex_trylock(lock: mutex) -> int:
    """1 if the lock was taken, 0 if it is held (by anyone, this task included)."""
    return 1 if lockdep.try_acquire(_current.entry(), lock) else 0


def mutex_unlock(lock: mutex) -> None:
    k = _current.entry()
    lockdep.release(k, lock)
    wake(k, channel("mutex", lock))


def mutex_is_locked(lock: mutex) -> bool:
    return lock.locked


def DEFINE_SPINLOCK(name: str = "") -> spinlock_t:
    return spinlock_t(name)


def spin_lock_init(lock: spinlock_t) -> None:
    lock.owner = None


def spin_lock(lock: spinlock_t) -> None:
    lockdep.acquire(_current.entry(), lock)


def spin_unlock(lock: spinlock_t) -> None:
    lockdep.release(_current.entry(), lock)


def spin_trylock(lock: spinlock_t) -> int:
    return 1 if lockdep.try_acquire(_current.entry(), lock) else 0


def spin_is_locked(lock: spinlock_t) -> bool:
    return lock.locked


def spin_lock_irqsave(lock: spinlock_t) -> int:
    """C's `spin_lock_irqsave(&lock, flags)` fills flags in: `flags = spin_lock_irqsave(lock)`."""
    entry = _current.entry()
    flags = local_irq_save(entry)
    lockdep.acquire(entry, lock)
    return flags


def spin_unlock_irqrestore(lock: spinlock_t, flags: int) -> None:
    entry = _current.entry()
    lockdep.release(entry, lock)
    local_irq_restore(entry, flags)


def spin_lock_irq(lock: spinlock_t) -> None:
    entry = _current.entry()
    local_irq_save(entry)
    lockdep.acquire(entry, lock)


def spin_unlock_irq(lock: spinlock_t) -> None:
    entry = _current.entry()
    lockdep.release(entry, lock)
    local_irq_restore(entry, 0)


def spin_lock_bh(lock: spinlock_t) -> None:
    spin_lock(lock)


def spin_unlock_bh(lock: spinlock_t) -> None:
    spin_unlock(lock)
