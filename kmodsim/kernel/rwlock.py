"""Reader-writer spinlocks (include/linux/rwlock.h) and sequence locks (include/linux/seqlock.h),
checked by lockdep as spinlocks are.

`static DEFINE_RWLOCK(lock);` is `lock = DEFINE_RWLOCK()`. Many readers may hold an rwlock
at once, a writer alone. Like a spinlock it never sleeps: a task that would spin on it forever
(a writer while it holds the read side itself, or while another task left it held) gets
lockdep's report instead of a hang. The _irqsave forms return the flags C's macros fill in:
`flags = read_lock_irqsave(lock)`.

A seqlock_t lets readers run without locking and retry if a writer came by:

    while True:                          # do {
        seq = read_seqbegin(lock)        #     seq = read_seqbegin(&lock);
        a, b = x, y                      #     a = x; b = y;
        if not read_seqretry(lock, seq): # } while (read_seqretry(&lock, seq));
            break
"""

from __future__ import annotations

from kmodsim.kernel import _current
from kmodsim.kernel.debug import lockdep
from kmodsim.kernel.locking import _Lock
from kmodsim.kernel.sched import local_irq_restore, local_irq_save


class rwlock_t(_Lock):
    """rwlock_t: `readers` lists the (pid, comm) of each read hold; `owner` is the writer."""

    kind = "rwlock"
    __slots__ = ("readers",)

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.readers: list[tuple[int, str]] = []

    def __getstate__(self) -> tuple:
        return (self.name, self.owner, self.owner_comm, self.readers)

    def __setstate__(self, state: tuple) -> None:
        self.name, self.owner, self.owner_comm, self.readers = state

    def __repr__(self) -> str:
        if self.owner is not None:
            return f"<rwlock {self.name or '?'} write-held by pid {self.owner}>"
        if self.readers:
            return f"<rwlock {self.name or '?'} read-held {len(self.readers)} times>"
        return f"<rwlock {self.name or '?'} unlocked>"


def DEFINE_RWLOCK(name: str = "") -> rwlock_t:
    return rwlock_t(name)


def rwlock_init(lock: rwlock_t) -> None:
    lock.owner = None
    lock.owner_comm = ""
    lock.readers = []


def read_lock(lock: rwlock_t) -> None:
    """Take the read side: with other readers, never while a writer holds it."""
    k = _current.entry()
    lockdep.acquire(k, lock)  # a writer holds it: lockdep's report (this task can't wait)
    lock.owner = None
    lock.owner_comm = ""
    lock.readers.append((k.task.pid, k.task.comm))


def read_trylock(lock: rwlock_t) -> int:
    k = _current.entry()
    if not lockdep.try_acquire(k, lock):
        return 0
    lock.owner = None
    lock.owner_comm = ""
    lock.readers.append((k.task.pid, k.task.comm))
    return 1


def read_unlock(lock: rwlock_t) -> None:
    k = _current.entry()
    mine = next((i for i, (pid, _) in enumerate(lock.readers) if pid == k.task.pid), None)
    if mine is None:
        lockdep.release(k, lock)  # not read-held by this task: bad unlock balance
        return
    del lock.readers[mine]
    lockdep.release(k, lock)


def write_lock(lock: rwlock_t) -> None:
    """Take the write side: no reader and no other writer may hold it."""
    k = _current.entry()
    if lock.readers and lock.owner is None:
        pid, comm = next(((p, c) for p, c in lock.readers if p == k.task.pid),
                         lock.readers[0])
        lock.owner, lock.owner_comm = pid, comm  # as lockdep sees it: held, by that reader
        try:
            lockdep.acquire(k, lock)
        finally:
            lock.owner, lock.owner_comm = None, ""
    lockdep.acquire(k, lock)


def write_trylock(lock: rwlock_t) -> int:
    if lock.readers:
        return 0
    return 1 if lockdep.try_acquire(_current.entry(), lock) else 0


def write_unlock(lock: rwlock_t) -> None:
    k = _current.entry()
    if lock.owner != k.task.pid and lock.readers:
        lockdep.release(k, lock)  # read-held, not write-held: bad unlock balance
        return
    lockdep.release(k, lock)


def read_lock_irqsave(lock: rwlock_t) -> int:
    """C's `read_lock_irqsave(&lock, flags)`: `flags = read_lock_irqsave(lock)`."""
    flags = local_irq_save(_current.entry())
    read_lock(lock)
    return flags


def read_unlock_irqrestore(lock: rwlock_t, flags: int) -> None:
    read_unlock(lock)
    local_irq_restore(_current.entry(), flags)


def write_lock_irqsave(lock: rwlock_t) -> int:
    """C's `write_lock_irqsave(&lock, flags)`: `flags = write_lock_irqsave(lock)`."""
    flags = local_irq_save(_current.entry())
    write_lock(lock)
    return flags


def write_unlock_irqrestore(lock: rwlock_t, flags: int) -> None:
    write_unlock(lock)
    local_irq_restore(_current.entry(), flags)


def read_lock_irq(lock: rwlock_t) -> None:
    local_irq_save(_current.entry())
    read_lock(lock)


def read_unlock_irq(lock: rwlock_t) -> None:
    read_unlock(lock)
    local_irq_restore(_current.entry(), 0)


