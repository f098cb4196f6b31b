"""An allocator of small ids in a bitmap: /proc/idalloc hands out the lowest free id.

    echo get > /proc/idalloc      allocates an id (the log says which)
    echo put 3 > /proc/idalloc    frees id 3
    cat /proc/idalloc             the ids in use: "ids 0 1 2 (3 of 16 in use)"

The number of ids is a parameter: insmod idalloc.ko max_ids=64 (at most 256).
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("An allocator of small ids, kept in a bitmap")

MAX_IDS = 256

max_ids = 16
module_param("max_ids", "uint", 0o444)
MODULE_PARM_DESC("max_ids", "how many ids there are (at most 256)")

ids = DECLARE_BITMAP(MAX_IDS)
ids_lock = DEFINE_SPINLOCK()


def idalloc_get():
    spin_lock(ids_lock)
    id = find_first_zero_bit(ids, max_ids)
    if id >= max_ids:
        spin_unlock(ids_lock)
        return -ENOSPC
    set_bit(id, ids)
    spin_unlock(ids_lock)
    return id


def idalloc_put(id):
    if id < 0 or id >= max_ids:
        return -EINVAL
    if not test_and_clear_bit(id, ids):
        pr_warn("idalloc: id %d was not allocated\n", id)
        return -EINVAL
    return 0


def idalloc_show(m, v):
    seq_puts(m, "ids")
    for id in for_each_set_bit(ids, max_ids):
        seq_printf(m, " %d", id)
    seq_printf(m, " (%d of %u in use)\n", bitmap_weight(ids, max_ids), max_ids)
    return 0


def idalloc_open(inode, file):
    return single_open(file, idalloc_show, None)


def idalloc_write(file, buf, count, ppos):
    kbuf = bytearray(16)
    if count >= len(kbuf):
        return -EINVAL
    if copy_from_user(kbuf, buf, count):
        return -EFAULT
    n, cmd, id = sscanf(kbuf, "%3s %d")
    if n == 1 and strcmp(cmd, "get") == 0:
        ret = idalloc_get()
        if ret >= 0:
            pr_info("idalloc: got id %d\n", ret)
    elif n == 2 and strcmp(cmd, "put") == 0:
        ret = idalloc_put(id)
        if ret == 0:
            pr_info("idalloc: put id %d\n", id)
    else:
        ret = -EINVAL
    return ret if ret < 0 else count


idalloc_fops = proc_ops(proc_open=idalloc_open, proc_read=seq_read, proc_lseek=seq_lseek,
                        proc_release=single_release, proc_write=idalloc_write)


@module_init
def idalloc_init():
    if max_ids == 0 or max_ids > MAX_IDS:
        pr_err("idalloc: max_ids must be 1 to %d\n", MAX_IDS)
        return -EINVAL
    if not proc_create("idalloc", 0o666, None, idalloc_fops):
        return -ENOMEM
    pr_info("idalloc: %u ids\n", max_ids)
    return 0


@module_exit
def idalloc_exit():
    remove_proc_entry("idalloc", None)
    pr_info("idalloc: %d ids still in use\n", bitmap_weight(ids, max_ids))
