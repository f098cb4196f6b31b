"""Linked lists of the module's own structs (list.h): they live in module memory between
commands, iterate as C's loops do, and misuse gets CONFIG_DEBUG_LIST's reports (as on
Debian's 6.1: tests/oracle/bug_list_*), a general protection fault or KASAN's."""

from __future__ import annotations

import pytest
from conftest import messages

from kmodsim.errors import Killed

LIST_MODULE = """
MODULE_LICENSE("GPL")

class Item:
    def __init__(self):
        self.value = 0
        self.node = list_head()
        self.other = list_head()

items = LIST_HEAD()
others = LIST_HEAD()

def show():
    values = [pos.value for pos in list_for_each_entry(items, Item, "node")]
    pr_info("items: %s\\n", " ".join(str(v) for v in values) or "-")

def w(file, buf, count, ppos):
    cmd = bytearray(32)
    copy_from_user(cmd, buf, min(count, 31))
    n, verb, arg = sscanf(cmd, "%15s %d")
    if strcmp(verb, "add") == 0:
        item = kzalloc(sizeof(Item), GFP_KERNEL)
        item.value = arg
        list_add_tail(item.node, items)
    elif strcmp(verb, "push") == 0:
        item = kzalloc(sizeof(Item), GFP_KERNEL)
        item.value = arg
        list_add(item.node, items)
    elif strcmp(verb, "del") == 0:
        for pos in list_for_each_entry_safe(items, Item, "node"):
            if pos.value == arg:
                list_del(pos.node)
                kfree(pos)
    elif strcmp(verb, "move") == 0:
        for pos in list_for_each_entry(items, Item, "node"):
            if pos.value == arg:
                list_move_tail(pos.node, items)
                break
    elif strcmp(verb, "rev") == 0:
        pr_info("rev: %s\\n", " ".join(str(p.value) for p in
                                      list_for_each_entry_reverse(items, Item, "node")))
    elif strcmp(verb, "info") == 0:
        first = list_first_entry(items, Item, "node")
        last = list_last_entry(items, Item, "node")
        pr_info("first %d last %d count %d empty %d last? %d\\n", first.value, last.value,
                list_count_nodes(items), list_empty(items), list_is_last(last.node, items))
    elif strcmp(verb, "splice") == 0:
        tmp = LIST_HEAD()
        for v in (100, 101):
            item = kzalloc(sizeof(Item), GFP_KERNEL)
            item.value = v
            list_add_tail(item.node, tmp)
        list_splice_tail(tmp, items)
    elif strcmp(verb, "deldel") == 0:
        first = list_first_entry(items, Item, "node")
        list_del(first.node)
        list_del(first.node)
    elif strcmp(verb, "addadd") == 0:
        first = list_first_entry(items, Item, "node")
        list_add(first.node, items)
    elif strcmp(verb, "iterdel") == 0:
        for pos in list_for_each_entry(items, Item, "node"):
            list_del(pos.node)
    elif strcmp(verb, "freed") == 0:
        kfree(list_first_entry(items, Item, "node"))
        show()
    elif strcmp(verb, "emptyfirst") == 0:
        pr_info("%d\\n", list_first_entry(others, Item, "other").value)
    elif strcmp(verb, "nullfirst") == 0:
        pr_info("%d\\n", list_first_entry_or_null(others, Item, "other") is None)
    show()
    return count

@module_init
def lists_init():
    proc_create("lists", 0o666, None, proc_ops(proc_write=w))
    return 0

@module_exit
def lists_exit():
    remove_proc_entry("lists", None)
    for pos in list_for_each_entry_safe(items, Item, "node"):
        list_del(pos.node)
        kfree(pos)
"""


@pytest.fixture
def lists(machine, module_file):
    machine.insmod(module_file("lists", LIST_MODULE))
    return machine


def test_a_list_of_structs_lives_between_commands(lists):
    for cmd in (b"add 1", b"add 2", b"add 3", b"push 0"):
        lists.proc_write("lists", cmd)
    assert messages(lists)[-1] == "items: 0 1 2 3"
    lists.proc_write("lists", b"del 2")
    assert messages(lists)[-1] == "items: 0 1 3"
    lists.proc_write("lists", b"move 0")
    assert messages(lists)[-1] == "items: 1 3 0"
    lists.proc_write("lists", b"rev 0")
    assert messages(lists)[-2] == "rev: 0 3 1"
    lists.proc_write("lists", b"info 0")
    assert messages(lists)[-2] == "first 1 last 0 count 3 empty 0 last? 1"
    lists.proc_write("lists", b"splice 0")
    assert messages(lists)[-1] == "items: 1 3 0 100 101"
    lists.proc_write("lists", b"nullfirst 0")
    assert messages(lists)[-2] == "1"
    lists.rmmod("lists")
    assert not any("kmemleak" in m for m in messages(lists))  # exit freed them all


