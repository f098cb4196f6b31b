"""The counter of locked.py in /proc/locked, its read-sleep-write update under a mutex: a second
writer sleeps in mutex_lock until the first unlocks, so no update is lost."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("A /proc counter whose read-sleep-write update holds a mutex")

counter = 0
counter_lock = DEFINE_MUTEX()


def locked_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, b"%d\n" % counter)


def locked_write(file, buf, count, ppos):
    global counter
    mutex_lock(counter_lock)  # a second writer sleeps here ...
    tmp = counter
    msleep(100)
    counter = tmp + 1
    mutex_unlock(counter_lock)  # ... until this wakes it
    return count


locked_fops = proc_ops(proc_read=locked_read, proc_write=locked_write)


@module_init
def locked_init():
    if not proc_create("locked", 0o666, None, locked_fops):
        return -ENOMEM
    return 0


@module_exit
def locked_exit():
    remove_proc_entry("locked", None)
