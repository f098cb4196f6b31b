"""Alice's counter: /proc/counter counts the I and D written to it. Correct."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("Alice")
MODULE_DESCRIPTION("A counter in /proc")

counter = 0
counter_lock = DEFINE_MUTEX()


def counter_read(file, buf, count, ppos):
    mutex_lock(counter_lock)
    text = b"%d\n" % counter
    mutex_unlock(counter_lock)
    return simple_read_from_buffer(buf, count, ppos, text)


def counter_write(file, buf, count, ppos):
    global counter
    cmd = bytearray(1)
    if count < 1 or copy_from_user(cmd, buf, 1):
        return -EFAULT
    if cmd not in (b"I", b"D"):
        return -EINVAL
    mutex_lock(counter_lock)
    counter += 1 if cmd == b"I" else -1
    mutex_unlock(counter_lock)
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
    remove_proc_entry("counter", None)
    pr_info("counter: unloaded\n")
