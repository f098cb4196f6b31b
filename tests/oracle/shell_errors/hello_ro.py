"""/proc/hello_ro, mode 0444, read only (no write handler)."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


def hello_ro_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, b"hello\n")


hello_ro_fops = proc_ops(proc_read=hello_ro_read)


@module_init
def hello_ro_init():
    if not proc_create("hello_ro", 0o444, None, hello_ro_fops):
        return -ENOMEM
    return 0


@module_exit
def hello_ro_exit():
    remove_proc_entry("hello_ro", None)
