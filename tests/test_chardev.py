"""Character devices end to end: device numbers (dynamic majors counting down as the real
kernel's do, -EBUSY for a taken one), /proc/devices, /dev nodes made by device_create, ENXIO
for a node no cdev serves, the module held while one of its files is open, and the dev_*
printk prefix. Expected lines are what the real Debian 12 (6.1) kernel printed for the C
version of the same module."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import KMOD, ROOT

from kmodsim.errors import ProcError
from kmodsim.kernel.errno import EINVAL

PROBE = """
    MODULE_LICENSE("GPL")

    def pr_fmt(fmt):
        return KBUILD_MODNAME + ": " + fmt

    def p_read(file, buf, count, ppos):
        return simple_read_from_buffer(buf, count, ppos, b"hello\\n")

    fops = file_operations(owner=THIS_MODULE, read=p_read)
    major = major2 = 0
    region = 0
    cls = None

    @module_init
    def p_init():
        global major, major2, region, cls
        major = register_chrdev(0, "probe", fops)
        pr_info("major %d\\n", major)
        major2 = register_chrdev(0, "probe_b", fops)
        pr_info("major2 %d\\n", major2)
        r, region = alloc_chrdev_region(0, 4, "probe_c")
        pr_info("region %d %d:%d\\n", r, MAJOR(region), MINOR(region))
        pr_info("fixed 1 -> %d\\n", register_chrdev(1, "probe_busy", fops))
        pr_info("region again -> %d\\n", register_chrdev_region(MKDEV(major, 0), 1, "probe_d"))
        pr_info("600 -> %d\\n", register_chrdev(600, "toobig", fops))
        cls = class_create(THIS_MODULE, "probecls")
        dev = device_create(cls, None, MKDEV(major, 0), None, "probe%d", 0)
        device_create(cls, None, MKDEV(MAJOR(region), 0), None, "probenocdev")
        dev_info(dev, "info %d\\n", 1)
        dev_warn(dev, "warn\\n")
        dev_err(dev, "err\\n")
        dev_notice(dev, "notice\\n")
        dev_dbg(dev, "dbg\\n")
        dev_info(None, "null dev\\n")
        pr_info("plain\\n")
        return 0

    @module_exit
    def p_exit():
        device_destroy(cls, MKDEV(MAJOR(region), 0))
        device_destroy(cls, MKDEV(major, 0))
        class_destroy(cls)
        unregister_chrdev_region(region, 4)
        unregister_chrdev(major2, "probe_b")
        unregister_chrdev(major, "probe")
    """

# /proc/devices on the real machine, before any module
BUILTIN_CHAR = ["  1 mem", "  4 /dev/vc/0", "  4 tty", "  4 ttyS", "  5 /dev/tty",
                "  5 /dev/console", "  5 /dev/ptmx", "  7 vcs", " 10 misc", " 13 input",
                " 29 fb", "128 ptm", "136 pts", "153 spi"]
BUILTIN_DYNAMIC = ["247 cxl", "248 bsg", "249 ptp", "250 pps", "251 rtc", "252 dax",
                   "253 tpm", "254 gpiochip"]


def proc_devices(*module_lines: str) -> str:
    return "\n".join(["Character devices:", *BUILTIN_CHAR, *module_lines, *BUILTIN_DYNAMIC,
                      "", "Block devices:", "259 blkext", ""])


def dmesg_text(kmod) -> list[str]:
    return [line.split("] ", 1)[1] for line in kmod("dmesg").stdout.splitlines()]


def test_dynamic_majors_count_down_and_taken_ones_are_busy(kmod, module_file):
    assert kmod("cat", "/proc/devices").stdout == proc_devices()
    assert kmod("insmod", module_file("probe", PROBE)).returncode == 0
    assert dmesg_text(kmod)[2:9] == [
        "probe: major 246", "probe: major2 245", "probe: region 0 244:0",
        "probe: fixed 1 -> -16", "probe: region again -> -16",
        'CHRDEV "toobig" major requested (600) is greater than the maximum (511)',
        "probe: 600 -> -22"]
    assert kmod("cat", "/proc/devices").stdout == proc_devices(
        "244 probe_c", "245 probe_b", "246 probe")
    assert kmod("rmmod", "probe").returncode == 0
    assert kmod("cat", "/proc/devices").stdout == proc_devices()


def test_dev_printk_says_class_and_device(kmod, module_file):
    kmod("insmod", module_file("probe", PROBE))
    assert dmesg_text(kmod)[9:] == [
        "probecls probe0: info 1", "probecls probe0: warn", "probecls probe0: err",
        "probecls probe0: notice", "(NULL device *): null dev", "probe: plain"]
    levels = [line[:3] for line in kmod("dmesg", "-r").stdout.splitlines()[9:14]]
    assert levels == ["<6>", "<4>", "<3>", "<5>", "<6>"]


def test_device_nodes_appear_and_go_with_the_driver(kmod, module_file):
    kmod("insmod", module_file("probe", PROBE))
    r = kmod("sh", "-c", "ls /dev; cat /dev/probe0")
    assert (r.stdout, r.returncode) == ("probe0\nprobenocdev\nhello\n", 0)
    # udev's default: root's, mode 0600 (kmod acts as an ordinary user, kmod sh as root)
    r = kmod("cat", "/dev/probe0")
    assert r.returncode == 1
    assert r.stderr.splitlines()[0] == "kmod: /dev/probe0: Permission denied"
    kmod("rmmod", "probe")
    r = kmod("sh", "-c", "ls /dev/probe0")
    assert (r.stdout, r.stderr, r.returncode) == (
        "", "ls: cannot access '/dev/probe0': No such file or directory\n", 2)


def test_a_node_without_a_cdev_is_no_such_device(kmod, module_file):
    kmod("insmod", module_file("probe", PROBE))
    r = kmod("sh", "-c", "cat /dev/probenocdev")
    assert (r.stdout, r.stderr, r.returncode) == (
        "", "cat: /dev/probenocdev: No such device or address\n", 1)
    r = kmod("sh", "-c", "echo x > /dev/probenocdev")
    assert (r.stderr, r.returncode) == (
        "sh: 1: cannot create /dev/probenocdev: No such device or address\n", 2)


def test_lastmsg_remembers_and_counts(kmod):
    assert kmod("insmod", "modules/chardev/lastmsg.py").returncode == 0
    r = kmod("sh", "-c", "cat /proc/devices | grep lastmsg; echo hello > /dev/lastmsg; "
                         "cat /dev/lastmsg")
    assert r.stdout == "246 lastmsg\nopens: 2\nlast message: hello\n"
    # its class's devnode gives everyone the node (0666): no root needed
    assert kmod("write", "/dev/lastmsg", "again").returncode == 0
    assert kmod("cat", "/dev/lastmsg").stdout == "opens: 4\nlast message: again\n"
    assert kmod("rmmod", "lastmsg").returncode == 0
    assert dmesg_text(kmod)[-2:] == ["lastmsg lastmsg: ready, device number 246:0",
                                     "lastmsg: opened 4 times, goodbye"]


HOLD = """
import subprocess, sys
from kmodsim import userspace
kmod = sys.argv[1]
with userspace.open("/dev/lastmsg") as f:
    for args in (["lsmod"], ["rmmod", "lastmsg"]):
        r = subprocess.run([kmod, *args], capture_output=True, text=True)
        print(r.returncode, r.stdout + r.stderr, end="")
