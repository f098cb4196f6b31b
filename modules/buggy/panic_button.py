"""Bug (on purpose): writing anything to /proc/panic_button calls panic()."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


def panic_write(file, buf, count, ppos):
    panic("panic_button: pressed with %zu bytes", count)
    return count


panic_fops = proc_ops(proc_write=panic_write)


@module_init
def panic_init():
    proc_create("panic_button", 0o666, None, panic_fops)
    return 0


@module_exit
def panic_exit():
    remove_proc_entry("panic_button", None)
