"""One way to every simulated file: `kmod cat|write|ls|ioctl`, `kmod sh`'s file tools and
userspace.open() reach /proc (and the other trees) through the VFS, as uid 1000 (kmod) or root
(kmod sh), with the modes checked as the kernel checks them."""

from __future__ import annotations

import pytest

from kmodsim import userspace
from kmodsim.errors import ProcError

FILES = """
    MODULE_LICENSE("GPL")
    text = b"hello\\n"
    opened = 0

    def f_open(inode, file):
        global opened
        opened += 1
        return 0

    def f_read(file, buf, count, ppos):
        return simple_read_from_buffer(buf, count, ppos, text)

    def f_write(file, buf, count, ppos):
        global text
        data = bytearray(count)
        if copy_from_user(data, buf, count):
            return -EFAULT
        text = bytes(data)
        return count

    def f_ioctl(file, cmd, arg):
        if cmd == 0x10:
            return len(text)
        if cmd == 0x11:  # reverse the caller's 4-byte buffer in place
            word = bytearray(4)
            if copy_from_user(word, arg, 4):
                return -EFAULT
            if copy_to_user(arg, bytes(reversed(word)), 4):
                return -EFAULT
            return 0
        return -ENOTTY

    ops = proc_ops(proc_open=f_open, proc_read=f_read, proc_write=f_write,
                   proc_ioctl=f_ioctl, proc_lseek=default_llseek)

    @module_init
    def files_init():
        d = proc_mkdir("vfsdir", None)
        proc_create("shared", 0o666, None, ops)
        proc_create("mine", 0o644, None, ops)
        proc_create("inner", 0o444, d, ops)
        return 0

    @module_exit
    def files_exit():
        remove_proc_entry("shared", None)
        remove_proc_entry("mine", None)
        remove_proc_subtree("vfsdir", None)
    """


@pytest.fixture
def loaded(kmod, module_file):
    assert kmod("insmod", module_file("vfsfiles", FILES)).returncode == 0
    return kmod


def test_cat_write_ls_on_proc(loaded):
    kmod = loaded
    assert kmod("cat", "/proc/shared").stdout == "hello\n"
    assert kmod("write", "/proc/shared", "a", "b").returncode == 0
    assert kmod("cat", "/proc/shared", "/proc/vfsdir/inner").stdout == "a b\na b\n"
    assert kmod("write", "-n", "/proc/shared", "x").returncode == 0
    assert kmod("cat", "/proc/shared").stdout == "x"
    assert kmod("write", "/proc/shared", input=b"from stdin").returncode == 0
    assert kmod("proc", "read", "shared").stdout == "from stdin"
    ls = kmod("ls", "/proc")
    assert (ls.returncode, ls.stderr) == (0, "")
    names = ls.stdout.splitlines()
    assert names == sorted(names)
    assert {"mine", "modules", "shared", "sys", "vfsdir"} <= set(names)
    assert kmod("ls", "/proc/vfsdir").stdout == "inner\n"
    assert kmod("ls", "/proc/vfsdir/inner").stdout == "/proc/vfsdir/inner\n"
    assert kmod("ls", "/proc/sys", "/proc/sys/kernel").stdout == (
        "/proc/sys:\nkernel\n\n/proc/sys/kernel:\ntainted\n")


def test_missing_files_and_directories(loaded):
    kmod = loaded
    r = kmod("cat", "/proc/nothing", "/proc/shared")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "hello\n", "kmod: /proc/nothing: No such file or directory\n")
    r = kmod("ls", "/proc/nothing")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/nothing: No such file or directory\n")
    r = kmod("cat", "/proc/vfsdir")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/vfsdir: Is a directory\n")
    r = kmod("write", "/proc/shared/x", "1")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/shared/x: Not a directory\n")
    r = kmod("cat", "/etc/hostname")  # not the simulated machine's
    assert (r.returncode, r.stderr) == (1, "kmod: /etc/hostname: No such file or directory\n")


