"""Exported symbols: EXPORT_SYMBOL and EXPORT_SYMBOL_GPL on functions and variables, the
user's hold on the exporter (refcount, `Used by`, `in use by`), unknown symbols, the GPL-only
refusal and the proprietary taint a user inherits; messages as Linux 6.1 and kmod 30 print
them (tests/oracle/symbols_pair and symbols_gpl_only are the real machine's transcripts)."""

from __future__ import annotations

import re

from conftest import MODULES

MATHLIB = str(MODULES / "symbols" / "mathlib.py")
MATHUSER = str(MODULES / "symbols" / "mathuser.py")
EMPTY_LSMOD = "Module                  Size  Used by\n"


def dmesg(kmod) -> list[str]:
    return [re.sub(r"^\[ *[\d.]+\] ", "", line) for line in kmod("dmesg").stdout.splitlines()]


def lsmod_rows(kmod) -> list[list[str]]:
    return [line.split() for line in kmod("lsmod").stdout.splitlines()[1:]]


def test_a_user_calls_the_function_and_uses_the_variable_of_its_exporter(kmod):
    assert kmod("insmod", MATHLIB).returncode == 0
    r = kmod("insmod", MATHUSER, "a=35", "b=21")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert dmesg(kmod)[-4:] == ["mathlib: ready", "mathuser: 35 + 21 = 56",
                                "mathuser: gcd(35, 21) = 7",
                                "mathuser: mathlib_add has been called 1 times"]
    # the variable is the exporter's: mathuser's exit writes it, mathlib's exit reads it
    assert kmod("rmmod", "mathuser").returncode == 0
    assert kmod("rmmod", "mathlib").returncode == 0
    assert dmesg(kmod)[-2:] == ["mathuser: reset mathlib_calls",
                                "mathlib: unloaded; mathlib_add was called 0 times"]


def test_the_exporter_is_used_by_its_user_until_the_user_goes(kmod):
    kmod("insmod", MATHLIB)
    kmod("insmod", MATHUSER)
    assert lsmod_rows(kmod) == [["mathuser", "12288", "0"], ["mathlib", "12288", "1", "mathuser"]]
    r = kmod("rmmod", "mathlib")
    assert (r.returncode, r.stderr) == (
        1, "rmmod: ERROR: Module mathlib is in use by: mathuser\n")
    assert kmod("rmmod", "mathuser").returncode == 0
    assert lsmod_rows(kmod) == [["mathlib", "12288", "0"]]
    assert kmod("rmmod", "mathlib").returncode == 0
    assert kmod("lsmod").stdout == EMPTY_LSMOD


def test_every_user_is_named(kmod, module_file):
    second = module_file("second_user", """
        MODULE_LICENSE("GPL")

        @module_init
        def second_init():
            return mathlib_add(1, 1) - 2
        """)
    kmod("insmod", MATHLIB)
    kmod("insmod", MATHUSER)
    kmod("insmod", second)
    assert lsmod_rows(kmod)[-1] == ["mathlib", "12288", "2", "mathuser,second_user"]
    # /proc/modules: the newest user first, as the kernel adds each to its list's head
    assert "mathlib 12288 2 second_user,mathuser, Live" in \
        kmod("sh", "-c", "cat /proc/modules").stdout
    r = kmod("rmmod", "mathlib")
    assert (r.returncode, r.stderr) == (
        1, "rmmod: ERROR: Module mathlib is in use by: mathuser second_user\n")


def test_unknown_symbols_in_the_object_files_order(kmod):
    r = kmod("insmod", MATHUSER)
    assert (r.returncode, r.stderr) == (
        1, f"insmod: ERROR: could not insert module {MATHUSER}: Unknown symbol in module\n")
    assert dmesg(kmod)[-3:] == ["mathuser: Unknown symbol mathlib_calls (err -2)",
                                "mathuser: Unknown symbol mathlib_add (err -2)",
                                "mathuser: Unknown symbol mathlib_gcd (err -2)"]
    assert kmod("lsmod").stdout == EMPTY_LSMOD


def test_a_gpl_only_symbol_is_unknown_to_a_module_that_is_not_gpl(kmod, module_file):
    user = module_file("mit_user", """
        MODULE_LICENSE("MIT")

        @module_init
        def mit_init():
            pr_info("gcd %d\\n", mathlib_gcd(4, 6))
            return 0
        """)
    kmod("insmod", MATHLIB)
    r = kmod("insmod", user)
    assert (r.returncode, r.stderr) == (
        1, f"insmod: ERROR: could not insert module {user}: Unknown symbol in module\n")
    assert dmesg(kmod)[-3:] == ["mit_user: module license 'MIT' taints kernel.",
                                "Disabling lock debugging due to kernel taint",
                                "mit_user: Unknown symbol mathlib_gcd (err -2)"]
    assert lsmod_rows(kmod) == [["mathlib", "12288", "0"]]


