"""Every write to /proc/failwrite logs a line and counts the write, then fails with -EINVAL.
Reading gives the count: the log line and the count survive the error."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")

writes = 0


def failwrite_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, b"%d\n" % writes)


def failwrite_write(file, buf, count, ppos):
    global writes
    pr_info("failwrite: write of %zu bytes\n", count)
    writes += 1
    return -EINVAL


failwrite_fops = proc_ops(proc_read=failwrite_read, proc_write=failwrite_write)


@module_init
def failwrite_init():
    if not proc_create("failwrite", 0o666, None, failwrite_fops):
        return -ENOMEM
    return 0


@module_exit
def failwrite_exit():
    remove_proc_entry("failwrite", None)
