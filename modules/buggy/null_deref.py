"""Bug: a pointer that was never set. Writing to /proc/null_deref uses it: an Oops."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")

config = None  # meant to be filled in by init, but init forgot
writes = 0


def null_write(file, buf, count, ppos):
    global writes
    writes += 1
    return config.limit  # config is None: NULL pointer dereference


null_fops = proc_ops(proc_write=null_write)


@module_init
def null_init():
    proc_create("null_deref", 0o666, None, null_fops)
    return 0


@module_exit
def null_exit():
    remove_proc_entry("null_deref", None)