def test_a_second_list_del_is_the_kernels_list_del_corruption_bug(lists):
    lists.proc_write("lists", b"add 1")
    with pytest.raises(Killed) as e:
        lists.proc_write("lists", b"deldel 0")
    assert e.value.exit_code == 139  # BUG(): an invalid opcode, SIGSEGV
    log = messages(lists)
    first = next(i for i, m in enumerate(log) if "list_del corruption" in m)
    assert log[first].startswith("list_del corruption, ffff888")
    assert log[first].endswith("->next is LIST_POISON1 (dead000000000100)")
    assert log[first + 1:first + 4] == ["------------[ cut here ]------------",
                                        "kernel BUG at lib/list_debug.c:53!",
                                        "invalid opcode: 0000 [#1] PREEMPT SMP NOPTI"]
    assert "RIP: 0010:__list_del_entry_valid.cold+0x5c/0x6f" in log
    assert log[-1].startswith("kmodsim: hint: list_del() of an entry already deleted")


def test_adding_an_entry_twice_is_a_double_add(lists):
    lists.proc_write("lists", b"add 1")
    with pytest.raises(Killed):
        lists.proc_write("lists", b"addadd 0")
    log = messages(lists)
    assert any(m.startswith("list_add double add: new=") for m in log)
    assert "kernel BUG at lib/list_debug.c:33!" in log


def test_deleting_inside_a_plain_iteration_faults_on_the_poison(lists):
    lists.proc_write("lists", b"add 1")
    lists.proc_write("lists", b"add 2")
    with pytest.raises(Killed) as e:
        lists.proc_write("lists", b"iterdel 0")
    assert e.value.exit_code == 139  # a general protection fault: SIGSEGV
    log = messages(lists)
    # the loop reads the deleted node's next: LIST_POISON1 itself
    assert any(m.startswith("general protection fault, probably for non-canonical address "
                            "0xdead000000000100: 0000 [#1]") for m in log)


def test_an_entry_freed_while_on_the_list_is_a_use_after_free(lists):
    lists.proc_write("lists", b"add 1")
    lists.proc_write("lists", b"add 2")
    with pytest.raises(Killed):
        lists.proc_write("lists", b"freed 0")
    text = "\n".join(messages(lists))
    assert "BUG: KASAN: slab-use-after-free in " in text
    assert "Freed by task" in text


def test_the_first_entry_of_an_empty_list_reads_outside_the_head(lists):
    with pytest.raises(Killed):
        lists.proc_write("lists", b"emptyfirst 0")
    assert any("BUG: KASAN: global-out-of-bounds" in m for m in messages(lists))


def test_container_of_finds_a_struct_by_its_member(machine, module_file):
    machine.insmod(module_file("embed", """
        MODULE_LICENSE("GPL")
        class Obj:
            def __init__(self):
                self.id = 7
                self.ref = kref()
        objs = []
        def release(ref):
            obj = container_of(ref, Obj, "ref")
            pr_info("release %d\\n", obj.id)
            kfree(obj)
        @module_init
        def embed_init():
            obj = kmalloc(sizeof(Obj), GFP_KERNEL)
            kref_get(obj.ref)
            pr_info("refs %d offset %d\\n", kref_read(obj.ref), offsetof(Obj, "ref"))
            kref_put(obj.ref, release)
            pr_info("put: %d\\n", kref_put(obj.ref, release))
            return 0
        """))
    assert messages(machine)[-3:] == ["refs 2 offset 8", "release 7", "put: 1"]


def test_hlist_and_hash_table(machine, module_file):
    machine.insmod(module_file("hashed", """
        MODULE_LICENSE("GPL")
        class Entry:
            def __init__(self):
                self.key = 0
                self.hnode = hlist_node()
        table = DEFINE_HASHTABLE(3)
        @module_init
        def hashed_init():
            for key in (5, 13, 21, 6):
                e = kzalloc(sizeof(Entry), GFP_KERNEL)
                e.key = key
                hash_add(table, e.hnode, key)
            found = [e.key for e in hash_for_each_possible(table, Entry, "hnode", 13)
                     if e.key == 13]
            pr_info("found %s, %d in all\\n", found, len(list(hash_for_each(table, Entry,
                                                                               "hnode"))))
            for e in hash_for_each_safe(table, Entry, "hnode"):
                hash_del(e.hnode)
                kfree(e)
            pr_info("empty %d\\n", hash_empty(table))
            return 0
        """))
    assert messages(machine)[-2:] == ["found [13], 4 in all", "empty 1"]
