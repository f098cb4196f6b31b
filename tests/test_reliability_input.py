"""Bad arguments are click's usage errors (exit 2); bad data reaches the handler byte for byte;
and no input at all makes a command show a Python traceback."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
from pathlib import Path

import pytest
from conftest import KMOD, MODULES, ROOT

from kmodsim.machine import Machine

COUNTER = str(MODULES / "counter.py")
PROCFILE = str(MODULES / "procfile.py")
HAS_DMESG = (ROOT / "kmodsim" / "cli" / "dmesg.py").exists()

# Keeps every write whole; reads back how many writes, the last one's size and its digest
# (the 1 MiB case can't come back through `cat`, which kmodsim stops after 1 MiB).
RECORDER = """
import hashlib
MODULE_LICENSE("GPL")
writes = []

def rec_write(file, buf, count, ppos):
    data = bytearray(count)
    if copy_from_user(data, buf, count):
        return -EFAULT
    writes.append(bytes(data))
    return count

def rec_read(file, buf, count, ppos):
    last = writes[-1] if writes else b""
    text = b"%d %d %s\\n" % (len(writes), len(last), hashlib.sha256(last).hexdigest().encode())
    return simple_read_from_buffer(buf, count, ppos, text)

@module_init
def rec_init():
    proc_create("rec", 0o666, None, proc_ops(proc_read=rec_read, proc_write=rec_write))
    return 0
"""


def seen(data: bytes | None, writes: int = 1) -> str:
    """What the recorder reports after `writes` writes, the last of `data`."""
    data = data or b""
    return f"{writes} {len(data)} {hashlib.sha256(data).hexdigest()}\n"


@pytest.fixture
def rec(kmod, module_file) -> str:
    assert kmod("insmod", module_file("rec", RECORDER)).returncode == 0
    return "rec"


# -- bad arguments --------------------------------------------------------------------------

BAD_ARGS = [["proc"], ["proc", "nope"], ["proc", "ls", "x"],
            ["proc", "read"], ["proc", "read", "a", "b"], ["proc", "read", "--bogus", "a"],
            ["proc", "write"], ["proc", "write", "--bogus", "x"], ["reboot", "now"],
            ["reboot", "--bogus"], ["nope"], ["--bogus"], ["-b"],
            ["-b", "/dev/null", "lsmod"], ["--force"]]


@pytest.mark.parametrize("args", BAD_ARGS, ids=" ".join)
def test_bad_arguments_are_usage_errors(kmod, args):
    r = kmod(*args)
    assert r.returncode == 2
    assert "Error: " in r.stderr or r.stderr.startswith("Usage: kmod")
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["insmod"], "insmod: ERROR: missing filename."),
    (["insmod", "-v", "x.ko"], "insmod: invalid option -- 'v'"),
    (["rmmod"], "rmmod: ERROR: missing module name."),
    (["rmmod", "--bogus", "x"], "rmmod: unrecognized option '--bogus'"),
    (["lsmod", "extra"], "Usage: lsmod"),
    (["lsmod", "--bogus"], "Usage: lsmod"),
    (["modinfo"], "modinfo: ERROR: missing module or filename.")])
def test_the_module_tools_usage_errors_are_kmods(kmod, args, message):
    """insmod, rmmod, lsmod and modinfo take kmod 30's options and say what it says."""
    r = kmod(*args)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", message + "\n")


@pytest.mark.skipif(not HAS_DMESG, reason="kmod dmesg not written yet")
@pytest.mark.parametrize(("args", "message"), [
    (["--no-such-option"], "dmesg: unrecognized option '--no-such-option'"),
    (["extra", "words"], "dmesg: bad usage")])
def test_dmesg_bad_arguments_are_util_linux_usage_errors(kmod, args, message):
    """dmesg follows util-linux, whose usage errors exit 1 (not click's 2)."""
    r = kmod("dmesg", *args)
    assert (r.returncode, r.stderr) == (
        1, f"{message}\nTry 'kmod dmesg --help' for more information.\n")


# -- bad data ------------------------------------------------------------------------------

def test_empty_input_is_no_write_at_all(kmod, rec, machine):
    """`echo -n '' > f` and `cat /dev/null > f` open and close: stdio calls no write(2)."""
    assert kmod("proc", "write", "-n", rec, "").returncode == 0
    assert kmod("proc", "write", rec, input=b"").returncode == 0
    assert machine.proc_write(rec, b"") == 0
    assert kmod("proc", "read", rec).stdout == seen(None, 0)


def test_an_empty_argument_is_a_lone_newline(kmod, rec):
    assert kmod("proc", "write", rec, "").returncode == 0
    assert kmod("proc", "read", rec).stdout == seen(b"\n")


