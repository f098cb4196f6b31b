"""kmod proc: cat and echo semantics, and the errors a shell would show."""

from __future__ import annotations

import pytest
from conftest import messages

from kmodsim.errors import ProcError

RECORDER = """
    MODULE_LICENSE("GPL")
    seen = []

    def rec_write(file, buf, count, ppos):
        data = bytearray(count)
        if copy_from_user(data, buf, count):
            return -EFAULT
        seen.append(bytes(data))
        return count

    def rec_read(file, buf, count, ppos):
        text = b"|".join(seen)
        return simple_read_from_buffer(buf, count, ppos, text)

    fops = proc_ops(proc_read=rec_read, proc_write=rec_write)

    @module_init
    def rec_init():
        proc_create("rec", 0o666, None, fops)
        return 0

    @module_exit
    def rec_exit():
        remove_proc_entry("rec", None)
    """


def test_write_sends_data_plus_newline_in_one_write(kmod, module_file):
    kmod("insmod", module_file("rec", RECORDER))
    assert kmod("proc", "write", "rec", "hello").returncode == 0
    assert kmod("proc", "write", "-n", "rec", "a", "b").returncode == 0
    assert kmod("proc", "read", "rec").stdout == "hello\n|a b"


def test_write_from_stdin_is_exact_bytes(kmod, module_file):
    kmod("insmod", module_file("rec", RECORDER))
    payload = b"\x00\xff\xfe not utf-8 \x00"
    assert kmod("proc", "write", "rec", input=payload).returncode == 0
    assert kmod("proc", "write", "rec", "-", input=b"second").returncode == 0
    r = kmod("proc", "read", "rec")
    assert r.stdout.encode(errors="surrogateescape") == payload + b"|second"


def test_empty_write_calls_no_handler(machine, module_file):
    machine.insmod(module_file("rec", RECORDER))
    assert machine.proc_write("rec", b"") == 0
    assert machine.proc_read("rec") == b""


def test_big_write_reaches_handler_whole(machine, module_file):
    machine.insmod(module_file("rec", RECORDER))
    data = bytes(range(256)) * 4096  # 1 MiB
    assert machine.proc_write("rec", data) == len(data)
    assert machine.proc_read("rec") == data


def test_missing_entry(kmod):
    r = kmod("proc", "write", "nothing", "x")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/nothing: No such file or directory\n")


def test_mode_forbids_write_and_a_missing_handler_is_an_io_error(kmod, module_file):
    # proc_reg_read()/proc_reg_write() return -EIO when the entry has no such handler
    path = module_file("ro", """
        MODULE_LICENSE("GPL")
        def ro_read(file, buf, count, ppos):
            return 0
        def wo_write(file, buf, count, ppos):
            return count
        @module_init
        def ro_init():
            proc_create("ro", 0o644, None, proc_ops(proc_read=ro_read))
            proc_create("wo", 0o666, None, proc_ops(proc_write=wo_write))
            return 0
        """)
    kmod("insmod", path)
    r = kmod("proc", "write", "ro", "x")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/ro: Permission denied\n")
    r = kmod("proc", "read", "wo")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/wo: Input/output error\n")
    assert kmod("proc", "write", "wo", "x").returncode == 0


@pytest.mark.parametrize("errno,text", [("EFAULT", "Bad address"),
                                        ("EINVAL", "Invalid argument"),
                                        ("ENOSPC", "No space left on device")])
def test_handler_errno_is_the_shells_message(kmod, module_file, errno, text):
    path = module_file("err", f"""
        MODULE_LICENSE("GPL")
        def err_write(file, buf, count, ppos):
            return -{errno}
        def err_read(file, buf, count, ppos):
            return -{errno}
        @module_init
        def err_init():
            proc_create("err", 0o666, None, proc_ops(proc_read=err_read, proc_write=err_write))
            return 0
        """)
    kmod("insmod", path)
    for args in (("write", "err", "x"), ("read", "err")):
        r = kmod("proc", *args)
        assert (r.returncode, r.stdout, r.stderr) == (1, "", f"kmod: /proc/err: {text}\n")


def test_counter_rejects_other_commands(kmod):
    kmod("insmod", "modules/counter.py")
    r = kmod("proc", "write", "counter", "X")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/counter: Invalid argument\n")
    assert kmod("proc", "read", "counter").stdout == "0\n"


