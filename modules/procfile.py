"""/proc/procfile keeps what is written to it and gives it back when read.

Up to PROCFS_MAX_SIZE bytes are kept: a longer write is cut to that size (the rest is
dropped, and the handler says so in the log), as LKMPG's procfs2 does.
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("A /proc file that remembers what was written to it")

PROCFS_NAME = "procfile"
PROCFS_MAX_SIZE = 1024

procfs_buffer = bytearray(PROCFS_MAX_SIZE)
procfs_buffer_size = 0


def procfile_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, procfs_buffer, procfs_buffer_size)


def procfile_write(file, buf, count, ppos):
    global procfs_buffer_size
    size = min(count, PROCFS_MAX_SIZE)
    if size < count:
        pr_warn("procfile: write of %zu bytes cut to %d\n", count, PROCFS_MAX_SIZE)
    if copy_from_user(procfs_buffer, buf, size):
        return -EFAULT
    procfs_buffer_size = size
    pr_info("procfile: stored %zu bytes\n", size)
    return count


procfile_fops = proc_ops(proc_read=procfile_read, proc_write=procfile_write)


@module_init
def procfile_init():
    if not proc_create(PROCFS_NAME, 0o666, None, procfile_fops):
        pr_alert("Error: could not initialize /proc/%s\n", PROCFS_NAME)
        return -ENOMEM
    pr_info("/proc/%s created\n", PROCFS_NAME)
    return 0


@module_exit
def procfile_exit():
    remove_proc_entry(PROCFS_NAME, None)
    pr_info("/proc/%s removed\n", PROCFS_NAME)