def test_one_mib_of_binary_on_stdin_arrives_whole(kmod, rec):
    data = random.Random(5).randbytes(1 << 20) + b"\0\xff\xfe"
    r = kmod("proc", "write", rec, "-", input=data)
    assert (r.returncode, r.stderr) == (0, "")
    assert kmod("proc", "read", rec).stdout == seen(data)


@pytest.mark.parametrize("data", [b"\0", b"a\0b\0\0", b"\xff\xfe\x80", b"\xc3\x28",
                                  "ünïcödé ☃".encode(), b"\r\n\t\x1b[31m"])
def test_odd_bytes_on_stdin_arrive_exactly(kmod, rec, data):
    assert kmod("proc", "write", rec, input=data).returncode == 0
    assert kmod("proc", "read", rec).stdout == seen(data)


def test_invalid_utf8_in_an_argument_arrives_as_the_bytes_typed(home, rec):
    # what a shell passes for: kmod proc write rec $'\xff\xfe'
    p = subprocess.run([KMOD.encode(), b"proc", b"write", b"rec", b"\xff\xfe"],
                       env=dict(os.environ, KMODSIM_HOME=str(home)), capture_output=True)
    assert (p.returncode, p.stderr) == (0, b"")
    assert Machine(home).proc_read("rec") == seen(b"\xff\xfe\n").encode()


def test_python_api_passes_bytes_exactly(machine, rec):
    for data in [b"\0" * 10, b"\xff" * 3, os.urandom(4096), b"x" * (1 << 20)]:
        assert machine.proc_write(rec, data) == len(data)
        assert machine.proc_read(rec).decode().split()[1:] == seen(data).split()[1:]


def test_a_big_write_to_a_bounded_handler(kmod):
    kmod("insmod", PROCFILE)
    data = b"\0\xff" * (1 << 19)
    assert kmod("proc", "write", "procfile", input=data).returncode == 0
    assert kmod("proc", "read", "procfile").stdout.encode("utf-8", "surrogateescape") == \
        data[:1024]


# -- hostile arguments: never a traceback ----------------------------------------------------

HOSTILE: list[str | bytes] = [
    "", " ", "\n\t", "x" * 100_000, b"\xff\xfe\x80junk\x01\x02", "/dev/null", "/dev/zero",
    "/", str(ROOT), "-", "--", "ünï☃cödé", "../../../../etc/passwd", "%s%n%x%d",
    "'; DROP TABLE modules; --", "a=b", "=", "/proc/counter", "counter/../counter",
    "sys/kernel", "modules", "-1", "--help=x",
]
TEMPLATES: list[list[str]] = [
    ["insmod", "{}"], ["insmod", COUNTER, "{}"], ["rmmod", "{}"], ["rmmod", "-f", "{}"],
    ["proc", "read", "{}"], ["proc", "write", "{}", "I"], ["proc", "write", "counter", "{}"],
    ["proc", "write", "-n", "procfile", "{}"], ["modinfo", "{}"], ["-b", "{}"], ["{}"],
]
if HAS_DMESG:
    TEMPLATES += [["dmesg", "{}"], ["dmesg", "-l", "{}"]]


def fill(template: list[str], arg: str | bytes) -> list[bytes]:
    raw = arg if isinstance(arg, bytes) else arg.encode()
    return [raw if w == "{}" else w.encode() for w in template]


def run_hostile(home: Path, cwd: Path, argv: list[bytes], timeout: float = 60) -> str | None:
    """What went wrong running `kmod ARGV`, or None if it failed (or not) gracefully."""
    env = dict(os.environ, KMODSIM_HOME=str(home))
    p = subprocess.run([KMOD.encode(), *argv], input=b"", capture_output=True, env=env,
                       cwd=cwd, timeout=timeout)
    err = p.stderr.decode(errors="replace")
    if "Traceback" in err or "internal error" in err or p.returncode not in (0, 1, 2):
        return f"{[a[:40] for a in argv]} -> {p.returncode}: {err[-300:]}"
    return None


def loaded(home: Path) -> None:
    m = Machine(home)
    m.insmod(COUNTER)
    m.insmod(PROCFILE)
    m.close()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: " ".join(t))
def test_no_traceback_whatever_the_arguments(home, template, tmp_path: Path):
    loaded(home)
    runs = [fill(template, a) for a in HOSTILE]
    runs += [[b"lsmod"], [b"proc", b"ls"], [b"reboot"]]
    problems = [p for argv in runs if (p := run_hostile(home, tmp_path, argv))]
    assert problems == []


def test_modinfo_of_an_endless_file_ends(home, tmp_path: Path):
    loaded(home)
    try:
        assert run_hostile(home, tmp_path, [b"modinfo", b"/dev/zero"], timeout=10) is None
    except subprocess.TimeoutExpired:
        pytest.fail("kmod modinfo /dev/zero still running after 10 s")
