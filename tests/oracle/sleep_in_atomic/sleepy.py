"""Writing to /proc/sleepy sleeps while holding a spinlock (the `atomic` bug of
modules/buggy/locks, under a /proc name that the kernel does not already use)."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")

fast_lock = DEFINE_SPINLOCK()


def sleepy_write(file, buf, count, ppos):
    spin_lock(fast_lock)
    msleep(1)
    spin_unlock(fast_lock)
    return count


sleepy_fops = proc_ops(proc_write=sleepy_write)


@module_init
def sleepy_init():
    if not proc_create("sleepy", 0o666, None, sleepy_fops):
        return -ENOMEM
    return 0


@module_exit
def sleepy_exit():
    remove_proc_entry("sleepy", None)
