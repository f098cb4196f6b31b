"""Objects from a slab cache of their own: /proc/slabcache takes some and gives them back.

    echo alloc > /proc/slabcache   takes an object from the cache (numbered from 1)
    echo free > /proc/slabcache    gives the newest back
    cat /proc/slabcache            the objects held: "objects 2: 1 2"
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("Objects from a slab cache of their own")


class Obj:                              # struct obj {
    def __init__(self):
        self.serial = 0                 #     int serial;
        self.node = list_head()         #     struct list_head node;
                                        # };


obj_cache = None
objs = LIST_HEAD()
nobjs = 0
serial = 0
objs_lock = DEFINE_MUTEX()


def slabcache_show(m, v):
    seq_printf(m, "objects %d:", nobjs)
    for obj in list_for_each_entry(objs, Obj, "node"):
        seq_printf(m, " %d", obj.serial)
    seq_putc(m, "\n")
    return 0


def slabcache_open(inode, file):
    return single_open(file, slabcache_show, None)


def slabcache_alloc():
    global nobjs, serial
    obj = kmem_cache_alloc(obj_cache, GFP_KERNEL)
    if not obj:
        return -ENOMEM
    mutex_lock(objs_lock)
    serial += 1
    obj.serial = serial
    list_add(obj.node, objs)
    nobjs += 1
    mutex_unlock(objs_lock)
    pr_info("slabcache: object %d allocated\n", obj.serial)
    return 0


def slabcache_free():
    global nobjs
    mutex_lock(objs_lock)
    obj = list_first_entry_or_null(objs, Obj, "node")
    if not obj:
        mutex_unlock(objs_lock)
        return -ENOENT
    list_del(obj.node)
    nobjs -= 1
    mutex_unlock(objs_lock)
    pr_info("slabcache: object %d freed\n", obj.serial)
    kmem_cache_free(obj_cache, obj)
    return 0


def slabcache_write(file, buf, count, ppos):
    kbuf = bytearray(8)
    if copy_from_user(kbuf, buf, min(count, len(kbuf) - 1)):
        return -EFAULT
    if sysfs_streq(kbuf, "alloc"):
        ret = slabcache_alloc()
    elif sysfs_streq(kbuf, "free"):
        ret = slabcache_free()
    else:
        ret = -EINVAL
    return ret if ret < 0 else count


slabcache_fops = proc_ops(proc_open=slabcache_open, proc_read=seq_read, proc_lseek=seq_lseek,
                          proc_release=single_release, proc_write=slabcache_write)


@module_init
def slabcache_init():
    global obj_cache
    obj_cache = kmem_cache_create("slabcache_obj", sizeof(Obj), 0, SLAB_HWCACHE_ALIGN, None)
    if not obj_cache:
        return -ENOMEM
    if not proc_create("slabcache", 0o666, None, slabcache_fops):
        kmem_cache_destroy(obj_cache)
        return -ENOMEM
    pr_info("slabcache: cache created\n")
    return 0


@module_exit
def slabcache_exit():
    remove_proc_entry("slabcache", None)
    while slabcache_free() == 0:
        pass
    kmem_cache_destroy(obj_cache)
    pr_info("slabcache: cache destroyed\n")
