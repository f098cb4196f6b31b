"""The kernel API as module code sees it: printk, uaccess, locks, errno, module macros."""

from __future__ import annotations

import os

import pytest
from conftest import messages

from kmodsim.kernel.cformat import format_c


@pytest.mark.parametrize("fmt,args,out", [
    ("%d %i %u", (-1, 2, 3), "-1 2 3"),
    ("%u", (-1,), "4294967295"),
    ("%lu %llu %zu", (-1, -1, 5), "18446744073709551615 18446744073709551615 5"),
    ("%x %lx %X %08x", (255, -1, 255, 255), "ff ffffffffffffffff FF 000000ff"),
    ("%hhx", (-1,), "ff"),
    ("%s|%5s|%-5s|%.2s", ("a", "b", "c", "xyz"), "a|    b|c    |xy"),
    ("%s", (b"bytes\0after",), "bytes"),
    ("%s", (None,), "(null)"),
    ("%c%c", (65, "B"), "AB"),
    ("100%%", (), "100%"),
    ("%*d|%-*d|", (4, 7, 3, 1), "   7|1  |"),
    ("%ld %lld %li", (1, 2, 3), "1 2 3"),
])
def test_c_formats(fmt, args, out):
    assert format_c(fmt, args) == out


def test_pointer_format_is_hashed_and_consumes_extensions():
    out = format_c("%p %pK!", (object(), object()))
    a, b = out.split(" ")
    assert len(a) == 16 and b.endswith("!") and len(b) == 17
    # %pS of an address that is no function's prints it raw, as sprint_symbol() does
    assert format_c("%pS", (0xFFFF888004A1C000,)) == "0xffff888004a1c000"


def test_too_few_arguments_is_an_error():
    with pytest.raises(TypeError):
        format_c("%d %d", (1,))


