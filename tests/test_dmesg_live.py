"""`kmod dmesg` over the simulated ring buffer, end to end through the real executable:
reading (as from /dev/kmsg), clearing, the console controls and following."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kmodsim.machine import Machine

KMOD = str(Path(sys.executable).parent / "kmod")
ROOT = Path(__file__).resolve().parent.parent
HELLO = str(ROOT / "modules" / "hello.py")


def caller_width() -> int:
    """dmesg's caller column for /dev/kmsg: the length of pid_max's contents."""
    try:
        return len(Path("/proc/sys/kernel/pid_max").read_bytes()[:20])
    except OSError:
        return 11


def kmod(home: Path, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    e = dict(os.environ, KMODSIM_HOME=str(home), LC_ALL="C", TZ="GMT")
    e.pop("KMODSIM_BOOT_TIME", None)
    e.update(env or {})
    return subprocess.run([KMOD, *args], capture_output=True, text=True, env=e, timeout=60,
                          cwd=ROOT)


def records(home: Path) -> list:
    m = Machine(home)
    try:
        return m.log_records()
    finally:
        m.close()


def cid(r: object, width: int | None = None) -> str:
    """The caller column: only when the records carry caller ids (KMODSIM_PRINTK_CALLER)."""
    caller = r.caller  # type: ignore[attr-defined]
    return f"[{caller:>{width or caller_width()}}] " if caller else ""


def plain(recs: list, time_fmt: bool = True) -> str:
    out = []
    for r in recs:
        sec, usec = divmod(r.ts_usec, 1_000_000)
        ts = f"[{sec:5d}.{usec:06d}] " if time_fmt else ""
        out.append(f"{ts}{cid(r)}{r.text}\n")
    return "".join(out)


@pytest.fixture
def loaded(home: Path) -> Path:
    p = kmod(home, "insmod", HELLO)
    assert p.returncode == 0, p.stderr
    return home


def test_dmesg_prints_the_ring_buffer_like_kmsg(loaded):
    recs = records(loaded)
    assert any(r.text == "Hello, world!" for r in recs)
    p = kmod(loaded, "dmesg")
    assert (p.returncode, p.stdout, p.stderr) == (0, plain(recs), "")
    assert kmod(loaded, "dmesg", "-t").stdout == plain(recs, time_fmt=False)


def test_no_caller_column_by_default(loaded):
    """Distribution kernels have no CONFIG_PRINTK_CALLER: dmesg's plain `[time] message`."""
    assert all(r.caller is None for r in records(loaded))
    line = kmod(loaded, "dmesg").stdout.splitlines()[-1]
    assert line.endswith("] Hello, world!") and line.count("[") == 1


def test_caller_ids_when_the_kernel_records_them(loaded, monkeypatch):
    monkeypatch.setenv("KMODSIM_PRINTK_CALLER", "1")
    recs = records(loaded)
    assert all(r.caller and r.caller.startswith("T") for r in recs)
    env = {"KMODSIM_PRINTK_CALLER": "1"}
    assert kmod(loaded, "dmesg", env=env).stdout == plain(recs)
    js = kmod(loaded, "dmesg", "-J", env=env).stdout
    assert f'"caller": "{recs[-1].caller}",\n         "msg": "Hello, world!"\n' in js
    assert kmod(loaded, "dmesg", "-S", "-t", env=env).stdout == "".join(
        f"{cid(r, 5)}{r.text}\n" for r in recs)


def test_decode_raw_json_and_levels(loaded):
    recs = records(loaded)
    names = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"]
    assert kmod(loaded, "dmesg", "-x", "-t").stdout == "".join(
        f"kern  :{names[r.level]:<6}: {cid(r)}{r.text}\n" for r in recs)
    assert kmod(loaded, "dmesg", "-r").stdout == "".join(
        f"<{r.pri}>[{r.ts_usec // 10**6:5d}.{r.ts_usec % 10**6:06d}] {cid(r)}"
        f"{r.text}\n" for r in recs)
    info = [r for r in recs if r.level == 6]
    assert kmod(loaded, "dmesg", "-l", "info").stdout == plain(info)
    assert kmod(loaded, "dmesg", "-u").stdout == ""
    assert kmod(loaded, "dmesg", "-k").stdout == plain(recs)
    js = kmod(loaded, "dmesg", "-J").stdout
    assert js.startswith('{\n   "dmesg": [\n      {\n         "pri": ')
    assert '"msg": "Hello, world!"\n' in js and '"caller"' not in js
    assert js.endswith("\n   ]\n}\n")


