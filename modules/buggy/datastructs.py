"""Bugs with the kernel's data structures, one per command written to /proc/datastructs
(`add` first, to have entries on the list):

    add        put a new entry on the list
    deldel     list_del() the first entry twice: `list_del corruption`, a BUG
    iterdel    list_del() each entry inside a plain list_for_each_entry(): the loop goes on
               through the poisoned pointer, a general protection fault
    freed      kfree() the first entry but leave it on the list, then walk the list:
               use-after-free
    refs       drop a reference twice: `refcount_t: underflow; use-after-free.`
    cache      destroy a slab cache that still has an object: `Slab cache still has objects`
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


class Entry:                             # struct entry {
    def __init__(self):
        self.value = 0                   #     int value;
        self.node = list_head()          #     struct list_head node;
                                         # };


entries = LIST_HEAD()
nentries = 0


def entry_ctor(obj):
    pass


def datastructs_write(file, buf, count, ppos):
    global nentries
    cmd = bytearray(16)
    if count >= len(cmd) or copy_from_user(cmd, buf, count):
        return -EFAULT
    if sysfs_streq(cmd, "add"):
        entry = kzalloc(sizeof(Entry), GFP_KERNEL)
        nentries += 1
        entry.value = nentries
        list_add_tail(entry.node, entries)
    elif sysfs_streq(cmd, "deldel"):
        entry = list_first_entry(entries, Entry, "node")
        list_del(entry.node)
        list_del(entry.node)  # the bug: it is no longer on any list
    elif sysfs_streq(cmd, "iterdel"):
        for entry in list_for_each_entry(entries, Entry, "node"):
            pr_info("datastructs: deleting %d\n", entry.value)
            list_del(entry.node)  # the bug: the loop reads entry's next afterwards
    elif sysfs_streq(cmd, "freed"):
        entry = list_first_entry(entries, Entry, "node")
        kfree(entry)  # the bug: still on the list
        for entry in list_for_each_entry(entries, Entry, "node"):
            pr_info("datastructs: entry %d\n", entry.value)
    elif sysfs_streq(cmd, "refs"):
        refs = REFCOUNT_INIT(1)
        if refcount_dec_and_test(refs):
            pr_info("datastructs: last reference dropped\n")
        if refcount_dec_and_test(refs):  # the bug: one put too many
            pr_info("datastructs: last reference dropped again\n")
    elif sysfs_streq(cmd, "cache"):
        cache = kmem_cache_create("datastructs_entry", sizeof(Entry), 0, 0, entry_ctor)
        kmem_cache_alloc(cache, GFP_KERNEL)
        kmem_cache_destroy(cache)  # the bug: the object was never freed
    else:
        return -EINVAL
    return count


datastructs_fops = proc_ops(proc_write=datastructs_write)


@module_init
def datastructs_init():
    proc_create("datastructs", 0o666, None, datastructs_fops)
    return 0


@module_exit
def datastructs_exit():
    remove_proc_entry("datastructs", None)