r = subprocess.run([kmod, "lsmod"], capture_output=True, text=True)
print(r.returncode, r.stdout, end="")
"""


def test_an_open_device_file_keeps_its_module_in_use(kmod, home):
    """cdev.owner and fops.owner are both THIS_MODULE: two references per open file, as
    lsmod shows on the real kernel."""
    kmod("insmod", "modules/chardev/lastmsg.py")
    p = subprocess.run([sys.executable, "-c", HOLD, KMOD], capture_output=True, text=True,
                       cwd=ROOT, env={"KMODSIM_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert p.stderr == ""
    assert p.stdout == (
        "0 Module                  Size  Used by\nlastmsg                16384  2\n"
        "1 rmmod: ERROR: Module lastmsg is in use\n"
        "0 Module                  Size  Used by\nlastmsg                16384  0\n")
    assert kmod("rmmod", "lastmsg").returncode == 0


def test_dev_dbg_prints_when_the_module_defines_debug(kmod, module_file):
    kmod("insmod", module_file("dbg", """
        MODULE_LICENSE("GPL")
        DEBUG = 1
        @module_init
        def dbg_init():
            global cls
            cls = class_create("dbgcls")
            dev = device_create(cls, None, MKDEV(240, 0), None, "dbg0")
            dev_dbg(dev, "debug %s\\n", "on")
            device_destroy(cls, MKDEV(240, 0))
            class_destroy(cls)
            return 0
        """))
    assert dmesg_text(kmod)[-1] == "dbgcls dbg0: debug on"


def test_a_driver_gone_without_cdev_del_leaves_a_trap(kmod, module_file):
    kmod("insmod", module_file("leaky", """
        MODULE_LICENSE("GPL")
        fops = file_operations(owner=THIS_MODULE)
        @module_init
        def leaky_init():
            global cls
            major = register_chrdev(0, "leaky", fops)
            cls = class_create("leaky")
            device_create(cls, None, MKDEV(major, 0), None, "leaky")
            return 0
        @module_exit
        def leaky_exit():
            pass
        """))
    kmod("rmmod", "leaky")
    assert "246 leaky" in kmod("cat", "/proc/devices").stdout.splitlines()
    r = kmod("sh", "-c", "cat /dev/leaky")
    assert r.returncode == 137
    assert "BUG: unable to handle page fault" in kmod("dmesg").stdout


def test_class_and_device_show_in_sysfs(kmod):
    kmod("insmod", "modules/chardev/lastmsg.py")
    r = kmod("sh", "-c", "ls /sys/class/lastmsg; cat /sys/class/lastmsg/lastmsg/dev; "
                         "cat /sys/class/lastmsg/lastmsg/uevent")
    assert r.stdout == "lastmsg\n246:0\nMAJOR=246\nMINOR=0\nDEVNAME=lastmsg\n"
    kmod("rmmod", "lastmsg")
    assert kmod("sh", "-c", "ls /sys/class/lastmsg").returncode == 2


def test_seeking_and_private_data(machine, module_file):
    machine.insmod(module_file("seek", """
        MODULE_LICENSE("GPL")
        DATA = b"0123456789"
        def s_open(inode, file):
            file.private_data = "minor %d" % iminor(inode)
            return 0
        def s_read(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, DATA)
        def s_llseek(file, offset, whence):
            return fixed_size_llseek(file, offset, whence, len(DATA))
        def s_ioctl(file, cmd, arg):
            return len(file.private_data)
        fops = file_operations(owner=THIS_MODULE, open=s_open, read=s_read, llseek=s_llseek,
                               unlocked_ioctl=s_ioctl)
        @module_init
        def s_init():
            global cls
            register_chrdev(200, "seek", fops)
            cls = class_create("seek")
            cls.devnode = s_devnode
            device_create(cls, None, MKDEV(200, 3), None, "seek3")
            return 0
        def s_devnode(dev):
            return None, 0o444
        """))
    with machine.open("/dev/seek3") as f:
        assert f.seek(-4, 2) == 6
        assert f.read() == "6789"
        assert f.ioctl(0) == len("minor 3")
        with pytest.raises(ProcError) as e:  # past a fixed size
            f.seek(11, 0)
        assert e.value.errno == EINVAL


ONE_AT_A_TIME = """
import subprocess, sys
from kmodsim import userspace
kmod = sys.argv[1]
with userspace.open("/dev/single"):
    for args in (["cat", "/dev/single"], ["lsmod"]):
        r = subprocess.run([kmod, *args], capture_output=True, text=True)
        print(r.returncode, r.stdout + r.stderr, end="")
