"""ioctl: command numbers bit for bit as asm-generic/ioctl.h makes them (the values a C module
printed on the real kernel), and the knob module driven by its user program, by `kmod ioctl`
and by the shell."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

from kmodsim.kernel import (
    _IO,
    _IOC_DIR,
    _IOC_NR,
    _IOC_READ,
    _IOC_SIZE,
    _IOC_TYPE,
    _IOC_WRITE,
    _IOR,
    _IOW,
    _IOWR,
    long,
    u32,
    u64,
)

KNOB = ROOT / "modules" / "ioctl"


def test_command_numbers_are_the_c_macros():
    # printed by a C module on Debian 12's 6.1: _IO('k', 1), _IOR('k', 2, int),
    # _IOW('k', 3, long), _IOWR('k', 4, char[100])
    assert _IO("k", 1) == 0x6B01
    assert _IOR("k", 2, int) == 0x80046B02
    assert _IOW("k", 3, long) == 0x40086B03
    assert _IOWR("k", 4, bytearray(100)) == 0xC0646B04
    assert _IOR(ord("k"), 2, int) == _IOR("k", 2, int)
    assert _IOW(0x54, 0x13, u64) == 0x40085413


def test_command_fields_decode():
    cmd = _IOWR("k", 4, bytearray(100))
    assert (_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), _IOC_SIZE(cmd)) == (
        _IOC_READ | _IOC_WRITE, ord("k"), 4, 100)
    assert _IOC_DIR(_IO("k", 1)) == 0


def test_modules_see_the_underscore_names():
    ns: dict = {}
    exec("from kmodsim.kernel import *", ns)
    assert {"_IO", "_IOR", "_IOW", "_IOWR", "__put_user", "__get_user"} <= set(ns)


def user(home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(KNOB / "knob_user.py"), *args],
                          capture_output=True, text=True, cwd=KNOB,
                          env={"KMODSIM_HOME": str(home), "PATH": "/usr/bin:/bin"})


def test_user_program_turns_the_knob(kmod, home):
    assert kmod("insmod", "modules/ioctl/knob.py").returncode == 0
    r = user(home, "get")
    assert (r.stdout, r.stderr, r.returncode) == ("0\n", "", 0)
    assert user(home, "set", "42").returncode == 0
    assert user(home, "get").stdout == "42\n"
    assert user(home, "swap", "7").stdout == "42\n"  # the old position comes back
    assert kmod("cat", "/dev/knob").stdout == "7\n"
    r = user(home, "set", "101")
    assert (r.stdout, r.stderr, r.returncode) == (
        "", "knob_user: /dev/knob: Invalid argument\n", 1)
    assert user(home, "reset").returncode == 0
    assert user(home, "get").stdout == "0\n"
    log = [line.split("] ", 1)[1] for line in kmod("dmesg").stdout.splitlines()]
    assert log[-3:] == ["knob knob: ready: ioctl KNOB_GET 0x80046b01, KNOB_SET 0x40046b02",
                        "knob knob: turned from 0 to 42", "knob knob: turned from 42 to 7"]


def test_unknown_command_is_inappropriate_ioctl(kmod):
    kmod("insmod", "modules/ioctl/knob.py")
    r = kmod("ioctl", "/dev/knob", "0x5401")  # TCGETS: what stty asks a terminal
    assert (r.stdout, r.stderr.splitlines()[0], r.returncode) == (
        "", "kmod: /dev/knob: Inappropriate ioctl for device", 1)


def test_a_number_where_the_driver_wants_a_pointer_is_a_bad_address(kmod):
    """`kmod ioctl` passes ARG as a number: put_user() through it faults, -EFAULT."""
    kmod("insmod", "modules/ioctl/knob.py")
    r = kmod("ioctl", "/dev/knob", "0x80046b01")
    assert (r.stderr.splitlines()[0], r.returncode) == ("kmod: /dev/knob: Bad address", 1)
    r = kmod("ioctl", "/dev/knob", "0x6b04")  # KNOB_RESET takes no argument
    assert (r.stdout, r.returncode) == ("0\n", 0)


def test_get_user_and_put_user_take_the_pointed_to_type(machine, module_file):
    machine.insmod(module_file("twice", """
        MODULE_LICENSE("GPL")
        TWICE = _IOWR("t", 1, u32)
        def t_ioctl(file, cmd, arg):
            if cmd != TWICE:
                return -ENOTTY
            err, v = __get_user(arg, s16)          # the first s16 of the buffer
            if err:
                return err
            return __put_user(v * 2, arg + 2, s16)  # the second
        fops = file_operations(owner=THIS_MODULE, unlocked_ioctl=t_ioctl)
        def t_devnode(dev):
            return None, 0o666
        @module_init
        def t_init():
            global cls
            register_chrdev(200, "twice", fops)
            cls = class_create("twice")
            cls.devnode = t_devnode
            device_create(cls, None, MKDEV(200, 0), None, "twice")
            return 0
        """))
    buf = bytearray((-300).to_bytes(2, "little", signed=True) + bytes(2))
    with machine.open("/dev/twice") as f:
        assert f.ioctl(_IOWR("t", 1, u32), buf) == 0
    assert int.from_bytes(buf[2:], "little", signed=True) == -600
