"""A list of items in /proc/itemlist: a linked list of structs built from /proc writes, printed
with seq_file.

    echo add apple > /proc/itemlist    adds an item, numbered from 1
    echo del 2 > /proc/itemlist        removes item 2
    echo clear > /proc/itemlist        removes them all
    cat /proc/itemlist                 lists them, one a line: "1 apple"
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("A linked list of items, built from /proc writes and printed with seq_file")

NAME_LEN = 16


class Item:                              # struct item {
    def __init__(self):
        self.id = 0                      #     int id;
        self.name = bytearray(NAME_LEN)  #     char name[NAME_LEN];
        self.node = list_head()          #     struct list_head node;
                                         # };


items = LIST_HEAD()
items_lock = DEFINE_MUTEX()
next_id = 1


def item_del(item):
    list_del(item.node)
    kfree(item)


# -- reading: one item a line, through seq_file ------------------------------------------------

def itemlist_start(m, pos):
    mutex_lock(items_lock)
    return seq_list_start(items, pos.value)


def itemlist_next(m, v, pos):
    return seq_list_next(v, items, pos)


def itemlist_stop(m, v):
    mutex_unlock(items_lock)


def itemlist_show(m, v):
    item = list_entry(v, Item, "node")
    seq_printf(m, "%d %s\n", item.id, item.name)
    return 0


itemlist_seq_ops = seq_operations(start=itemlist_start, next=itemlist_next,
                                  stop=itemlist_stop, show=itemlist_show)


def itemlist_open(inode, file):
    return seq_open(file, itemlist_seq_ops)


# -- writing: add NAME, del ID, clear -----------------------------------------------------------

def itemlist_add(name):
    global next_id
    item = kzalloc(sizeof(Item), GFP_KERNEL)
    if not item:
        return -ENOMEM
    if strscpy(item.name, name, NAME_LEN) < 0:
        kfree(item)
        return -E2BIG
    mutex_lock(items_lock)
    item.id = next_id
    next_id += 1
    list_add_tail(item.node, items)
    mutex_unlock(items_lock)
    pr_info("itemlist: added %d %s\n", item.id, item.name)
    return 0


def itemlist_del(id):
    mutex_lock(items_lock)
    for item in list_for_each_entry(items, Item, "node"):
        if item.id == id:
            item_del(item)
            mutex_unlock(items_lock)
            pr_info("itemlist: deleted %d\n", id)
            return 0
    mutex_unlock(items_lock)
    return -ENOENT


def itemlist_clear():
    count = 0
    mutex_lock(items_lock)
    for item in list_for_each_entry_safe(items, Item, "node"):
        item_del(item)
        count += 1
    mutex_unlock(items_lock)
    return count


def itemlist_write(file, buf, count, ppos):
    kbuf = bytearray(64)
    if count >= len(kbuf):
        return -EINVAL
    if copy_from_user(kbuf, buf, count):
        return -EFAULT
    n, cmd, arg = sscanf(kbuf, "%7s %15s")
    if n == 2 and strcmp(cmd, "add") == 0:
        ret = itemlist_add(arg)
    elif n == 2 and strcmp(cmd, "del") == 0:
        err, id = kstrtoint(arg, 10)
        ret = err if err else itemlist_del(id)
    elif n == 1 and strcmp(cmd, "clear") == 0:
        pr_info("itemlist: cleared %d\n", itemlist_clear())
        ret = 0
    else:
        ret = -EINVAL
    return ret if ret < 0 else count


itemlist_fops = proc_ops(proc_open=itemlist_open, proc_read=seq_read, proc_lseek=seq_lseek,
                         proc_release=seq_release, proc_write=itemlist_write)


@module_init
def itemlist_init():
    if not proc_create("itemlist", 0o666, None, itemlist_fops):
        return -ENOMEM
    pr_info("itemlist: loaded\n")
    return 0


@module_exit
def itemlist_exit():
    remove_proc_entry("itemlist", None)
    pr_info("itemlist: unloaded, %d items freed\n", itemlist_clear())
