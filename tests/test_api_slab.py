"""Slab caches and kmalloc'd structs: kmalloc(sizeof(Class)) gives an object of the module's
class on kernel memory, kfree() frees it (a second kfree is KASAN's double-free, any use
after it a use-after-free); kmem_cache_destroy() of a cache with objects left is SLUB's
report and the kernel's WARN (as recorded on 6.1: tests/oracle/bug_slab_cache)."""

from __future__ import annotations

import pytest
from conftest import messages

from kmodsim.errors import Killed


def test_kmalloc_of_a_struct_gives_an_object_that_lives_between_commands(machine, module_file):
    machine.insmod(module_file("structs", """
        MODULE_LICENSE("GPL")
        class Point:
            def __init__(self):
                self.x = 0
                self.y = 0
        p = None
        def w(file, buf, count, ppos):
            p.x += 1
            pr_info("%d,%d size %d at %px\\n", p.x, p.y, ksize(p), p)
            return count
        @module_init
        def structs_init():
            global p
            p = kzalloc(sizeof(Point), GFP_KERNEL)
            p.y = 5
            proc_create("structs", 0o666, None, proc_ops(proc_write=w))
            return 0
        @module_exit
        def structs_exit():
            kfree(p)
        """))
    machine.proc_write("structs", b"x")
    machine.proc_write("structs", b"x")
    first, second = messages(machine)[-2:]
    assert first.startswith("1,5 size 16 at ffff888") and second.startswith("2,5 size 16 at ")
    assert first.split(" at ")[1] == second.split(" at ")[1]  # the same object, same address
    machine.rmmod("structs")
    assert not any("kmemleak" in m for m in messages(machine))


def test_a_struct_never_freed_is_a_leak(machine, module_file):
    machine.insmod(module_file("leaky", """
        MODULE_LICENSE("GPL")
        class Obj:
            def __init__(self):
                self.a = 1
        @module_init
        def leaky_init():
            kmalloc(sizeof(Obj), GFP_KERNEL)
            return 0
        @module_exit
        def leaky_exit():
            pass
        """))
    machine.rmmod("leaky")
    log = messages(machine)
    assert any(m.startswith("unreferenced object 0xffff888") and m.endswith("(size 8):")
               for m in log)


@pytest.mark.parametrize("body,report", [
    ("kfree(o)\n    kfree(o)", "BUG: KASAN: double-free in structs_init+"),
    ("kfree(o)\n    o.a = 2", "BUG: KASAN: slab-use-after-free in structs_init+"),
    ("kfree(o)\n    pr_info('%d', o.a)", "BUG: KASAN: slab-use-after-free in structs_init+"),
])
def test_freed_structs_fault_on_use(machine, module_file, body, report):
    source = ("MODULE_LICENSE('GPL')\nclass Obj:\n    def __init__(self):\n        self.a = 1\n"
              "@module_init\ndef structs_init():\n    o = kmalloc(sizeof(Obj), GFP_KERNEL)\n"
              f"    {body}\n    return 0\n")
    with pytest.raises(Killed):
        machine.insmod(module_file("structs", source))
    assert any(m.startswith(report) for m in messages(machine))


def test_a_cache_hands_out_objects_and_takes_them_back(kmod):
    kmod("insmod", "modules/slabcache.py")
    for _ in range(3):
        kmod("proc", "write", "slabcache", "alloc")
    kmod("proc", "write", "slabcache", "free")
    assert kmod("proc", "read", "slabcache").stdout == "objects 2: 2 1\n"
    kmod("rmmod", "slabcache")
    assert kmod("dmesg", "-t").stdout.splitlines()[-3:] == [
        "slabcache: object 2 freed", "slabcache: object 1 freed", "slabcache: cache destroyed"]


def test_destroying_a_cache_with_objects_left_is_reported(machine, module_file):
    machine.insmod(module_file("cachebug", """
        MODULE_LICENSE("GPL")
        class Entry:
            def __init__(self):
                self.value = 0
                self.node = list_head()
        def ctor(obj):
            pass
        @module_init
        def cachebug_init():
            cache = kmem_cache_create("cachebug_entry", sizeof(Entry), 0, 0, ctor)
            kmem_cache_alloc(cache, GFP_KERNEL)
            pr_info("size %u\\n", kmem_cache_size(cache))
            kmem_cache_destroy(cache)
            return 0
        """))
    log = messages(machine)
    start = log.index("=" * 77)
    assert log[start - 1] == "size 24"
    assert log[start + 1] == ("BUG cachebug_entry (Tainted: G           OE     ): Objects "
                              "remaining in cachebug_entry on __kmem_cache_shutdown()")
    assert log[start + 2] == "-" * 77 + "\n"
    assert log[start + 3].startswith("Slab 0x00000000")
    assert " objects=128 used=1 " in log[start + 3]  # 24 bytes, free pointer after: 32
    assert "Disabling lock debugging due to kernel taint" in log
    assert any(m.startswith("Object 0x00000000") and m.endswith(" @offset=0") for m in log)
    assert any(m.startswith("kmem_cache_destroy cachebug_entry: Slab cache still has objects "
                            "when called from cachebug_init+") for m in log)
    assert any(m.endswith(" at mm/slab_common.c:493 kmem_cache_destroy+0x141/0x150")
               for m in log)


def test_vmalloc_gives_page_backed_memory(machine, module_file):
    machine.insmod(module_file("vm", """
        MODULE_LICENSE("GPL")
        @module_init
        def vm_init():
            big = vmalloc(100000)
            pr_info("%d %px %d\\n", len(big), big, vmalloc(0) is None)
            vfree(big)
            buf = kvmalloc(64, GFP_KERNEL)
            kvfree(buf)
            return 0
        """))
    size, addr, zero = messages(machine)[-1].split()
    assert size == "100000" and addr.startswith("ffffc900") and zero == "1"
