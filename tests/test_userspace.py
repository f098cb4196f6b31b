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
