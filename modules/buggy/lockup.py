"""Bug: a loop whose condition never changes. Writing to /proc/lockup spins forever,
until the soft-lockup watchdog stops it."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


def lockup_write(file, buf, count, ppos):
    done = 0
    while done < count:  # forgot `done += 1`
        pass
    return count


lockup_fops = proc_ops(proc_write=lockup_write)


@module_init
def lockup_init():
    proc_create("lockup", 0o666, None, lockup_fops)
    return 0


@module_exit
def lockup_exit():
    remove_proc_entry("lockup", None)
