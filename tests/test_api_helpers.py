"""The everyday helpers (kernel.h, err.h, version.h, build_bug.h), sizeof, `current`, the %p
family of printk (as 6.1 prints NULL, error pointers, %px, %pS, %pe: recorded by a probe),
reader-writer and sequence locks, and modules built from several files (include())."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT, messages

from kmodsim.errors import InsmodError, Killed
from kmodsim.kernel.cformat import format_c


def test_helpers(machine, module_file):
    machine.insmod(module_file("helpers", """
        MODULE_LICENSE("GPL")
        table = [1, 2, 3, 4]
        class Pair:
            def __init__(self):
                self.a = 0
                self.node = list_head()
        @module_init
        def helpers_init():
            pr_info("%d %d %d %d\\n", ARRAY_SIZE(table), min_t(u8, 300, 50), max_t(int, -1, 0),
                    clamp(17, 0, 10))
            pr_info("%d %d %d\\n", LINUX_VERSION_CODE, KERNEL_VERSION(6, 1, 0),
                    LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0))
            err = ERR_PTR(-ENOMEM)
            pr_info("%d %d %d %d %d\\n", IS_ERR(err), PTR_ERR(err), IS_ERR(table),
                    IS_ERR_OR_NULL(None), likely(5))
            pr_info("%d %d %d %d %d %d\\n", sizeof(int), sizeof(u64), sizeof("abc"),
                    sizeof(Pair), sizeof(bytearray(10)), offsetof(Pair, "node"))
            pr_info("%d %d %d %d\\n", DIV_ROUND_UP(10, 3), roundup(10, 4), ALIGN(13, 8),
                    is_power_of_2(64))
            pr_info("%d %d %d\\n", len(current.comm) > 0, current.pid > 0, u32(-1) == U32_MAX)
            return 0
        """))
    assert messages(machine)[-6:] == ["4 44 0 10", "393472 393472 1", "1 -12 0 1 1",
                                      "4 8 4 24 10 8", "4 12 16 1", "1 1 1"]


def test_build_bug_on_fails_the_build_that_is_insmod(machine, module_file):
    path = module_file("buildbug", """
        MODULE_LICENSE("GPL")
        BUILD_BUG_ON(sizeof(u32) != 8)
        """)
    with pytest.raises(InsmodError) as e:
        machine.insmod(path)
    assert "BuildBugError: BUILD_BUG_ON failed" in e.value.lines[-1]
    assert machine.modules() == []


@pytest.mark.parametrize("fmt,args,out", [
    ("[%p] [%px] [%pK]", (None, None, None),
     "[0000000000000000] [0000000000000000] [0000000000000000]"),
    ("[%20p] [%-20p|]", (None, None), "[                   0] [0                   |]"),
    ("[%p] [%pe]", (-22, -22), "[ffffffffffffffea] [-EINVAL]"),  # error pointers: raw
    ("%px", (0xFFFF888004A1C000,), "ffff888004a1c000"),
])
def test_pointer_formats_as_6_1_prints_them(fmt, args, out):
    assert format_c(fmt, args) == out


def test_pointer_formats_of_functions_and_objects(machine, module_file):
    machine.insmod(module_file("ptrs", """
        MODULE_LICENSE("GPL")
        @module_init
        def ptrs_init():
            buf = kmalloc(8, GFP_KERNEL)
            pr_info("[%pS] [%ps]\\n", ptrs_init, ptrs_init)
            pr_info("%p %px %pF\\n", buf, buf, buf)
            kfree(buf)
            return 0
        """))
    symbols, pointers = messages(machine)[-2:]
    assert symbols.startswith("[ptrs_init+0x0/0x")
    assert symbols.endswith(" [ptrs]] [ptrs_init [ptrs]]")
    hashed, raw, ext = pointers.split()
    assert hashed.startswith("00000000") and len(hashed) == 16 and hashed != raw
    assert raw.startswith("ffff888") and ext == hashed  # %pF is gone in 6.1: a hashed %p


RWLOCK = """
MODULE_LICENSE("GPL")
lock = DEFINE_RWLOCK()
seq = DEFINE_SEQLOCK()
x = 0
y = 0
def w(file, buf, count, ppos):
    global x, y
    cmd = bytearray(8)
    copy_from_user(cmd, buf, min(count, 7))
    if sysfs_streq(cmd, "read"):
        read_lock(lock)
        read_lock(lock)
        pr_info("readers %d\\n", len(lock.readers))
        read_unlock(lock)
        read_unlock(lock)
        flags = write_lock_irqsave(lock)
        pr_info("irqs off %d\\n", irqs_disabled())
        write_unlock_irqrestore(lock, flags)
        write_seqlock(seq)
        x, y = x + 1, y + 1
        write_sequnlock(seq)
        while True:
            start = read_seqbegin(seq)
            a, b = x, y
            if not read_seqretry(seq, start):
                break
        pr_info("seq %d: %d %d\\n", start, a, b)
    elif sysfs_streq(cmd, "upgrade"):
        read_lock(lock)
        write_lock(lock)
    return count
