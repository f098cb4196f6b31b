"""Bob's counter: the same assignment, with three classic bugs:

1. the write handler kmalloc()s a copy of the command and never kfree()s it (a leak);
2. a decrement updates `stats`, a pointer nobody ever set (a NULL pointer dereference);
3. the exit function forgets remove_proc_entry() (the entry outlives the module).
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("Bob")
MODULE_DESCRIPTION("A counter in /proc")

counter = 0
counter_lock = DEFINE_MUTEX()
stats = None  # meant to point at the statistics: never set


def counter_read(file, buf, count, ppos):
    mutex_lock(counter_lock)
    text = b"%d\n" % counter
    mutex_unlock(counter_lock)
    return simple_read_from_buffer(buf, count, ppos, text)


def counter_write(file, buf, count, ppos):
    global counter
    cmd = kmalloc(count, GFP_KERNEL)  # bug 1: never kfree()d
    if count < 1 or copy_from_user(cmd, buf, count):
        return -EFAULT
    if cmd[0:1] not in (b"I", b"D"):
        return -EINVAL
    mutex_lock(counter_lock)
    counter += 1 if cmd[0:1] == b"I" else -1
    mutex_unlock(counter_lock)
    if cmd[0:1] == b"D":
        stats.decrements += 1  # bug 2: stats is NULL
    return count


counter_fops = proc_ops(proc_read=counter_read, proc_write=counter_write)


@module_init
def counter_init():
    if not proc_create("counter", 0o666, None, counter_fops):
        return -ENOMEM
    pr_info("counter: loaded\n")
    return 0


@module_exit
def counter_exit():
    pr_info("counter: unloaded\n")  # bug 3: no remove_proc_entry("counter", None)