def test_runaway_read_stops_with_a_note(kmod, module_file):
    path = module_file("loop", """
        MODULE_LICENSE("GPL")
        def loop_read(file, buf, count, ppos):
            copy_to_user(buf, b"again\\n", 6)
            return 6      # never 0: ppos is not advanced
        @module_init
        def loop_init():
            proc_create("loop", 0o444, None, proc_ops(proc_read=loop_read))
            return 0
        """)
    kmod("insmod", path)
    r = kmod("proc", "read", "loop")
    assert r.returncode == 1
    assert r.stdout == "again\n" * 10_000
    assert r.stderr.startswith("kmod: stopped reading /proc/loop after 10000 read calls: the "
                               "read handler never returned 0")


def test_read_error_after_data_prints_data_then_error(machine, module_file):
    machine.insmod(module_file("half", """
        MODULE_LICENSE("GPL")
        def half_read(file, buf, count, ppos):
            if ppos.value:
                return -EIO
            copy_to_user(buf, b"part", 4)
            ppos.value += 4
            return 4
        @module_init
        def half_init():
            proc_create("half", 0o444, None, proc_ops(proc_read=half_read))
            return 0
        """))
    with pytest.raises(ProcError) as e:
        machine.proc_read("half")
    assert e.value.partial == b"part"
    assert e.value.lines == ["kmod: /proc/half: Input/output error"]


def test_proc_ls_and_directories(kmod, module_file):
    path = module_file("tree", """
        MODULE_LICENSE("GPL")
        def r(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, b"leaf\\n")
        @module_init
        def tree_init():
            d = proc_mkdir("mydir", None)
            proc_create("leaf", 0, d, proc_ops(proc_read=r))
            return 0
        @module_exit
        def tree_exit():
            remove_proc_subtree("mydir", None)
        """)
    kmod("insmod", path)
    assert kmod("proc", "ls").stdout.splitlines() == [
        "/proc/devices", "/proc/modules", "/proc/mydir", "/proc/mydir/leaf", "/proc/sys",
        "/proc/sys/kernel", "/proc/sys/kernel/tainted"]
    assert kmod("proc", "read", "mydir/leaf").stdout == "leaf\n"
    r = kmod("proc", "read", "mydir")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/mydir: Is a directory\n")
    kmod("rmmod", "tree")
    assert "/proc/mydir" not in kmod("proc", "ls").stdout


def test_proc_create_twice_warns_and_returns_none(machine, module_file):
    machine.insmod("modules/counter.py")
    machine.insmod(module_file("again", """
        MODULE_LICENSE("GPL")
        @module_init
        def again_init():
            if proc_create("counter", 0o644, None, proc_ops()) is None:
                pr_info("got NULL\\n")
            return 0
        """))
    log = messages(machine)
    assert "proc_dir_entry '/proc/counter' already registered" in log
    assert log[-1] == "got NULL"


def test_proc_modules_and_tainted(kmod):
    kmod("insmod", "modules/hello.py")
    kmod("insmod", "modules/counter.py")
    assert kmod("proc", "read", "modules").stdout == (
        "counter 12288 0 - Live 0x0000000000000000 (OE)\n"
        "hello 12288 0 - Live 0x0000000000000000 (OE)\n")
    assert kmod("proc", "read", "sys/kernel/tainted").stdout == "12288\n"  # O and E
    r = kmod("proc", "write", "modules", "x")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/modules: Permission denied\n")


def test_open_and_release_handlers_run_around_io(machine, module_file):
    machine.insmod(module_file("oc", """
        MODULE_LICENSE("GPL")
        def oc_open(inode, file):
            file.private_data = "opened"
            pr_info("open\\n")
            return 0
        def oc_read(file, buf, count, ppos):
            pr_info("read %s %zu at %lld\\n", file.private_data, count, ppos.value)
            return 0
        def oc_release(inode, file):
            pr_info("release\\n")
            return 0
        @module_init
        def oc_init():
            proc_create("oc", 0o444, None,
                        proc_ops(proc_open=oc_open, proc_read=oc_read, proc_release=oc_release))
            return 0
        """))
    machine.proc_read("oc")
    assert messages(machine)[-3:] == ["open", "read opened 131072 at 0", "release"]
