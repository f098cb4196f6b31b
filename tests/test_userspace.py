"""User programs reach /proc files through kmodsim.userspace, like the tutorial's hello.py."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_userspace_readline(kmod, home):
    kmod("insmod", "modules/helloworlddriver.py")
    program = ("from kmodsim import userspace\n"
               "f = userspace.open('/proc/helloworlddriver')\n"
               "print(f.readline(), end='')\n"
               "print(repr(f.readline()))\n"
               "f.close()\n")
    p = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                       cwd=ROOT, env={"KMODSIM_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert (p.returncode, p.stdout, p.stderr) == (0, "Hello world!\n''\n", "")


def test_userspace_write_then_read(machine):
    machine.insmod("modules/counter.py")
    with machine.open("/proc/counter", "w") as f:
        assert f.write("I") == 1
    with machine.open("/proc/counter", "w") as f:
        f.write("I")
    with machine.open("/proc/counter") as f:
        assert f.read() == "2\n"
        assert f.read() == ""


def test_userspace_keeps_private_data_between_calls(machine, module_file):
    machine.insmod(module_file("priv", """
        MODULE_LICENSE("GPL")
        opens = 0
        def p_open(inode, file):
            global opens
            opens += 1
            file.private_data = {"reads": 0, "open": opens}
            return 0
        def p_read(file, buf, count, ppos):
            file.private_data["reads"] += 1
            if file.private_data["reads"] > 3:
                return 0
            text = b"open %d read %d\\n" % (file.private_data["open"], file.private_data["reads"])
            copy_to_user(buf, text, len(text))
            return len(text)
        @module_init
        def priv_init():
            proc_create("priv", 0o444, None, proc_ops(proc_open=p_open, proc_read=p_read))
            return 0
        """))
    f = machine.open("/proc/priv", "rb")
    assert list(f) == [b"open 1 read 1\n", b"open 1 read 2\n", b"open 1 read 3\n"]
    f.close()
    assert machine.proc_read("priv") == b"open 2 read 1\nopen 2 read 2\nopen 2 read 3\n"


SHARED = """
    MODULE_LICENSE("GPL")
    class Dev:
        def __init__(self):
            self.count = 0
    dev = Dev()
    def sh_open(inode, file):
        file.private_data = dev  # file->private_data = &dev;
        return 0
    def sh_read(file, buf, count, ppos):
        text = b"file %d, dev %d\\n" % (file.private_data.count, dev.count)
        return simple_read_from_buffer(buf, count, ppos, text)
    def sh_write(file, buf, count, ppos):
        file.private_data.count += 1  # dev->count++ through the file's pointer
        return count
    @module_init
    def sh_init():
        proc_create("shared", 0o666, None,
                    proc_ops(proc_open=sh_open, proc_read=sh_read, proc_write=sh_write))
        return 0
    @module_exit
    def sh_exit():
        pr_info("shared: %d at exit\\n", dev.count)
        remove_proc_entry("shared", None)
    """


def test_private_data_points_at_the_modules_own_object_across_calls(machine, module_file,
                                                                    kmod):
    """`file->private_data = &dev`: writes through the file change the module's dev, seen by
    other opens and other processes, and the file sees theirs (a copy kept with the program
    lost them all)."""
    machine.insmod(module_file("shared", SHARED))
    f = machine.open("/proc/shared", "r+")
    for _ in range(3):
        f.write("x")
    assert machine.proc_read("shared") == b"file 3, dev 3\n"
    assert kmod("proc", "write", "shared", "x").returncode == 0  # another process's open
    f.write("x")
    f.seek(0)
    assert f.read1(100) == b"file 5, dev 5\n"
    f.close()
    machine.rmmod("shared")
    assert machine.log_records()[-1].text == "shared: 5 at exit"


OOPSY = """
    MODULE_LICENSE("GPL")
    releases = 0
    def op_release(inode, file):
        global releases
        releases += 1
        if releases == 1:
            file.nothing.here  # the first release Oopses
        return 0
    def op_read(file, buf, count, ppos):
        return simple_read_from_buffer(buf, count, ppos, b"releases=%d\\n" % releases)
    @module_init
    def op_init():
        proc_create("oopsy", 0o666, None, proc_ops(proc_release=op_release, proc_read=op_read))
        return 0
    @module_exit
    def op_exit():
        remove_proc_entry("oopsy", None)
    """


def test_a_close_whose_release_oopses_is_still_a_close(machine, module_file):
    """close(2) gives the descriptor up whatever ->release does: closing again doesn't run
    the hook again, and doesn't count the file closed twice."""
    from kmodsim.errors import Killed, RmmodError

    machine.insmod(module_file("oopsy", OOPSY))
    other = machine.open("/proc/oopsy")
    f = machine.open("/proc/oopsy")
    try:
        f.close()
    except Killed:
        pass
    else:
        raise AssertionError("the release hook's Oops was not reported")
    f.close()  # nothing more to do
    assert f.closed
    assert [m.refcnt for m in machine.modules() if m.name == "oopsy"] == [1]  # `other`
    try:
        machine.rmmod("oopsy")
    except RmmodError as e:
        assert str(e) == "rmmod: ERROR: Module oopsy is in use"
    else:
        raise AssertionError("rmmod of a module with a file open")
    assert other.read() == "releases=1\n"
    other.close()
    machine.rmmod("oopsy")


def test_a_file_whose_module_was_forced_out_says_so_and_leaves_no_count(machine,
                                                                        module_file):
    """rmmod -f while a file is open: the file is gone with its module (EBADF, with why),
    closing it is quiet, and the module inserted again is not `in use`."""
    from kmodsim.errors import ProcError

    path = module_file("shared", SHARED)
    machine.insmod(path)
    f = machine.open("/proc/shared", "r+")
    machine.rmmod("shared", force=True)
    try:
        f.write("x")
    except ProcError as e:
        assert "Bad file descriptor" in str(e)
        assert "its module shared was removed (or the machine rebooted)" in "\n".join(e.lines)
    else:
        raise AssertionError("a write to a file whose module is gone")
    f.close()
    machine.insmod(path)
    assert [m.refcnt for m in machine.modules()] == [0]
    machine.rmmod("shared")
