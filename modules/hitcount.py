"""Statistics of /proc/hitcount, kept in atomic counters: no lock needed, however many tasks
read and write at once.

    cat /proc/hitcount            opens 3, reads 2, writes 1, bytes 6
    echo hello > /proc/hitcount   counts a write of 6 bytes
    echo reset > /proc/hitcount   sets every counter back to 0
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("Statistics of a /proc file, kept in atomic counters")

opens = ATOMIC_INIT(0)
reads = ATOMIC_INIT(0)
writes = ATOMIC_INIT(0)
nbytes = ATOMIC64_INIT(0)


def hitcount_show(m, v):
    seq_printf(m, "opens %d, reads %d, writes %d, bytes %lld\n", atomic_read(opens),
               atomic_inc_return(reads), atomic_read(writes), atomic64_read(nbytes))
    return 0


def hitcount_open(inode, file):
    atomic_inc(opens)
    return single_open(file, hitcount_show, None)


def hitcount_write(file, buf, count, ppos):
    kbuf = bytearray(8)
    if copy_from_user(kbuf, buf, min(count, len(kbuf) - 1)):
        return -EFAULT
    if sysfs_streq(kbuf, "reset"):
        old = atomic_xchg(writes, 0)
        atomic_set(opens, 0)
        atomic_set(reads, 0)
        atomic64_set(nbytes, 0)
        pr_info("hitcount: reset after %d writes\n", old)
        return count
    if atomic_inc_return(writes) == 1:
        pr_info("hitcount: first write\n")
    atomic64_add(count, nbytes)
    return count


hitcount_fops = proc_ops(proc_open=hitcount_open, proc_read=seq_read, proc_lseek=seq_lseek,
                         proc_release=single_release, proc_write=hitcount_write)


@module_init
def hitcount_init():
    if not proc_create("hitcount", 0o666, None, hitcount_fops):
        return -ENOMEM
    pr_info("hitcount: loaded\n")
    return 0


@module_exit
def hitcount_exit():
    remove_proc_entry("hitcount", None)
    pr_info("hitcount: %d opens, %d writes, %lld bytes\n", atomic_read(opens),
            atomic_read(writes), atomic64_read(nbytes))