r = subprocess.run([kmod, "lsmod"], capture_output=True, text=True)
print(r.stdout, end="")
"""


def test_an_open_that_fails_holds_nothing(kmod, home, module_file):
    """The classic one-user device: open returns -EBUSY while it is open."""
    kmod("insmod", module_file("single", """
        MODULE_LICENSE("GPL")
        busy = ATOMIC_INIT(0)
        def s_open(inode, file):
            if atomic_cmpxchg(busy, 0, 1):
                return -EBUSY
            return 0
        def s_release(inode, file):
            atomic_set(busy, 0)
            return 0
        fops = file_operations(owner=THIS_MODULE, open=s_open, release=s_release)
        def s_devnode(dev):
            return None, 0o666
        @module_init
        def s_init():
            global major, cls
            major = register_chrdev(0, "single", fops)
            cls = class_create("single")
            cls.devnode = s_devnode
            device_create(cls, None, MKDEV(major, 0), None, "single")
            return 0
        """))
    p = subprocess.run([sys.executable, "-c", ONE_AT_A_TIME, KMOD], capture_output=True,
                       text=True, cwd=ROOT, env={"KMODSIM_HOME": str(home),
                                                 "PATH": "/usr/bin:/bin"})
    assert (p.stdout, p.stderr) == (
        "1 kmod: /dev/single: Device or resource busy\n"
        "0 Module                  Size  Used by\nsingle                 12288  2\n"
        "Module                  Size  Used by\nsingle                 12288  0\n", "")


TWINS = """
    MODULE_LICENSE("GPL")

    class twin_dev:  # struct twin_dev { const char *name; int opens; struct cdev cdev; }
        def __init__(self, name):
            self.name = name
            self.opens = 0
            self.cdev = cdev()

    twins = [twin_dev(b"left"), twin_dev(b"right")]
    region = 0
    cls = None

    def twin_open(inode, file):
        dev = container_of(inode.i_cdev, twin_dev, "cdev")
        dev.opens += 1
        file.private_data = inode.i_cdev  # as some drivers keep it
        return 0

    def twin_release(inode, file):
        dev = container_of(inode.i_cdev, twin_dev, "cdev")
        pr_info("twin: %s released\\n", dev.name)
        return 0

    def twin_read(file, buf, count, ppos):
        dev = container_of(file.private_data, twin_dev, "cdev")
        return simple_read_from_buffer(buf, count, ppos, b"%s %d\\n" % (dev.name, dev.opens))

    fops = file_operations(owner=THIS_MODULE, open=twin_open, release=twin_release,
                           read=twin_read)

    def twin_devnode(dev):
        return None, 0o666

    @module_init
    def twin_init():
        global region, cls
        err, region = alloc_chrdev_region(0, 2, "twin")
        if err:
            return err
        cls = class_create("twin")
        cls.devnode = twin_devnode
        for minor, dev in enumerate(twins):
            cdev_init(dev.cdev, fops)
            dev.cdev.owner = THIS_MODULE
            cdev_add(dev.cdev, MKDEV(MAJOR(region), minor), 1)
            device_create(cls, None, MKDEV(MAJOR(region), minor), None, "twin%d", minor)
        return 0

    @module_exit
    def twin_exit():
        for minor, dev in enumerate(twins):
            device_destroy(cls, MKDEV(MAJOR(region), minor))
            cdev_del(dev.cdev)
        class_destroy(cls)
        unregister_chrdev_region(region, 2)
    """

HOLD_TWIN = """
import subprocess, sys
from kmodsim import userspace
kmod = sys.argv[1]
with userspace.open("/dev/twin1") as held:
    r = subprocess.run([kmod, "sh", "-c", "cat /dev/twin0; cat /dev/twin1"],
                       capture_output=True, text=True)
    print(r.returncode, r.stdout + r.stderr, end="")
    print(held.read(), end="")
"""


def test_open_finds_its_device_through_inode_i_cdev(kmod, home, module_file):
    """The C idiom: the cdev is embedded in the driver's per-device struct, and open finds
    the struct with container_of(inode->i_cdev, struct twin_dev, cdev); a file held open
    across commands keeps pointing at the same device."""
    assert kmod("insmod", module_file("twins", TWINS)).returncode == 0
    p = subprocess.run([sys.executable, "-c", HOLD_TWIN, KMOD], capture_output=True,
                       text=True, cwd=ROOT, env={"KMODSIM_HOME": str(home),
                                                 "PATH": "/usr/bin:/bin"})
    assert (p.stdout, p.stderr) == ("0 left 1\nright 2\nright 2\n", "")
    assert dmesg_text(kmod)[-3:] == ["twin: left released", "twin: right released",
                                     "twin: right released"]
    assert kmod("rmmod", "twins").returncode == 0
