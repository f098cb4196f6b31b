"""A read-only /proc file: `cat /proc/helloworlddriver` says hello once, then end of file."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("/proc/helloworlddriver says hello")

PROC_NAME = "helloworlddriver"
MESSAGE = b"Hello world!\n"


def hello_read(file, buf, count, ppos):
    # Return the message on the first read; 0 (end of file) once the offset is past it.
    if ppos.value >= len(MESSAGE):
        return 0
    n = min(count, len(MESSAGE) - ppos.value)
    if copy_to_user(buf, MESSAGE[ppos.value:ppos.value + n], n):
        return -EFAULT
    ppos.value += n
    return n


hello_fops = proc_ops(proc_read=hello_read)


@module_init
def hello_init():
    if not proc_create(PROC_NAME, 0o444, None, hello_fops):
        pr_err("helloworlddriver: could not create /proc/%s\n", PROC_NAME)
        return -ENOMEM
    pr_info("helloworlddriver: /proc/%s created\n", PROC_NAME)
    return 0


@module_exit
def hello_exit():
    remove_proc_entry(PROC_NAME, None)
    pr_info("helloworlddriver: /proc/%s removed\n", PROC_NAME)
