"""Locking bugs, one per command written to /proc/lockbugs:

    hold     take the mutex and return without unlocking it
    take     take the mutex (and unlock it): hangs if `hold` left it locked
    twice    take the mutex twice in a row (recursive locking)
    unlock   unlock a mutex nobody holds
    ab / ba  take two locks in one order, then in the other (circular dependency)
    atomic   sleep while holding a spinlock
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")

big_lock = DEFINE_MUTEX()
lock_a = DEFINE_MUTEX()
lock_b = DEFINE_MUTEX()
fast_lock = DEFINE_SPINLOCK()


def locks_write(file, buf, count, ppos):
    cmd = bytearray(count)
    if copy_from_user(cmd, buf, count):
        return -EFAULT
    cmd = bytes(cmd).strip()
    if cmd == b"hold":
        mutex_lock(big_lock)
    elif cmd == b"take":
        mutex_lock(big_lock)
        mutex_unlock(big_lock)
    elif cmd == b"twice":
        mutex_lock(big_lock)
        mutex_lock(big_lock)
    elif cmd == b"unlock":
        mutex_unlock(big_lock)
    elif cmd == b"ab":
        mutex_lock(lock_a)
        mutex_lock(lock_b)
        mutex_unlock(lock_b)
        mutex_unlock(lock_a)
    elif cmd == b"ba":
        mutex_lock(lock_b)
        mutex_lock(lock_a)
        mutex_unlock(lock_a)
        mutex_unlock(lock_b)
    elif cmd == b"atomic":
        spin_lock(fast_lock)
        msleep(1)
        spin_unlock(fast_lock)
    else:
        return -EINVAL
    return count


locks_fops = proc_ops(proc_write=locks_write)


@module_init
def locks_init():
    proc_create("lockbugs", 0o666, None, locks_fops)
    return 0


@module_exit
def locks_exit():
    remove_proc_entry("lockbugs", None)
