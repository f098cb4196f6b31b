"""What a command says on a terminal when the kernel reported something while it ran, and
`kmod explain`. A script (stderr not a terminal) sees only what the real tools print."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KMOD = str(BIN / "kmod")
ESC = "\033["

NULL_DEREF = (
    "Killed\n"
    "kmodsim: BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
    "kmodsim:   modules/buggy/null_deref.py:14 in null_write(): AttributeError: 'NoneType' "
    "object has no attribute 'limit' at line 14\n"
    "kmodsim:      14 |     return config.limit  # config is None: NULL pointer dereference\n"
    "kmodsim: way out: kmod rmmod null_deref (or kmod reboot), fix it, load it again; "
    "details: kmod explain\n")


@pytest.fixture
def explain(monkeypatch):
    monkeypatch.setenv("KMODSIM_EXPLAIN", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("KMODSIM_COLOR", raising=False)


def on_tty(args: list[str], home: Path, *, env: dict[str, str] | None = None,
           stdout_tty: bool = False, cwd: Path = ROOT) -> tuple[int, str, str]:
    """Run kmod with stderr (and, with `stdout_tty`, stdout) on a terminal: the status, what
    went to the pipe, what the terminal showed."""
    e = {k: v for k, v in os.environ.items()
         if k not in ("KMODSIM_EXPLAIN", "NO_COLOR", "KMODSIM_COLOR")}
    e.update(KMODSIM_HOME=str(home), TERM="xterm", **(env or {}))
    master, slave = pty.openpty()
    p = subprocess.Popen([KMOD, *args], cwd=cwd, env=e, stdin=subprocess.DEVNULL,
                         stdout=slave if stdout_tty else subprocess.PIPE, stderr=slave)
    os.close(slave)
    screen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)  # a hang guard only
        assert ready, "kmod hangs"
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    out = p.stdout.read() if p.stdout else b""
    status = p.wait(timeout=60)
    os.close(master)
    return status, out.decode(), screen.decode().replace("\r\n", "\n")


# -- a script's view: nothing added ------------------------------------------------------------

def test_a_script_sees_only_killed(kmod, monkeypatch):
    monkeypatch.delenv("KMODSIM_EXPLAIN", raising=False)
    assert kmod("insmod", "modules/buggy/null_deref.py").returncode == 0
    r = kmod("proc", "write", "null_deref", "x")
    assert (r.returncode, r.stdout, r.stderr) == (137, "", "Killed\n")


def test_kmodsim_explain_0_keeps_a_terminal_quiet_too(home):
    subprocess.run([KMOD, "insmod", "modules/buggy/null_deref.py"], cwd=ROOT, check=True,
                   env=dict(os.environ, KMODSIM_HOME=str(home)))
    assert on_tty(["proc", "write", "null_deref", "x"], home,
                  env={"KMODSIM_EXPLAIN": "0"}) == (137, "", "Killed\n")


# -- on a terminal ----------------------------------------------------------------------------

def test_on_a_terminal_the_oops_is_explained_in_colour(home):
    subprocess.run([KMOD, "insmod", "modules/buggy/null_deref.py"], cwd=ROOT, check=True,
                   env=dict(os.environ, KMODSIM_HOME=str(home)))
    status, out, screen = on_tty(["proc", "write", "null_deref", "x"], home)
    assert (status, out) == (137, "")
    assert re.sub(r"\033\[[0-9;]*m", "", screen) == NULL_DEREF
    assert f"{ESC}1m{ESC}31mBUG: kernel NULL pointer dereference" in screen


def test_no_color_on_a_terminal_gives_the_same_words_plain(home):
    subprocess.run([KMOD, "insmod", "modules/buggy/null_deref.py"], cwd=ROOT, check=True,
                   env=dict(os.environ, KMODSIM_HOME=str(home)))
    assert on_tty(["proc", "write", "null_deref", "x"], home,
                  env={"NO_COLOR": "1"}) == (137, "", NULL_DEREF)


def test_color_never_on_a_terminal_too(home):
    subprocess.run([KMOD, "insmod", "modules/buggy/null_deref.py"], cwd=ROOT, check=True,
                   env=dict(os.environ, KMODSIM_HOME=str(home)))
    assert on_tty(["--color=never", "proc", "write", "null_deref", "x"],
                  home) == (137, "", NULL_DEREF)


# -- KMODSIM_EXPLAIN=1: each kind of report -----------------------------------------------------

def test_explain_1_explains_in_a_pipe_without_colour(kmod, explain):
    assert kmod("insmod", "modules/buggy/null_deref.py").returncode == 0
    r = kmod("proc", "write", "null_deref", "x")
    assert (r.returncode, r.stdout, r.stderr) == (137, "", NULL_DEREF)
    # the module is still loaded, and the way out works
    assert kmod("rmmod", "null_deref").returncode == 0


def test_the_way_out_is_said_with_the_name_typed(home, explain):
    env = dict(os.environ, KMODSIM_HOME=str(home))
    subprocess.run([KMOD, "insmod", "modules/buggy/null_deref.py"], cwd=ROOT, env=env,
                   check=True)
    p = subprocess.run([str(BIN / "kmodsim"), "proc", "write", "null_deref", "x"], cwd=ROOT,
                       env=env, capture_output=True, text=True)
    assert p.stderr.endswith("kmodsim: way out: kmodsim rmmod null_deref (or kmodsim reboot), "
                             "fix it, load it again; details: kmodsim explain\n")


def test_a_python_error_is_a_segfault_explained(kmod, explain, module_file):
    path = module_file("lookup", """
        MODULE_LICENSE("GPL")
        table = {}

        def lookup_read(file, buf, count, ppos):
            return table["key"]

        @module_init
        def lookup_init():
            proc_create("lookup", 0o444, None, proc_ops(proc_read=lookup_read))
            return 0
        """)
    assert kmod("insmod", path).returncode == 0
    r = kmod("proc", "read", "lookup")
    assert (r.returncode, r.stdout) == (139, "")
    assert r.stderr == (
        "Segmentation fault\n"
        f"kmodsim: kernel BUG at {path}:6!\n"
        f"kmodsim:   {path}:6 in lookup_read(): KeyError: 'key' at line 6\n"
        "kmodsim:       6 |     return table[\"key\"]\n"
        "kmodsim: way out: kmod rmmod lookup (or kmod reboot), fix it, load it again; "
        "details: kmod explain\n")


def test_an_unknown_symbol_points_at_its_line(kmod, explain, module_file):
    path = module_file("typo", """
        MODULE_LICENSE("GPL")

        @module_init
        def typo_init():
            pr_infoo("typo: hello\\n")
            return 0
        """)
    r = kmod("insmod", path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"insmod: ERROR: could not insert module {path}: Unknown symbol in module\n"
        "kmodsim: typo: Unknown symbol pr_infoo (err -2)\n"
        f"kmodsim:   {path}:6: pr_infoo is defined nowhere, and no module exports it "
        "(a typo?)\n"
        "kmodsim:       6 |     pr_infoo(\"typo: hello\\n\")\n"
        f"kmodsim: way out: fix it, then kmod insmod {path}; details: kmod explain\n")


def test_an_oops_in_init_says_only_reboot_helps(kmod, explain, module_file):
    path = module_file("badinit", """
        MODULE_LICENSE("GPL")
        table = None

        @module_init
        def badinit_init():
            return table[0]
        """)
    r = kmod("insmod", path)
    assert r.returncode == 137
    assert r.stderr.splitlines()[-1] == (
        "kmodsim: way out: kmod reboot (badinit is stuck in its init: even rmmod -f can't "
        "remove it); details: kmod explain")
    assert kmod("rmmod", "-f", "badinit").returncode == 1  # as the way out says


def test_kasan_then_kmemleak(kmod, explain):
    assert kmod("insmod", "modules/buggy/memory.py").returncode == 0
    r = kmod("proc", "write", "memory", "overflow")
    assert r.returncode == 137
    assert r.stderr == (
        "Killed\n"
        "kmodsim: BUG: KASAN: slab-out-of-bounds in memory_write+0x85/0x1a0 [memory]\n"
        "kmodsim:   modules/buggy/memory.py:24 in memory_write(): write of 9 bytes at offset 8 "
        "of a 8-byte buffer at line 24\n"
        "kmodsim:      24 |         copy_from_user(small, buf, count)  # count is 9 here: "
        "one byte too many\n"
        "kmodsim: way out: kmod rmmod memory (or kmod reboot), fix it, load it again; "
        "details: kmod explain\n")
    r = kmod("rmmod", "memory")  # the 8 bytes the Oops left allocated
    assert r.returncode == 0
    assert r.stderr == (
        "kmodsim: unreferenced object 0xffff888104a1c000 (size 8):\n"
        "kmodsim:   modules/buggy/memory.py:23 in memory_write(): memory never kfree'd 1 "
        "buffer; the first was allocated at line 23\n"
        "kmodsim:      23 |         small = kmalloc(8, GFP_KERNEL)\n"
        "kmodsim: way out: fix it, then kmod insmod modules/buggy/memory.py; "
        "details: kmod explain\n")


def test_lockdep_and_a_sleep_in_atomic_context_without_killing(kmod, explain):
    assert kmod("insmod", "modules/buggy/locks.py").returncode == 0
    r = kmod("proc", "write", "lockbugs", "unlock")
    assert (r.returncode, r.stderr.splitlines()[:2]) == (0, [
        "kmodsim: WARNING: bad unlock balance detected!",
        "kmodsim:   modules/buggy/locks.py:35 in locks_write(): unlock of big_lock, which this "
        "task does not hold at line 35"])
    r = kmod("proc", "write", "lockbugs", "atomic")
    assert (r.returncode, r.stderr.splitlines()[0]) == (
        0, "kmodsim: BUG: sleeping function called from invalid context at "
           "kernel/time/timer.c:2154")
    r = kmod("proc", "write", "lockbugs", "hold")  # lockdep is off now: the hint alone
    assert r.stderr.splitlines()[0] == (
        "kmodsim: the handler returned with big_lock locked: every path out of it must unlock "
        "(the lock stays held, and the next task that takes it waits forever)")


def test_a_soft_lockup(kmod, explain, monkeypatch):
    monkeypatch.setenv("KMODSIM_WATCHDOG_THRESH", "1")
    assert kmod("insmod", "modules/buggy/lockup.py").returncode == 0
    r = kmod("proc", "write", "lockup", "x")
    lines = r.stderr.splitlines()
    assert r.returncode == 137
    assert lines[0] == "Killed"
    assert re.fullmatch(r"kmodsim: watchdog: BUG: soft lockup - CPU#0 stuck for 1s! "
                        r"\[sh:\d+\]", lines[1])
    assert lines[3] == "kmodsim:      11 |     while done < count:  # forgot `done += 1`"


def test_a_panic_says_reboot(kmod, explain):
    assert kmod("insmod", "modules/buggy/panic_button.py").returncode == 0
    r = kmod("proc", "write", "panic_button", "x")
    assert r.stderr.splitlines()[1] == (
        "kmodsim: Kernel panic - not syncing: panic_button: pressed with 2 bytes")
    assert r.stderr.splitlines()[-1] == (
        "kmodsim: way out: kmod reboot (the kernel has stopped); details: kmod explain")


def test_nothing_reported_nothing_said(kmod, explain):
    assert kmod("insmod", "modules/counter.py").returncode == 0
    r = kmod("proc", "write", "counter", "X")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/counter: Invalid argument\n")


def test_only_this_commands_reports(kmod, explain):
    assert kmod("insmod", "modules/buggy/null_deref.py").returncode == 0
    assert kmod("proc", "write", "null_deref", "x").returncode == 137
    r = kmod("rmmod", "null_deref")  # the earlier Oops is not this command's
    assert (r.returncode, r.stderr) == (0, "")


def test_each_batch_line_is_explained_after_its_own_output(kmod, explain):
    r = kmod("-b", "-", "--force", input=b"insmod modules/buggy/null_deref.py\n"
                                          b"proc write null_deref x\nlsmod\n")
    assert r.returncode == 1
    assert r.stdout == "Module                  Size  Used by\nnull_deref             12288  0\n"
    assert r.stderr == NULL_DEREF + "kmod: batch line 2 failed: proc write null_deref x\n"


def test_a_kmod_sh_line_is_explained(kmod, explain):
    r = kmod("sh", "-c", "insmod null_deref.ko; echo x > /proc/null_deref",
             cwd=ROOT / "modules" / "buggy")
    assert r.returncode == 137
    assert r.stderr.splitlines()[1] == (
        "kmodsim:   null_deref.py:14 in null_write(): AttributeError: 'NoneType' object has "
        "no attribute 'limit' at line 14")


# -- kmod explain -----------------------------------------------------------------------------

EXPLAIN_HEAD = """\
BUG: kernel NULL pointer dereference, address: 0000000000000000
  report 1 of 1 in the ring buffer, at [TIME]

