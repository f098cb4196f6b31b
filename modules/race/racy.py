"""A counter in /proc/racy with a race: each write reads the counter, sleeps 100 ms, and writes
back one more. Two writers at once both read the same value, and one update is lost."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("A /proc counter whose read-sleep-write update races")

counter = 0


def racy_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, b"%d\n" % counter)


def racy_write(file, buf, count, ppos):
    global counter
    tmp = counter     # read ...
    msleep(100)        # ... another writer runs meanwhile ...
    counter = tmp + 1  # ... and this write undoes its update
    return count


racy_fops = proc_ops(proc_read=racy_read, proc_write=racy_write)


@module_init
def racy_init():
    if not proc_create("racy", 0o666, None, racy_fops):
        return -ENOMEM
    return 0


@module_exit
def racy_exit():
    remove_proc_entry("racy", None)
