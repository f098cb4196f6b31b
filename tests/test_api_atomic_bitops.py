"""atomic_t and atomic64_t (32- and 64-bit wraparound as in C), refcount_t's saturation WARNs
(once per boot, as lib/refcount.c's WARN_ONCE; the text is the 6.1 kernel's, see
tests/oracle/bug_refcount), and bit operations on bitmaps."""

from __future__ import annotations

import pytest
from conftest import messages

from kmodsim.errors import Killed


def test_atomic_operations_return_what_c_returns_and_wrap(machine, module_file):
    machine.insmod(module_file("atoms", """
        MODULE_LICENSE("GPL")
        a = ATOMIC_INIT(5)
        big = ATOMIC64_INIT(0x7FFFFFFF)
        @module_init
        def atoms_init():
            atomic_add(3, a)
            pr_info("%d %d %d %d\\n", atomic_read(a), atomic_inc_return(a),
                    atomic_fetch_add(10, a), atomic_read(a))
            pr_info("%d %d\\n", atomic_cmpxchg(a, 19, 1), atomic_read(a))
            pr_info("%d %d\\n", atomic_cmpxchg(a, 5, 2), atomic_read(a))
            pr_info("%d %d\\n", atomic_xchg(a, 1), atomic_dec_and_test(a))
            pr_info("%d %d\\n", atomic_inc_and_test(a), atomic_sub_and_test(1, a))
            atomic_set(a, 0x7FFFFFFF)
            atomic_inc(a)
            atomic64_inc(big)
            pr_info("%d %lld\\n", atomic_read(a), atomic64_read(big))
            ok, old = atomic_try_cmpxchg(a, 0, 3)
            pr_info("%d %d\\n", ok, old)
            return 0
        """))
    assert messages(machine)[-7:] == ["8 9 9 19", "19 1", "1 1", "1 1", "0 1",
                                      "-2147483648 2147483648", "0 -2147483648"]


def test_atomic_counters_persist_between_commands(kmod, module_file):
    kmod("insmod", "modules/hitcount.py")
    kmod("proc", "write", "hitcount", "hello")
    kmod("proc", "write", "hitcount", "hi")
    assert kmod("proc", "read", "hitcount").stdout == \
        "opens 3, reads 1, writes 2, bytes 9\n"


REFS = """
MODULE_LICENSE("GPL")
def w(file, buf, count, ppos):
    r = REFCOUNT_INIT(1)
    pr_info("dec1 %d\\n", refcount_dec_and_test(r))
    pr_info("dec2 %d\\n", refcount_dec_and_test(r))
    pr_info("after %d\\n", refcount_read(r))
    return count
def sat(file, buf, count, ppos):
    r = REFCOUNT_INIT(0x7FFFFFFF)
    refcount_inc(r)
    z = REFCOUNT_INIT(0)
    refcount_inc(z)
    one = REFCOUNT_INIT(1)
    refcount_dec(one)
    pr_info("after %d %d %d\\n", refcount_read(r), refcount_read(z), refcount_read(one))
    return count
@module_init
def refs_init():
    proc_create("refs", 0o666, None, proc_ops(proc_write=w))
    proc_create("sat", 0o666, None, proc_ops(proc_write=sat))
    return 0
"""


def test_refcount_underflow_warns_once_per_boot(machine, module_file):
    machine.insmod(module_file("refs", REFS))
    machine.proc_write("refs", b"x")
    log = messages(machine)
    cut = log.index("------------[ cut here ]------------")
    assert log[cut - 1] == "dec1 1"
    assert log[cut + 1] == "refcount_t: underflow; use-after-free."
    assert log[cut + 2].startswith("WARNING: CPU: 0 PID: ")
    assert log[cut + 2].endswith(" at lib/refcount.c:28 refcount_warn_saturate+0xba/0x110")
    assert log[-2:] == ["dec2 0", "after -1073741824"]  # saturated: REFCOUNT_SATURATED
    assert machine.tainted() & (1 << 9)  # W
    mark = len(log)
    machine.proc_write("refs", b"x")
    assert messages(machine)[mark:] == ["dec1 1", "dec2 0", "after -1073741824"]


def test_refcount_saturation_and_use_after_free_warnings(machine, module_file):
    machine.insmod(module_file("refs", REFS))
    machine.proc_write("sat", b"x")
    log = messages(machine)
    assert [m for m in log if m.startswith("refcount_t:")] == [
        "refcount_t: saturated; leaking memory.",
        "refcount_t: addition on 0; use-after-free.",
        "refcount_t: decrement hit 0; leaking memory."]
    assert log[-1] == "after -1073741824 -1073741824 -1073741824"


def test_bit_operations_and_searches(machine, module_file):
    machine.insmod(module_file("bits", """
        MODULE_LICENSE("GPL")
        ids = DECLARE_BITMAP(100)
        @module_init
        def bits_init():
            set_bit(3, ids)
            set_bit(64, ids)
            set_bit(99, ids)
            pr_info("%d %d %d\\n", test_bit(3, ids), test_bit(4, ids), len(ids))
            pr_info("%d %d\\n", test_and_set_bit(3, ids), test_and_clear_bit(64, ids))
            change_bit(5, ids)
            pr_info("%s w%d\\n", list(for_each_set_bit(ids, 100)), bitmap_weight(ids, 100))
            pr_info("%d %d %d %d\\n", find_first_bit(ids, 100), find_next_bit(ids, 100, 6),
                    find_first_zero_bit(ids, 100), find_next_bit(ids, 99, 6))
            bitmap_zero(ids, 100)
            pr_info("%d %#lx %#x %d\\n", bitmap_empty(ids, 100), GENMASK(7, 4), BIT(5),
                    BITS_TO_LONGS(65))
            return 0
        """))
    assert messages(machine)[-5:] == ["1 0 2", "1 1", "[3, 5, 99] w3", "3 99 0 99",
                                      "1 0xf0 0x20 2"]


def test_a_bit_past_the_bitmap_is_out_of_bounds(machine, module_file):
    with pytest.raises(Killed):
        machine.insmod(module_file("overbit", """
            MODULE_LICENSE("GPL")
            flags = DECLARE_BITMAP(64)
            @module_init
            def overbit_init():
                set_bit(64, flags)
                return 0
            """))
    assert any(m.startswith("BUG: KASAN: global-out-of-bounds in overbit_init+")
               for m in messages(machine))