def test_a_plain_export_serves_a_proprietary_module(kmod, module_file):
    user = module_file("closed_user", """
        MODULE_LICENSE("Proprietary")

        @module_init
        def closed_init():
            return mathlib_add(1, 1) - 2

        @module_exit
        def closed_exit():
            pass
        """)
    kmod("insmod", MATHLIB)
    assert kmod("insmod", user).returncode == 0
    assert "closed_user 12288 0 - Live 0x0000000000000000 (POE)" in \
        kmod("sh", "-c", "cat /proc/modules").stdout


def test_a_gpl_user_of_a_proprietary_export_inherits_its_taint(kmod, module_file):
    closed = module_file("closed_lib", """
        MODULE_LICENSE("Proprietary")

        def closed_value():
            return 7

        EXPORT_SYMBOL(closed_value)

        @module_init
        def closed_init():
            return 0

        @module_exit
        def closed_exit():
            pass
        """)
    user = module_file("gpl_user", """
        MODULE_LICENSE("GPL")

        @module_init
        def gpl_user_init():
            return closed_value() - 7

        @module_exit
        def gpl_user_exit():
            pass
        """)
    both = module_file("both_user", """
        MODULE_LICENSE("GPL")

        @module_init
        def both_init():
            return mathlib_gcd(4, 6) + closed_value() - 9
        """)
    kmod("insmod", MATHLIB)
    kmod("insmod", closed)
    assert kmod("insmod", user).returncode == 0
    assert dmesg(kmod)[-1] == ("gpl_user: module uses symbols closed_value from proprietary "
                               "module closed_lib, inheriting taint.")
    modules = kmod("sh", "-c", "cat /proc/modules").stdout
    assert "gpl_user 12288 0 - Live 0x0000000000000000 (POE)" in modules
    # a module using GPL-only symbols may not use a proprietary module's
    r = kmod("insmod", both)
    assert (r.returncode, r.stderr) == (
        1, f"insmod: ERROR: could not insert module {both}: Unknown symbol in module\n")
    assert dmesg(kmod)[-2:] == [
        "both_user: module using GPL-only symbols uses symbols closed_value from proprietary "
        "module closed_lib.",
        "both_user: Unknown symbol closed_value (err -2)"]


def test_an_exported_variable_is_shared_across_commands(kmod, module_file):
    reader = module_file("reader", """
        MODULE_LICENSE("GPL")

        def reader_read(file, buf, count, ppos):
            if ppos.value:
                return 0
            mathlib_calls.value += 1
            text = b"%d\\n" % mathlib_calls.value
            copy_to_user(buf, text, len(text))
            ppos.value = len(text)
            return len(text)

        ops = proc_ops(proc_read=reader_read)

        @module_init
        def reader_init():
            proc_create("reader", 0o444, None, ops)
            return 0

        @module_exit
        def reader_exit():
            remove_proc_entry("reader", None)
        """)
    kmod("insmod", MATHLIB)
    kmod("insmod", reader)
    assert kmod("proc", "read", "reader").stdout == "1\n"
    assert kmod("proc", "read", "reader").stdout == "2\n"
    kmod("rmmod", "reader")
    kmod("rmmod", "mathlib")
    assert dmesg(kmod)[-1] == "mathlib: unloaded; mathlib_add was called 2 times"


def test_arithmetic_on_an_exported_variable_itself_says_where_its_value_is(kmod, module_file):
    wrong = module_file("wrong", """
        MODULE_LICENSE("GPL")

        @module_init
        def wrong_init():
            pr_info("%d\\n", mathlib_calls + 1)
            return 0
        """)
    kmod("insmod", MATHLIB)
    r = kmod("insmod", wrong)
    assert r.returncode != 0
    log = "\n".join(dmesg(kmod))
    assert "mathlib_calls is exported by module mathlib: its value is mathlib_calls.value" in log


def test_a_symbol_is_exported_once(kmod, module_file):
    again = module_file("mathlib_again", """
        MODULE_LICENSE("GPL")

        def mathlib_add(a, b):
            return a + b

        EXPORT_SYMBOL(mathlib_add)
        """)
    own_printk = module_file("own_printk", """
        MODULE_LICENSE("GPL")

        def printk(fmt, *args):
            pass

        EXPORT_SYMBOL(printk)
        """)
    kmod("insmod", MATHLIB)
    r = kmod("insmod", again)
    assert (r.returncode, r.stderr) == (
        1, f"insmod: ERROR: could not insert module {again}: Invalid module format\n")
    assert dmesg(kmod)[-1] == ("mathlib_again: exports duplicate symbol mathlib_add (owned by "
                               "mathlib)")
    r = kmod("insmod", own_printk)
    assert r.returncode == 1
    assert dmesg(kmod)[-1] == "own_printk: exports duplicate symbol printk (owned by kernel)"
    assert lsmod_rows(kmod) == [["mathlib", "12288", "0"]]
