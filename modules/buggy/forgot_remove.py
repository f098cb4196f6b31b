"""Bug: the exit function forgets remove_proc_entry(). After rmmod, /proc/forgot_remove is
still there, pointing at code that is gone."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


def forgot_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, b"still here\n")


forgot_fops = proc_ops(proc_read=forgot_read)


@module_init
def forgot_init():
    if not proc_create("forgot_remove", 0o444, None, forgot_fops):
        return -ENOMEM
    return 0


@module_exit
def forgot_exit():
    pr_info("forgot_remove: bye\n")  # and no remove_proc_entry()
