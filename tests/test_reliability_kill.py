"""A kmod process killed (SIGKILL) in the middle of module code leaves the machine whole,
unlocked and usable at once: as it was before the command if the task was running (spinning),
or with what the task had done before it went to sleep if it was sleeping (a sleeping task
commits what it did, as a kernel task's work is done once it sleeps)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import KMOD, MODULES

COUNTER = str(MODULES / "counter.py")
BUILTIN = ["/proc/devices", "/proc/modules", "/proc/sys", "/proc/sys/kernel",
           "/proc/sys/kernel/tainted"]

# Handlers that change memory, the log and the store (a new /proc entry), say they got
# there (the marker file), then take long: sleeping, or spinning below the watchdog.
SLOW = """
import os
MODULE_LICENSE("GPL")
MARKER = {marker!r}
count = 0

def extra_read(file, buf, count, ppos):
    return 0

def slow_write(file, buf, n, ppos):
    return _slow(n)

def _slow(n):
    global count
    count += 1
    pr_info("slow: count %d\\n", count)
    proc_create("slow_extra", 0o444, None, proc_ops(proc_read=extra_read))
    open(MARKER, "w").close()
    {wait}
    return n

def slow_read(file, buf, n, ppos):
    return simple_read_from_buffer(buf, n, ppos, b"%d\\n" % count)

@module_init
def slow_init():
    proc_create("slow", 0o666, None, proc_ops(proc_read=slow_read, proc_write=slow_write))
    if os.environ.get("SLOW_INIT"):
        _slow(0)
    return 0
"""
WAITS = {"sleeping": "msleep(60_000)", "spinning": "while True: pass"}


def start(home: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([KMOD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, KMODSIM_HOME=str(home), **env))


def wait_for(marker: Path, p: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline, "the handler never started"
        time.sleep(0.01)
    time.sleep(0.2)  # well inside the wait now


def kill(p: subprocess.Popen[bytes]) -> None:
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    assert p.returncode == -signal.SIGKILL


@pytest.fixture
def slow(module_file, tmp_path: Path):
    def make(wait: str) -> tuple[str, Path]:
        marker = tmp_path / "in-handler"
        return module_file("slow", SLOW.format(marker=str(marker), wait=WAITS[wait])), marker

    return make


def state(kmod) -> tuple[str, str, str, str]:
    """Everything a later command can see, each read by its own command."""
    return (kmod("lsmod").stdout, kmod("proc", "read", "modules").stdout,
            kmod("proc", "ls").stdout, kmod("proc", "read", "counter").stdout)


def test_killed_while_running_in_a_write_handler_changes_nothing(kmod, home, slow, machine):
    path, marker = slow("spinning")
    assert kmod("insmod", COUNTER).returncode == 0
    assert kmod("insmod", path).returncode == 0
    kmod("proc", "write", "counter", "I")
    before, log_before = state(kmod), [(r.seq, r.text) for r in machine.log_records()]
    p = start(home, "proc", "write", "slow", "x")
    wait_for(marker, p)
    kill(p)
    started = time.monotonic()
    assert state(kmod) == before
    assert time.monotonic() - started < 10  # nobody waited on a stale lock
    assert [(r.seq, r.text) for r in machine.log_records()] == log_before
    assert kmod("proc", "read", "slow").stdout == "0\n"  # the count += 1 never happened
    r = kmod("proc", "write", "counter", "I")  # and the machine goes on
    assert (r.returncode, r.stderr) == (0, "")
    assert kmod("proc", "read", "counter").stdout == "2\n"


def test_killed_while_asleep_in_a_write_handler_keeps_what_it_did(kmod, home, slow, machine):
    path, marker = slow("sleeping")
    assert kmod("insmod", COUNTER).returncode == 0
    assert kmod("insmod", path).returncode == 0
    p = start(home, "proc", "write", "slow", "x")
    wait_for(marker, p)
    kill(p)
    started = time.monotonic()
    assert kmod("proc", "read", "slow").stdout == "1\n"  # its count += 1, before msleep
    assert "/proc/slow_extra\n" in kmod("proc", "ls").stdout
    assert "slow: count 1" in [r.text for r in machine.log_records()]
    assert time.monotonic() - started < 10  # nobody waited on a stale lock
    r = kmod("proc", "write", "counter", "I")  # and the machine goes on
    assert (r.returncode, r.stderr) == (0, "")


def test_killed_in_init_while_running_loads_nothing(kmod, home, slow, machine):
    path, marker = slow("spinning")
    kmod("insmod", COUNTER)
    before = state(kmod)
    p = start(home, "insmod", path, SLOW_INIT="1")
    wait_for(marker, p)
    kill(p)
    assert state(kmod) == before
    assert "slow: count 1" not in [r.text for r in machine.log_records()]
    assert kmod("insmod", path).returncode == 0  # no half-loaded module in the way
    assert "/proc/slow\n" in kmod("proc", "ls").stdout


def test_killed_in_init_while_asleep_leaves_it_loading_until_reboot(kmod, home, slow):
    path, marker = slow("sleeping")
    p = start(home, "insmod", path, SLOW_INIT="1")
    wait_for(marker, p)
    kill(p)
    # its init never returns: as after an Oops in init, it is in use and stays Loading
    assert kmod("lsmod").stdout.splitlines()[1] == "slow                   12288  1"
    assert kmod("rmmod", "slow").stderr == "rmmod: ERROR: Module slow is in use\n"
    assert kmod("reboot").returncode == 0
    assert kmod("insmod", path).returncode == 0


def test_a_command_waiting_behind_the_killed_one_goes_through(kmod, home, slow):
    path, marker = slow("spinning")
    kmod("insmod", COUNTER)
    kmod("insmod", path)
    p = start(home, "proc", "write", "slow", "x")
    wait_for(marker, p)
    waiter = start(home, "proc", "write", "counter", "I")
    time.sleep(0.3)
    assert waiter.poll() is None  # queued behind the running handler's transaction
    kill(p)
    out, err = waiter.communicate(timeout=30)
    assert (waiter.returncode, err) == (0, b"")
    assert kmod("proc", "read", "counter").stdout == "1\n"
    assert "database is locked" not in err.decode()