What it means
  Module code used a pointer that was never set: an attribute or item of None (NULL in C). \
The kernel kills the task that did it (an Oops).

Where
  modules/buggy/null_deref.py:14 in null_write(), module null_deref

    10 |
    11 | def null_write(file, buf, count, ppos):
    12 |     global writes
    13 |     writes += 1
  > 14 |     return config.limit  # config is None: NULL pointer dereference
    15 |
    16 |
    17 | null_fops = proc_ops(proc_write=null_write)
    18 |

kmodsim's hint
  AttributeError: 'NoneType' object has no attribute 'limit' at \
modules/buggy/null_deref.py:14 in null_write()

Way out
  kmod rmmod null_deref (or kmod reboot), fix it, load it again

The kernel's report (kmod dmesg shows it among the rest)
"""


def test_kmod_explain_shows_the_last_report_in_full(kmod):
    assert kmod("insmod", "modules/buggy/null_deref.py").returncode == 0
    assert kmod("proc", "write", "null_deref", "x").returncode == 137
    r = kmod("explain")
    assert (r.returncode, r.stderr) == (0, "")
    head, _, report = r.stdout.partition("The kernel's report (kmod dmesg shows it among the "
                                         "rest)\n")
    assert re.sub(r"\[\s*\d+\.\d{6}\]", "[TIME]", head) + \
        "The kernel's report (kmod dmesg shows it among the rest)\n" == EXPLAIN_HEAD
    dmesg = kmod("dmesg").stdout.splitlines()
    start = next(i for i, line in enumerate(dmesg) if "BUG: kernel NULL" in line)
    assert report == "".join(f"  {line}\n" for line in dmesg[start:])


def test_kmod_explain_list_and_number(kmod, module_file):
    typo = module_file("typo", """
        MODULE_LICENSE("GPL")

        @module_init
        def typo_init():
            pr_infoo("x")
            return 0
        """)
    assert kmod("insmod", typo).returncode == 1
    assert kmod("insmod", "modules/buggy/null_deref.py").returncode == 0
    assert kmod("proc", "write", "null_deref", "x").returncode == 137
    r = kmod("explain", "--list")
    assert re.sub(r"\[\s*\d+\.\d{6}\]", "[TIME]", r.stdout) == (
        "  1  [TIME] typo: Unknown symbol pr_infoo (err -2)\n"
        "  2  [TIME] BUG: kernel NULL pointer dereference, address: 0000000000000000  "
        "(modules/buggy/null_deref.py:14)\n")
    assert kmod("explain", "1").stdout.startswith("typo: Unknown symbol pr_infoo (err -2)\n")
    assert kmod("explain").stdout == kmod("explain", "2").stdout
    r = kmod("explain", "3")
    assert (r.returncode, r.stderr.splitlines()[-1]) == (
        2, "Error: there are 2 reports: NUMBER is 1 to 2 (see kmod explain --list)")


def test_kmod_explain_with_nothing_to_explain(kmod):
    r = kmod("explain")
    assert (r.returncode, r.stdout, r.stderr) == (
        0, "No kernel report in the ring buffer: nothing has gone wrong since the boot (or "
           "since `kmod dmesg -C`).\n", "")


def test_kmod_explain_highlights_on_a_terminal_and_not_with_no_color(home):
    env = dict(os.environ, KMODSIM_HOME=str(home))
    subprocess.run([KMOD, "insmod", "modules/buggy/null_deref.py"], cwd=ROOT, env=env,
                   check=True)
    subprocess.run([KMOD, "proc", "write", "null_deref", "x"], cwd=ROOT, env=env,
                   capture_output=True)
    plain = subprocess.run([KMOD, "explain"], cwd=ROOT, env=env, capture_output=True,
                           text=True).stdout
    status, _, screen = on_tty(["explain"], home, stdout_tty=True)
    assert status == 0
    assert f"{ESC}1;31mBUG: kernel NULL pointer dereference" in screen
    assert "return" in screen and f"{ESC}" in screen.split("config.limit")[0].splitlines()[-1]
    status, _, screen = on_tty(["explain"], home, stdout_tty=True, env={"NO_COLOR": ""})
    assert (status, screen) == (0, plain)
    forced = subprocess.run([KMOD, "--color=always", "explain"], cwd=ROOT, env=env,
                            capture_output=True, text=True).stdout
    assert f"{ESC}1;31mBUG: kernel NULL pointer dereference" in forced