def test_syslog_method(loaded):
    recs = records(loaded)
    assert kmod(loaded, "dmesg", "-S", "-t").stdout == "".join(f"{r.text}\n" for r in recs)


def test_wall_clock_times_use_the_boot_time(loaded):
    recs = records(loaded)
    p = kmod(loaded, "dmesg", "-T", env={"KMODSIM_BOOT_TIME": "1234567890.0"})
    first = time.gmtime(1234567890 + recs[0].ts_usec // 10**6)
    assert p.stdout.startswith(time.strftime("[%a %b %e %H:%M:%S %Y] ", first))


def test_multiline_messages_are_indented(home, module_file):
    path = module_file("twolines", """
        @module_init
        def init():
            pr_info("first\\nsecond\\n")
            return 0
        """)
    assert kmod(home, "insmod", path).returncode == 0
    recs = [r for r in records(home) if r.text.startswith("first")]
    assert recs and recs[0].text == "first\nsecond"
    assert "\nfirst\nsecond\n" in kmod(home, "dmesg", "-t").stdout
    out = kmod(home, "dmesg").stdout
    assert "] first\n" + " " * 15 + "second\n" in out


def test_clear_and_read_clear(loaded):
    recs = records(loaded)
    p = kmod(loaded, "dmesg", "-c")
    assert (p.returncode, p.stdout) == (0, plain(recs))
    assert records(loaded) == []
    assert kmod(loaded, "dmesg").stdout == ""
    kmod(loaded, "rmmod", "hello")
    assert records(loaded) != []
    p = kmod(loaded, "dmesg", "-C")
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    assert records(loaded) == []


def test_console_level_and_console_off_on(home):
    # A command's terminal is not the kernel's console (as on the reference machine): the
    # console is what a Machine is given, and dmesg -n/-D/-E set what reaches it.
    import io

    from kmodsim.machine import Machine

    console = io.StringIO()
    m = Machine(home, console=console)
    p = kmod(home, "dmesg", "-n", "8")  # KERN_INFO reaches it above 6
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    assert kmod(home, "insmod", HELLO).stderr == ""
    m.rmmod("hello")
    assert "Goodbye, world!" in console.getvalue()
    kmod(home, "dmesg", "-D")
    m.insmod(HELLO)
    assert "Hello, world!" not in console.getvalue()
    kmod(home, "dmesg", "-E")
    kmod(home, "dmesg", "-n", "err")  # err and more urgent only (console_loglevel 4)
    m.rmmod("hello")
    assert console.getvalue().count("Goodbye") == 1
    kmod(home, "dmesg", "-n", "info")  # info and more urgent (console_loglevel 7)
    m.insmod(HELLO)
    assert "Hello, world!" in console.getvalue()
    p = kmod(home, "dmesg", "-n", "0")
    assert (p.returncode, p.stderr) == (1, "dmesg: unknown level '0'\n")


def _read_until(proc: subprocess.Popen, needle: str, timeout: float = 20.0) -> str:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    got = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in got:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            got += chunk
    return got.decode()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("opt", ["-w", "-W"])
def test_follow_prints_new_records_and_stops_cleanly(opt, sig, loaded):
    env = dict(os.environ, KMODSIM_HOME=str(loaded), LC_ALL="C")
    proc = subprocess.Popen([KMOD, "dmesg", opt, "-t"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        if opt == "-w":
            assert "Hello, world!" in _read_until(proc, "Hello, world!")
        else:
            time.sleep(1.0)  # let it start: -W shows only what comes after
        kmod(loaded, "rmmod", "hello")
        seen = _read_until(proc, "Goodbye, world!")
        assert "Goodbye, world!" in seen
        assert opt == "-w" or "Hello, world!" not in seen
    finally:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    assert (proc.returncode, err) == (0, b"")