def write_lock_irq(lock: rwlock_t) -> None:
    local_irq_save(_current.entry())
    write_lock(lock)


def write_unlock_irq(lock: rwlock_t) -> None:
    write_unlock(lock)
    local_irq_restore(_current.entry(), 0)


def read_lock_bh(lock: rwlock_t) -> None:
    read_lock(lock)


def read_unlock_bh(lock: rwlock_t) -> None:
    read_unlock(lock)


def write_lock_bh(lock: rwlock_t) -> None:
    write_lock(lock)


def write_unlock_bh(lock: rwlock_t) -> None:
    write_unlock(lock)


# -- sequence locks --------------------------------------------------------------------------

class seqcount_t:
    """seqcount_t: a sequence counter, odd while a write is under way."""

    __slots__ = ("sequence",)

    def __init__(self) -> None:
        self.sequence = 0

    def __getstate__(self) -> tuple:
        return (self.sequence,)

    def __setstate__(self, state: tuple) -> None:
        (self.sequence,) = state

    def __repr__(self) -> str:
        return f"seqcount_t({self.sequence})"


def SEQCNT_ZERO() -> seqcount_t:
    return seqcount_t()


def seqcount_init(s: seqcount_t) -> None:
    s.sequence = 0


def read_seqcount_begin(s: seqcount_t) -> int:
    return s.sequence & ~1


def read_seqcount_retry(s: seqcount_t, start: int) -> bool:
    return s.sequence != start


def write_seqcount_begin(s: seqcount_t) -> None:
    s.sequence += 1


def write_seqcount_end(s: seqcount_t) -> None:
    s.sequence += 1


class seqlock_t(_Lock):
    """seqlock_t: a sequence counter and the spinlock its writers take."""

    kind = "seqlock"
    __slots__ = ("sequence",)

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.sequence = 0

    def __getstate__(self) -> tuple:
        return (self.name, self.owner, self.owner_comm, self.sequence)

    def __setstate__(self, state: tuple) -> None:
        self.name, self.owner, self.owner_comm, self.sequence = state

    def __repr__(self) -> str:
        return f"<seqlock {self.name or '?'} sequence {self.sequence}>"


def DEFINE_SEQLOCK(name: str = "") -> seqlock_t:
    """`static DEFINE_SEQLOCK(lock);` is `lock = DEFINE_SEQLOCK()`."""
    return seqlock_t(name)


def seqlock_init(sl: seqlock_t) -> None:
    sl.owner = None
    sl.owner_comm = ""
    sl.sequence = 0


def read_seqbegin(sl: seqlock_t) -> int:
    """The sequence to check with read_seqretry(). While a write is under way C spins
    until it ends; here the writer can only be this task (or one that left it held), so
    the spin would never end: lockdep's report instead."""
    if sl.sequence & 1:
        lockdep.acquire(_current.entry(), sl)
    return sl.sequence


def read_seqretry(sl: seqlock_t, start: int) -> bool:
    """True when a writer came by since read_seqbegin(): read again."""
    return sl.sequence != start


def write_seqlock(sl: seqlock_t) -> None:
    lockdep.acquire(_current.entry(), sl)
    sl.sequence += 1


def write_sequnlock(sl: seqlock_t) -> None:
    sl.sequence += 1
    lockdep.release(_current.entry(), sl)


def write_seqlock_irqsave(sl: seqlock_t) -> int:
    flags = local_irq_save(_current.entry())
    write_seqlock(sl)
    return flags


def write_sequnlock_irqrestore(sl: seqlock_t, flags: int) -> None:
    write_sequnlock(sl)
    local_irq_restore(_current.entry(), flags)


def write_seqlock_bh(sl: seqlock_t) -> None:
    write_seqlock(sl)


def write_sequnlock_bh(sl: seqlock_t) -> None:
    write_sequnlock(sl)


def read_seqlock_excl(sl: seqlock_t) -> None:
    lockdep.acquire(_current.entry(), sl)


def read_sequnlock_excl(sl: seqlock_t) -> None:
    lockdep.release(_current.entry(), sl)


__all__ = ["DEFINE_RWLOCK", "DEFINE_SEQLOCK", "SEQCNT_ZERO", "read_lock", "read_lock_bh",
           "read_lock_irq", "read_lock_irqsave", "read_seqbegin",
           "read_seqcount_begin", "read_seqcount_retry", "read_seqlock_excl",
           "read_seqretry", "read_sequnlock_excl", "read_trylock", "read_unlock",
           "read_unlock_bh", "read_unlock_irq", "read_unlock_irqrestore",
           "rwlock_init", "rwlock_t", "seqcount_init", "seqcount_t", "seqlock_init",
           "seqlock_t", "write_lock", "write_lock_bh", "write_lock_irq",
           "write_lock_irqsave", "write_seqcount_begin", "write_seqcount_end",
           "write_seqlock", "write_seqlock_bh", "write_seqlock_irqsave",
           "write_sequnlock", "write_sequnlock_bh", "write_sequnlock_irqrestore",
           "write_trylock", "write_unlock", "write_unlock_bh", "write_unlock_irq",
           "write_unlock_irqrestore"]
