"""Bug: a read handler that never returns 0, because it never advances *ppos.
`cat /proc/runaway_read` would print forever."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")

MESSAGE = b"Hello again\n"


def runaway_read(file, buf, count, ppos):
    if copy_to_user(buf, MESSAGE, len(MESSAGE)):
        return -EFAULT
    return len(MESSAGE)  # forgot: ppos.value += len(MESSAGE), and return 0 at the end


runaway_fops = proc_ops(proc_read=runaway_read)


@module_init
def runaway_init():
    proc_create("runaway_read", 0o444, None, runaway_fops)
    return 0


@module_exit
def runaway_exit():
    remove_proc_entry("runaway_read", None)