def test_permission_denied_says_how_to_act_as_root(loaded):
    kmod = loaded
    r = kmod("write", "/proc/mine", "hi", "there")
    assert r.returncode == 1
    assert r.stderr == (
        "kmod: /proc/mine: Permission denied\n"
        "kmodsim: hint: /proc/mine is root's (mode 0644); kmod acts as uid 1000, kmod sh is "
        "root: kmod sh -c 'echo hi there > /proc/mine'\n")
    r = kmod("proc", "write", "mine", "one word")
    assert r.stderr.splitlines() == [
        "kmod: /proc/mine: Permission denied",
        "kmodsim: hint: /proc/mine is root's (mode 0644); kmod acts as uid 1000, kmod sh is "
        "root: kmod sh -c \"echo 'one word' > /proc/mine\""]
    r = kmod("proc", "read", "vfsdir/inner")  # others may read it: no denial
    assert (r.returncode, r.stdout) == (0, "hello\n")
    r = kmod("--no-hints", "write", "/proc/mine", "hi")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/mine: Permission denied\n")
    assert kmod("cat", "/proc/mine").stdout == "hello\n"  # others may read
    # as root (kmod sh), the write goes through
    assert kmod("sh", "-c", "echo hi there > /proc/mine").returncode == 0
    assert kmod("cat", "/proc/mine").stdout == "hi there\n"


def test_denied_write_with_no_handler_gives_no_hint(kmod):
    # root would pass the mode, then get EIO: acting as root is no way out
    r = kmod("write", "/proc/modules", "x")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/modules: Permission denied\n")


def test_ioctl_command(loaded):
    kmod = loaded
    r = kmod("ioctl", "/proc/shared", "0x10")
    assert (r.returncode, r.stdout, r.stderr) == (0, "6\n", "")
    assert kmod("ioctl", "/proc/shared", "16", "0").stdout == "6\n"
    r = kmod("ioctl", "/proc/shared", "0x99")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "kmod: /proc/shared: Inappropriate ioctl for device\n")
    r = kmod("ioctl", "/proc/modules", "1")  # no proc_ioctl: -ENOTTY
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/modules: Inappropriate ioctl for device\n")
    r = kmod("ioctl", "/proc/shared", "zz")
    assert r.returncode == 2 and "'zz' is not a number" in r.stderr


def test_kmod_sh_reaches_proc_as_root(loaded):
    kmod = loaded
    r = kmod("sh", "-c", "ls /proc/vfsdir; echo new > /proc/mine; cat /proc/mine; "
                         "ls /proc/sys/kernel; head -n 1 /proc/modules")
    assert r.stderr == ""
    assert r.stdout == "inner\nnew\ntainted\nvfsfiles 12288 0 - Live 0x0000000000000000 (OE)\n"
    r = kmod("sh", "-c", "echo out > /dev/null; echo $?")  # the host's /dev/null
    assert r.stdout == "0\n"


def test_userspace_open_seek_ioctl(loaded, home):
    f = userspace.open("/proc/shared", "r+b", home=home)
    assert f.read(3) == b"hel"
    assert f.tell() == 3
    assert f.seek(1) == 1
    assert f.read() == b"ello\n"
    with pytest.raises(ProcError) as e:
        f.seek(-2, 2)  # default_llseek: SEEK_END is from i_size, 0 for a /proc file
    assert e.value.errno == 22
    assert f.ioctl(0x10) == 6
    word = bytearray(b"abcd")
    assert f.ioctl(0x11, word) == 0
    assert word == bytearray(b"dcba")  # what the handler wrote is the caller's
    with pytest.raises(ProcError) as e:
        f.ioctl(0x12)
    assert e.value.lines == ["kmod: /proc/shared: Inappropriate ioctl for device"]
    f.seek(0)
    f.write(b"one\ntwo\n")
    f.seek(0)
    assert f.readline() == b"one\n"
    f.close()
    with userspace.open("/proc/shared", home=home) as g:
        assert list(g) == ["one\n", "two\n"]


def test_userspace_open_is_refused_by_the_mode(loaded, home):
    with pytest.raises(ProcError) as e:
        userspace.open("/proc/mine", "w", home=home)
    assert e.value.errno == 13
    assert e.value.lines[0] == "kmod: /proc/mine: Permission denied"