def test_printk_levels_and_continuations(machine, module_file, monkeypatch):
    machine.insmod(module_file("levels", """
        MODULE_LICENSE("GPL")
        @module_init
        def levels_init():
            pr_emerg("0\\n"); pr_alert("1\\n"); pr_crit("2\\n"); pr_err("3\\n")
            pr_warn("4\\n"); pr_notice("5\\n"); pr_info("6\\n")
            printk(KERN_DEBUG + "7\\n")
            printk("default\\n")
            printk(KERN_INFO + "count: %d", 1)
            pr_cont(", %d", 2)
            pr_cont(", %d\\n", 3)
            pr_info("two\\nlines\\n")
            pr_debug("hidden\\n")
            return 0
        """))
    records = [(r.level, r.text) for r in machine.log_records()][2:]  # after the taint lines
    assert records == [(0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5"), (6, "6"),
                       (7, "7"), (4, "default"), (6, "count: 1, 2, 3"), (6, "two\nlines")]
    r = machine.log_records()[-1]
    assert (r.facility, r.caller, r.seq) == (0, None, 12)  # no CONFIG_PRINTK_CALLER
    monkeypatch.setenv("KMODSIM_PRINTK_CALLER", "1")
    assert machine.log_records()[-1].caller == f"T{os.getpid()}"


def test_pr_debug_prints_when_module_defines_debug(machine, module_file):
    machine.insmod(module_file("dbg", """
        MODULE_LICENSE("GPL")
        DEBUG = True
        @module_init
        def dbg_init():
            pr_debug("shown %d\\n", 7)
            return 0
        """))
    assert machine.log_records()[-1].level == 7
    assert messages(machine)[-1] == "shown 7"


def test_timestamps_and_sequence_numbers_increase(machine):
    machine.insmod("modules/counter.py")
    for _ in range(3):
        machine.proc_write("counter", b"I")
    records = machine.log_records()
    assert [r.seq for r in records] == list(range(len(records)))
    assert all(a.ts_usec <= b.ts_usec for a, b in zip(records, records[1:], strict=False))


def test_uaccess_returns_bytes_not_copied(machine, module_file):
    machine.insmod(module_file("ua", """
        MODULE_LICENSE("GPL")
        def ua_write(file, buf, count, ppos):
            small = bytearray(4)
            left = copy_from_user(small, buf, 4)
            big = bytearray(16)
            more = copy_from_user(big, buf, 16)   # the user passed only `count` bytes
            pr_info("left=%d more=%d small=%s\\n", left, more, bytes(small))
            tail = bytearray(2)
            copy_from_user(tail, buf + 2, 2)
            pr_info("tail=%s\\n", bytes(tail))
            return count
        def ua_read(file, buf, count, ppos):
            pr_info("room: %d\\n", copy_to_user(buf + (count - 2), b"abcd", 4))
            return 0
        @module_init
        def ua_init():
            proc_create("ua", 0o666, None, proc_ops(proc_read=ua_read, proc_write=ua_write))
            return 0
        """))
    machine.proc_write("ua", b"wxyz12")
    machine.proc_read("ua")
    assert messages(machine)[-3:] == ["left=0 more=10 small=wxyz", "tail=yz", "room: 2"]


def test_uaccess_past_a_kernel_buffer_is_a_fault(kmod, module_file, machine):
    path = module_file("over", """
        MODULE_LICENSE("GPL")
        def over_write(file, buf, count, ppos):
            kbuf = bytearray(2)
            copy_from_user(kbuf, buf, count)
            return count
        @module_init
        def over_init():
            proc_create("over", 0o666, None, proc_ops(proc_write=over_write))
            return 0
        """)
    kmod("insmod", path)
    r = kmod("proc", "write", "over", "too long")
    assert (r.returncode, r.stderr) == (137, "Killed\n")
    assert "BUG: KASAN: stack-out-of-bounds in over_write+0x25/0x50 [over]" in [
        rec.text for rec in machine.log_records()]


def test_user_pointer_cannot_be_indexed(kmod, module_file):
    path = module_file("deref", """
        MODULE_LICENSE("GPL")
        def deref_write(file, buf, count, ppos):
            return buf[0]
        @module_init
        def deref_init():
            proc_create("deref", 0o666, None, proc_ops(proc_write=deref_write))
            return 0
        """)
    kmod("insmod", path)
    assert kmod("proc", "write", "deref", "x").returncode == 139  # kernel BUG: SIGSEGV


def test_simple_write_to_buffer_and_offsets(machine, module_file):
    machine.insmod(module_file("sw", """
        MODULE_LICENSE("GPL")
        store = bytearray(8)
        used = 0
        def sw_write(file, buf, count, ppos):
            global used
            n = simple_write_to_buffer(store, len(store), ppos, buf, count)
            if n > 0:
                used = max(used, ppos.value)
            return n
        def sw_read(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, store, used)
        @module_init
        def sw_init():
            proc_create("sw", 0o666, None, proc_ops(proc_read=sw_read, proc_write=sw_write))
            return 0
        """))
    assert machine.proc_write("sw", b"abcdefgh") == 8
    assert machine.proc_read("sw") == b"abcdefgh"


def test_mutex_and_spinlock_state(machine, module_file):
    machine.insmod(module_file("locks", """
        MODULE_LICENSE("GPL")
        m = DEFINE_MUTEX()
        s = DEFINE_SPINLOCK()
        @module_init
        def locks_init():
            mutex_lock(m)
            a = mutex_is_locked(m)
            b = mutex_trylock(m)
            mutex_unlock(m)
            c = mutex_trylock(m)
            mutex_unlock(m)
            flags = spin_lock_irqsave(s)
            d = spin_is_locked(s)
            spin_unlock_irqrestore(s, flags)
            spin_lock(s)
            spin_unlock(s)
            pr_info("%d %d %d %d %d %s\\n", a, b, c, d, mutex_is_locked(m), m.name)
            return 0
        """))
    assert messages(machine)[-1] == "1 0 1 1 0 m"


def test_mutex_left_locked_stays_locked_in_the_next_command(machine, module_file):
    machine.insmod(module_file("held", """
        MODULE_LICENSE("GPL")
        lock = DEFINE_MUTEX()
        def held_write(file, buf, count, ppos):
            mutex_lock(lock)          # and never unlocked
            return count
        def held_read(file, buf, count, ppos):
            pr_info("locked=%d\\n", mutex_is_locked(lock))
            return 0
        @module_init
        def held_init():
            proc_create("held", 0o666, None, proc_ops(proc_read=held_read, proc_write=held_write))
            return 0
        """))
    machine.proc_write("held", b"x")
    machine.proc_read("held")
    assert messages(machine)[-1] == "locked=1"


def test_errno_values():
    import errno

    import kmodsim.kernel as k

    for name in ("EPERM", "ENOENT", "EIO", "ENOMEM", "EACCES", "EFAULT", "EBUSY", "EEXIST",
                 "EINVAL", "ENOSPC", "ENOSYS"):
        assert getattr(k, name) == getattr(errno, name)


def test_kernel_api_outside_a_module_is_a_clear_error():
    from kmodsim.kernel import pr_info
    from kmodsim.kernel._current import NoKernelError

    with pytest.raises(NoKernelError, match="outside module code"):
        pr_info("hi\n")


def test_ring_buffer_drops_oldest_records_and_keeps_counting(machine, module_file):
    machine.reboot(log_buf_len=1024)
    machine.insmod(module_file("chatty", """
        MODULE_LICENSE("GPL")
        @module_init
        def chatty_init():
            for i in range(100):
                pr_info("message number %03d\\n", i)
            return 0
        """))
    records = machine.log_records()
    sizes = sum(len(r.text) + 16 for r in records)
    assert sizes <= 1024
    assert records[-1].text == "message number 099"
    assert records[-1].seq == 101  # the taint lines are 0 and 1; numbering goes on past drops
    assert [r.seq for r in records] == list(range(records[0].seq, 102))


def test_reboot_sets_the_ring_buffer_size(kmod, module_file):
    assert kmod("reboot", "--log-buf-len", "4096").returncode == 0
    path = module_file("many", """
        MODULE_LICENSE("GPL")
        @module_init
        def many_init():
            for i in range(1000):
                pr_info("line %04d\\n", i)
            return 0
        """)
    kmod("insmod", path)
    lines = kmod("dmesg", "-t").stdout.splitlines()
    assert lines[-1] == "line 0999"
    assert sum(len(x) + 16 for x in lines) <= 4096
    assert kmod("reboot", "--log-buf-len", "12").returncode == 2  # too small: usage error