@module_init
def rw_init():
    proc_create("rw", 0o666, None, proc_ops(proc_write=w))
    return 0
"""


def test_rwlock_and_seqlock(machine, module_file):
    machine.insmod(module_file("rw", RWLOCK))
    machine.proc_write("rw", b"read")
    assert messages(machine)[-3:] == ["readers 2", "irqs off 1", "seq 2: 1 1"]


def test_taking_the_write_side_while_reading_is_lockdeps_recursive_locking(machine,
                                                                           module_file):
    machine.insmod(module_file("rw", RWLOCK))
    with pytest.raises(Killed):
        machine.proc_write("rw", b"upgrade")
    assert "WARNING: possible recursive locking detected" in messages(machine)


def test_a_module_built_from_two_files(kmod):
    kmod("insmod", "modules/startstop/startstop.py")
    kmod("rmmod", "startstop")
    assert kmod("dmesg", "-t").stdout.splitlines()[-2:] == [
        "startstop: started (start.py)", "startstop: stopped (stop.py)"]


def test_a_module_and_a_program_share_a_file_of_definitions(kmod, home):
    kmod("insmod", "modules/mailbox/mailbox.py")
    env = dict(os.environ, KMODSIM_HOME=str(home))
    r = subprocess.run([sys.executable, "mailbox_user.py", "hi there"], capture_output=True,
                       text=True, cwd=ROOT / "modules" / "mailbox", env=env, timeout=60)
    assert (r.returncode, r.stdout) == (0, "mailbox says: hi there\n")
    assert kmod("dmesg", "-t").stdout.splitlines()[-1] == "mailbox: 9 bytes"


def test_an_included_file_that_is_missing_fails_insmod(machine, module_file):
    path = module_file("parts", """
        include("nowhere.py")
        MODULE_LICENSE("GPL")
        """)
    with pytest.raises(InsmodError) as e:
        machine.insmod(path)
    assert "FileNotFoundError: include('nowhere.py')" in e.value.lines[-1]


def test_variables_of_an_included_file_are_module_memory(machine, module_file, tmp_path):
    (tmp_path / "counter_part.py").write_text(
        "from kmodsim.kernel import *\ncount = 0\ndef bump():\n    global count\n"
        "    count += 1\n    return count\n")
    machine.insmod(module_file("parts", """
        include("counter_part.py")
        MODULE_LICENSE("GPL")
        def w(file, buf, n, ppos):
            pr_info("count %d\\n", bump())
            return n
        @module_init
        def parts_init():
            proc_create("parts", 0o666, None, proc_ops(proc_write=w))
            return 0
        """))
    machine.proc_write("parts", b"x")
    machine.proc_write("parts", b"x")
    assert messages(machine)[-2:] == ["count 1", "count 2"]


def test_included_files_are_copied_at_insmod_and_their_symbols_checked(kmod, tmp_path):
    part = tmp_path / "part.py"
    part.write_text('def greet():\n    pr_info("part: hello\\n")\n')
    main = tmp_path / "whole.py"
    main.write_text('from kmodsim.kernel import *\nMODULE_LICENSE("GPL")\ninclude("part.py")\n'
                    '@module_init\ndef whole_init():\n    return 0\n'
                    '@module_exit\ndef whole_exit():\n    greet()\n')
    assert kmod("insmod", str(main)).returncode == 0
    part.write_text('def greet():\n    pr_info("part: edited\\n")\n')  # after insmod
    assert kmod("rmmod", "whole").returncode == 0
    assert kmod("dmesg").stdout.splitlines()[-1].endswith("] part: hello")
    part.write_text('def greet():\n    pr_infoo("typo\\n")\n')
    r = kmod("insmod", str(main))
    assert (r.returncode, r.stderr) == (
        1, f"insmod: ERROR: could not insert module {main}: Unknown symbol in module\n")
    assert kmod("dmesg").stdout.splitlines()[-1].endswith("] whole: Unknown symbol pr_infoo "
                                                           "(err -2)")