def test_an_open_file_keeps_its_module_in_use(loaded, home):
    kmod = loaded
    f = userspace.open("/proc/shared", home=home)
    assert "vfsfiles" in kmod("rmmod", "vfsfiles").stderr
    f.close()
    assert kmod("rmmod", "vfsfiles").returncode == 0


def test_isolated_machine_files_seek_and_ioctl(tmp_path, module_file):
    from kmodsim.grading.isolated import IsolatedMachine

    m = IsolatedMachine(tmp_path / "iso", sandbox=False)
    try:
        m.insmod(module_file("vfsfiles", FILES))
        with m.open("/proc/shared", "rb") as f:
            assert f.read(2) == b"he"
            assert f.seek(0) == 0
            assert f.read() == b"hello\n"
            word = bytearray(b"wxyz")
            assert f.ioctl(0x11, word) == 0
            assert word == bytearray(b"zyxw")
            assert f.ioctl(0x10) == 6
    finally:
        m.close()


def test_a_directory_the_user_may_not_search(kmod, module_file):
    path = module_file("secret", """
        MODULE_LICENSE("GPL")
        def r(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, b"s\\n")
        @module_init
        def secret_init():
            d = proc_mkdir_mode("secret", 0o700, None)
            proc_create("f", 0o666, d, proc_ops(proc_read=r))
            return 0
        @module_exit
        def secret_exit():
            remove_proc_subtree("secret", None)
        """)
    kmod("insmod", path)
    r = kmod("cat", "/proc/secret/f")
    assert (r.returncode, r.stderr) == (1, (
        "kmod: /proc/secret/f: Permission denied\n"
        "kmodsim: hint: /proc/secret is root's (mode 0700); kmod acts as uid 1000, kmod sh is "
        "root: kmod sh -c 'cat /proc/secret/f'\n"))
    r = kmod("ls", "/proc/secret")
    assert (r.returncode, r.stderr.splitlines()[0]) == (
        1, "kmod: /proc/secret: Permission denied")
    r = kmod("sh", "-c", "ls /proc/secret; cat /proc/secret/f")
    assert (r.returncode, r.stdout, r.stderr) == (0, "f\ns\n", "")


def test_proc_set_user_gives_the_file_to_the_user(kmod, module_file):
    path = module_file("yours", """
        MODULE_LICENSE("GPL")
        def r(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, b"mine\\n")
        def w(file, buf, count, ppos):
            return count
        @module_init
        def yours_init():
            pde = proc_create("yours", 0o600, None, proc_ops(proc_read=r, proc_write=w))
            proc_set_user(pde, 1000, 1000)
            proc_create("theirs", 0o060, None, proc_ops(proc_read=r, proc_write=w))
            return 0
        @module_exit
        def yours_exit():
            remove_proc_entry("yours", None)
            remove_proc_entry("theirs", None)
        """)
    kmod("insmod", path)
    assert kmod("cat", "/proc/yours").stdout == "mine\n"  # the owner's bits: rw-
    assert kmod("write", "/proc/yours", "x").returncode == 0
    r = kmod("cat", "/proc/theirs")  # the group's bits are root's group's, not the user's
    assert (r.returncode, r.stderr.splitlines()[0]) == (1, "kmod: /proc/theirs: Permission denied")


def test_sys_module_parameters_through_the_same_commands(kmod, module_file):
    pytest.importorskip("kmodsim.kernel.sysfs")
    path = module_file("knobs", """
        MODULE_LICENSE("GPL")
        speed = 3
        module_param("speed", int, 0o644)
        """)
    kmod("insmod", path)
    assert kmod("ls", "/sys/module/knobs/parameters").stdout == "speed\n"
    assert kmod("cat", "/sys/module/knobs/parameters/speed").stdout == "3\n"
    r = kmod("write", "/sys/module/knobs/parameters/speed", "5")
    assert (r.returncode, r.stderr.splitlines()[0]) == (
        1, "kmod: /sys/module/knobs/parameters/speed: Permission denied")
    r = kmod("sh", "-c", "echo 5 > /sys/module/knobs/parameters/speed; "
                         "cat /sys/module/knobs/parameters/speed; ls /sys/module/knobs/parameters")
    assert (r.stdout, r.stderr) == ("5\nspeed\n", "")
