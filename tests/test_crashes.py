"""Bugs teach instead of crash: each classic mistake in modules/buggy/ gets the kernel's report,
a kmodsim hint naming the file and line, the right exit status and a usable machine after."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import MODULES, messages

from kmodsim.errors import InsmodError, Killed, KmodError, RmmodError
from kmodsim.kernel.debug.hung_task import hung_task_timeout
from kmodsim.machine import Machine

BUGGY = MODULES / "buggy"
KMOD = str(Path(sys.executable).parent / "kmod")


def buggy(name: str) -> str:
    return str(BUGGY / f"{name}.py")


def section(log: list[str], first: str, last: str) -> list[str]:
    start = log.index(first)
    return log[start : log.index(last, start) + 1]


def test_null_deref_oops_kills_the_command_and_keeps_memory(kmod, machine):
    kmod("insmod", buggy("null_deref"))
    r = kmod("proc", "write", "null_deref", "x")
    assert (r.returncode, r.stdout) == (137, "")
    assert r.stderr == "Killed\n"  # the report is the log's (the console is not the terminal)
    log = messages(machine)
    oops = section(log, "BUG: kernel NULL pointer dereference, address: 0000000000000000",
                   "---[ end trace 0000000000000000 ]---")
    assert oops[1:5] == ["#PF: supervisor read access in kernel mode",
                         "#PF: error_code(0x0000) - not-present page", "PGD 0 P4D 0 ",
                         "Oops: 0000 [#1] PREEMPT SMP NOPTI"]
    assert oops[7] == "RIP: 0010:null_write+0x35/0x50 [null_deref]"
    assert log[-1] == ("kmodsim: hint: AttributeError: 'NoneType' object has no attribute "
                       f"'limit' at {buggy('null_deref')}:14 in null_write()")
    assert machine.tainted() & (1 << 7)  # D
    kmod("proc", "write", "null_deref", "x")  # the counter kept counting through both Oopses
    assert "Oops: 0000 [#2] PREEMPT SMP NOPTI" in messages(machine)
    assert kmod("rmmod", "null_deref").returncode == 0


def test_no_hints_leaves_the_kernel_output_alone(kmod, machine, monkeypatch):
    monkeypatch.setenv("KMODSIM_NO_HINTS", "1")
    kmod("insmod", buggy("null_deref"))
    kmod("proc", "write", "null_deref", "x")
    log = messages(machine)
    assert log[-1].startswith("note: sh[") and log[-1].endswith("] exited with irqs disabled")
    assert not any(line.startswith("kmodsim:") for line in log)


def test_panic_stops_everything_but_dmesg_and_reboot(kmod, machine):
    kmod("insmod", buggy("panic_button"))
    r = kmod("proc", "write", "panic_button", "x")
    assert r.returncode == 137
    assert "Kernel panic - not syncing: panic_button: pressed with 2 bytes" in messages(machine)
    log = messages(machine)
    assert log[-3:-1] == ["Kernel Offset: disabled",
                          "---[ end Kernel panic - not syncing: panic_button: pressed with 2 "
                          "bytes ]---"]
    refusal = ("kmod: the kernel has panicked (Kernel panic - not syncing: panic_button: "
               "pressed with 2 bytes); only `kmod dmesg` and `kmod reboot` work until you run "
               "`kmod reboot`\n")
    for args in (("lsmod",), ("insmod", "modules/hello.py"), ("rmmod", "panic_button"),
                 ("proc", "read", "modules"), ("proc", "ls")):
        r = kmod(*args)
        assert (r.returncode, r.stderr) == (1, refusal), args
    assert kmod("reboot").returncode == 0
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"
    assert kmod("insmod", "modules/hello.py").returncode == 0


def test_missing_license_taints_proprietary(machine):
    machine.insmod(buggy("no_license"))
    assert messages(machine)[:5] == [
        "no_license: loading out-of-tree module taints kernel.",
        "no_license: module license 'unspecified' taints kernel.",
        "Disabling lock debugging due to kernel taint",
        "no_license: module verification failed: signature and/or required key missing - "
        "tainting kernel",
        "no_license: loaded"]
    assert machine.proc_read("modules") == (
        b"no_license 12288 0 - Live 0x0000000000000000 (POE)\n")
    assert machine.proc_read("sys/kernel/tainted") == b"12289\n"


def test_soft_lockup_is_stopped_with_the_watchdog_report(kmod, machine, monkeypatch):
    monkeypatch.setenv("KMODSIM_WATCHDOG_THRESH", "1")
    kmod("insmod", buggy("lockup"))
    r = kmod("proc", "write", "lockup", "x")
    assert r.returncode == 137
    log = messages(machine)
    report = [line for line in log if "soft lockup" in line]
    assert len(report) == 1
    assert report[0].startswith("watchdog: BUG: soft lockup - CPU#0 stuck for 1s! [sh:")
    assert "RIP: 0010:lockup_write+0x25/0x60 [lockup]" in log
    assert log[-1].startswith("kmodsim: hint: module code ran for more than 1 s without "
                              f"sleeping or returning; it was at {buggy('lockup')}:11 in "
                              "lockup_write()")
    assert machine.tainted() & (1 << 14)  # L
    assert kmod("rmmod", "lockup").returncode == 0


def test_handler_returning_with_a_lock_held_then_a_hung_task(kmod, machine, home,
                                                            monkeypatch):
    monkeypatch.setenv("KMODSIM_HUNG_TASK_TIMEOUT", "1")
    kmod("insmod", buggy("locks"))
    assert kmod("proc", "write", "lockbugs", "hold").returncode == 0
    log = messages(machine)
    i = log.index("WARNING: lock held when returning to user space!")
    assert log[i - 1] == "=" * 48
    assert log[i + 3].endswith(" is leaving the kernel with locks still held!")
    assert any(line.startswith(" #0: ") and "(big_lock){+.+.}-{3:3}, at: locks_write+0x"
               in line for line in log)
    # the next task that takes it sleeps for good (the holder is gone), as on a real kernel:
    # khungtaskd reports it after hung_task_timeout_secs, and it goes on waiting
    taker = subprocess.Popen([KMOD, "proc", "write", "lockbugs", "take"],
                             env=dict(os.environ, KMODSIM_HOME=str(home)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not any(line.startswith("INFO: task sh:") for line in messages(machine)):
            assert time.monotonic() < deadline, "no hung-task report"
            time.sleep(0.2)
        assert taker.poll() is None  # still asleep in mutex_lock
        log = messages(machine)
        hung = [line for line in log if line.startswith("INFO: task sh:")]
        assert len(hung) == 1 and hung[0].endswith(" blocked for more than 1 seconds.")
        assert '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.' in log
        assert " __mutex_lock.constprop.0+0x39d/0x720" in log
        assert "waits for a lock held by task sh:" in log[-1]
        assert "which ended without unlocking it" in log[-1]
        assert kmod("lsmod").returncode == 0  # nobody else is held up
    finally:
        taker.kill()
        taker.wait()
    assert kmod("reboot").returncode == 0  # the way out


# Each command the tests write to /proc/sleepy logs its name, then does what the name says;
# the log line shows once the command sleeps (a task's work is committed at its sleep).
SLEEPY = """
    MODULE_LICENSE("GPL")
    wq = DECLARE_WAIT_QUEUE_HEAD()
    done = DECLARE_COMPLETION()
    sem = DEFINE_SEMAPHORE()
    big_lock = DEFINE_MUTEX()
    ready = 0

    def sleepy_write(file, buf, count, ppos):
        global ready
        cmd = bytearray(count)
        if copy_from_user(cmd, buf, count):
            return -EFAULT
        word = bytes(cmd).strip().decode()
        pr_info("sleepy: %s\\n", word)
        if word == "wait_event":
            wait_event(wq, lambda: ready)
        elif word == "wait_event_interruptible":
            if wait_event_interruptible(wq, lambda: ready):
                return -ERESTARTSYS
        elif word == "wake_up":
            ready = 1
            wake_up(wq)
        elif word == "set_ready":  # and forget wake_up()
            ready = 1
        elif word == "wait_for_completion":
            wait_for_completion(done)
        elif word == "complete":
            complete(done)
        elif word == "down":
            down(sem)
        elif word == "up":
            up(sem)
        elif word == "lock":
            mutex_lock(big_lock)
            mutex_unlock(big_lock)
        elif word == "lock_interruptible":
            if mutex_lock_interruptible(big_lock):
                return -EINTR
            mutex_unlock(big_lock)
        elif word == "hold_and_wait":
            mutex_lock(big_lock)
            wait_event(wq, lambda: ready)
            mutex_unlock(big_lock)
        return count

    @module_init
    def sleepy_init():
        proc_create("sleepy", 0o666, None, proc_ops(proc_write=sleepy_write))
        return 0

    @module_exit
    def sleepy_exit():
        remove_proc_entry("sleepy", None)
    """


def sleeper(home: Path, word: str, hung_timeout: str) -> subprocess.Popen[bytes]:
    """`kmod proc write sleepy WORD` in the background, with its own hung-task timeout."""
    env = dict(os.environ, KMODSIM_HOME=str(home), KMODSIM_HUNG_TASK_TIMEOUT=hung_timeout)
    return subprocess.Popen([KMOD, "proc", "write", "sleepy", word], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def until_logged(machine: Machine, line: str, times: int = 1) -> list[str]:
    """The log once it holds `line` `times` times (a sleeper's line: it is asleep)."""
    deadline = time.monotonic() + 30
    while (log := messages(machine)).count(line) < times:
        assert time.monotonic() < deadline, f"never logged: {line}"
        time.sleep(0.05)
    return log


def hung_reports(log: list[str]) -> list[str]:
    return [line for line in log if line.startswith("INFO: task ")]


def until_reported(machine: Machine) -> list[str]:
    """The log once khungtaskd has reported a task."""
    deadline = time.monotonic() + 30
    while not hung_reports(log := messages(machine)):
        assert time.monotonic() < deadline, "no hung-task report"
        time.sleep(0.05)
    return log


def finished(*tasks: subprocess.Popen[bytes]) -> list[int]:
    return [task.wait(timeout=30) for task in tasks]


@pytest.mark.parametrize(("value", "seconds"), [("0", 0), ("", 120), ("1.5", 1.5),
                                                ("-3", 120), ("soon", 120), ("inf", 120)])
def test_hung_task_timeout_setting(monkeypatch, value, seconds):
    monkeypatch.setenv("KMODSIM_HUNG_TASK_TIMEOUT", value)
    assert hung_task_timeout() == seconds  # 0 is off, as hung_task_timeout_secs=0


def test_hung_task_timeout_zero_reports_nothing(kmod, machine, home, module_file):
    kmod("insmod", module_file("sleepy", SLEEPY))
    holder = sleeper(home, "hold_and_wait", "0")
    tasks = [holder]
    try:
        until_logged(machine, "sleepy: hold_and_wait")
        tasks.append(sleeper(home, "lock", "0"))  # waits for the mutex, unwatched
        until_logged(machine, "sleepy: lock")
        # a later waiter, watched for 2 s, is reported past the time the other one would be
        tasks.append(sleeper(home, "lock", "2"))
        until_logged(machine, "sleepy: lock", 2)
        only_the_watched = [f"INFO: task sh:{tasks[2].pid} blocked for more than 2 seconds."]
        assert hung_reports(until_reported(machine)) == only_the_watched
        assert kmod("proc", "write", "sleepy", "wake_up").returncode == 0
        assert finished(*tasks) == [0, 0, 0]  # the holder unlocks: both waiters take it
    finally:
        for task in tasks:
            task.kill()
            task.wait()
    assert hung_reports(messages(machine)) == only_the_watched


USER_REGS = [
    "RIP: 0033:0x7f466bdb1829",
    "RSP: 002b:00007fff14b774c8 EFLAGS: 00000246 ORIG_RAX: 0000000000000001",
    "RAX: ffffffffffffffda RBX: 00005573f87e74b0 RCX: 00007f466bdb1829",
    "RDX: 0000000000000000 RSI: 00005573c91664a0 RDI: 0000000000000005",
    "RBP: 00005573c91664a0 R08: 0000000000000000 R09: 00007f466be8b2a0",
    "R10: 0000000000000005 R11: 0000000000000246 R12: 0000000000000000",
    "R13: 0000000000000000 R14: 00005573f87e7490 R15: 0000000000000000"]


@pytest.mark.parametrize(("taken", "word", "waker", "waits_in", "why"), [
    ("", "wait_event", "wake_up", [" sleepy_write+0x85/0x260 [sleepy]"],
     "wait_event(wq) waits for a condition nobody has made true; wake_up(wq) after setting "
     "it"),
    ("", "wait_for_completion", "complete",
     [" schedule_timeout+0x11a/0x150", " __wait_for_common+0x94/0x1e0",
      " sleepy_write+0x125/0x260 [sleepy]"],
     "wait_for_completion(done) waits for a complete(done) nobody has called"),
    ("down", "down", "up",
     [" schedule_timeout+0x11a/0x150", " __down_common+0x11e/0x240", " down+0x43/0x60",
      " sleepy_write+0x165/0x260 [sleepy]"],
     "down(sem) waits for an up(sem) that never came: each down() that takes the semaphore "
     "needs one once done"),
], ids=["wait_event", "wait_for_completion", "down"])
def test_uninterruptible_wait_past_the_hung_task_timeout(kmod, machine, home, module_file,
                                                         taken, word, waker, waits_in, why):
    path = module_file("sleepy", SLEEPY)
    kmod("insmod", path)
    if taken:  # the semaphore's one place, taken by a command that has returned
        assert kmod("proc", "write", "sleepy", taken).returncode == 0
    task = sleeper(home, word, "1")
    try:
        log = until_reported(machine)
        first = f"INFO: task sh:{task.pid} blocked for more than 1 seconds."
        assert section(log, first, " </TASK>") == [
            first,
            "      Tainted: G           OE      6.1.0-kmodsim #1 kmodsim",
            '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
            f"task:sh              state:D stack:0     pid:{task.pid:<5} ppid:{os.getpid():<6} "
            f"flags:0x00000002",
            "Call Trace:", " <TASK>", " __schedule+0x34d/0xa00", " schedule+0x5a/0xd0",
            *waits_in, " proc_reg_write+0x56/0xa0", " vfs_write+0xc7/0x3f0",
            " ksys_write+0x6b/0xf0", " do_syscall_64+0x5d/0xb0",
            " entry_SYSCALL_64_after_hwframe+0x6e/0xd8", *USER_REGS, " </TASK>"]
        line = next(n for n, text in enumerate(Path(path).read_text().splitlines(), 1)
                    if text.strip().startswith(f"{word}("))
        assert log[log.index(" </TASK>", log.index(first)) + 1] == (
            f"kmodsim: hint: {why} at {path}:{line} in sleepy_write()")
        assert task.poll() is None  # it sleeps on until woken
        assert kmod("proc", "write", "sleepy", waker).returncode == 0
        assert finished(task) == [0]
    finally:
        task.kill()
        task.wait()
    assert hung_reports(messages(machine)) == [first]  # once per wait


def test_wait_event_whose_condition_came_true_unwoken_sleeps_on(kmod, machine, home,
                                                                module_file):
    kmod("insmod", module_file("sleepy", SLEEPY))
    task = sleeper(home, "wait_event", "1")
    try:
        until_logged(machine, "sleepy: wait_event")
        assert kmod("proc", "write", "sleepy", "set_ready").returncode == 0
        log = until_reported(machine)
        assert log[log.index(" </TASK>", log.index(hung_reports(log)[0])) + 1].startswith(
            "kmodsim: hint: wait_event(wq)'s condition is true, but nobody woke the task: "
            "wake_up(wq) after setting it at ")
        assert task.poll() is None  # as in the kernel: nothing wakes it to look again
        assert kmod("proc", "write", "sleepy", "wake_up").returncode == 0
        assert finished(task) == [0]
    finally:
        task.kill()
        task.wait()


def test_interruptible_waits_are_never_reported(kmod, machine, home, module_file):
    kmod("insmod", module_file("sleepy", SLEEPY))
    holder = sleeper(home, "hold_and_wait", "0")  # holds the mutex while asleep, unwatched
    tasks = [holder]
    try:
        until_logged(machine, "sleepy: hold_and_wait")
        for word in ("lock_interruptible", "wait_event_interruptible"):
            tasks.append(sleeper(home, word, "1"))
            until_logged(machine, f"sleepy: {word}")
        # a later uninterruptible wait, watched for 2 s, is reported past the time the
        # interruptible ones would be
        tasks.append(sleeper(home, "wait_event", "2"))
        watched = [f"INFO: task sh:{tasks[-1].pid} blocked for more than 2 seconds."]
        assert hung_reports(until_reported(machine)) == watched
        assert kmod("proc", "write", "sleepy", "wake_up").returncode == 0
        assert finished(*tasks) == [0, 0, 0, 0]
    finally:
        for task in tasks:
            task.kill()
            task.wait()
    assert hung_reports(messages(machine)) == watched


def test_recursive_locking_is_lockdeps_report(machine):
    machine.insmod(buggy("locks"))
    with pytest.raises(Killed):
        machine.proc_write("lockbugs", b"twice\n")
    log = messages(machine)
    report = section(log, "WARNING: possible recursive locking detected", " </TASK>")
    assert report[0:1] == ["WARNING: possible recursive locking detected"]
    assert log[log.index(report[0]) - 1] == "=" * 44
    assert " *** DEADLOCK ***" in report
    assert " May be due to missing lock nesting notation" in report
    assert "  lock(big_lock);" in report


def test_bad_unlock_balance_warns_and_goes_on(machine):
    machine.insmod(buggy("locks"))
    machine.proc_write("lockbugs", b"unlock\n")
    log = messages(machine)
    assert "WARNING: bad unlock balance detected!" in log
    assert "but there are no more locks to release!" in log
    assert any(line.endswith("is trying to release lock (big_lock) at:") for line in log)


def test_circular_dependency_across_commands(machine):
    machine.insmod(buggy("locks"))
    machine.proc_write("lockbugs", b"ab\n")
    assert "WARNING: possible circular locking dependency detected" not in messages(machine)
    machine.proc_write("lockbugs", b"ba\n")
    log = messages(machine)
    report = section(log, "WARNING: possible circular locking dependency detected",
                     " </TASK>")
    assert "which lock already depends on the new lock." in report
    assert ["  lock(lock_b);", "                               lock(lock_a);",
            "                               lock(lock_b);", "  lock(lock_a);"] == [
        line for line in report if "lock(" in line]
    assert log[-1].startswith("kmodsim: hint: lock_a taken while holding lock_b")


def test_sleeping_while_holding_a_spinlock(machine):
    machine.insmod(buggy("locks"))
    machine.proc_write("lockbugs", b"atomic\n")
    log = messages(machine)
    first = next(line for line in log if line.startswith("BUG: sleeping function"))
    assert first == "BUG: sleeping function called from invalid context at kernel/time/timer.c:2154"
    i = log.index(first)
    assert log[i + 1].startswith("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ")
    assert log[i + 2] == "preempt_count: 1, expected: 0"
    assert machine.tainted() & (1 << 9)  # W


@pytest.mark.parametrize("cmd,kind,hint", [
    (b"overflow\n", "slab-out-of-bounds", "write of 9 bytes at offset 8 of a 8-byte buffer"),
    (b"uaf\n", "slab-use-after-free", "write of a buffer after kfree()"),
    (b"double\n", "double-free", "kfree() of a buffer that was already freed"),
])
def test_kasan_reports(machine, cmd, kind, hint):
    machine.insmod(buggy("memory"))
    with pytest.raises(Killed):
        machine.proc_write("memory", cmd)
    log = messages(machine)
    start = log.index("=" * 66)
    assert log[start + 1].startswith(f"BUG: KASAN: {kind} in memory_write+0x")
    assert log[start + 1].endswith("/0x1a0 [memory]")
    assert "Oops: 0000 [#1] PREEMPT SMP NOPTI" in log
    assert log[-1].startswith(f"kmodsim: hint: {hint} at {buggy('memory')}:")


def test_kasan_overflow_names_size_and_region(machine):
    machine.insmod(buggy("memory"))
    with pytest.raises(Killed):
        machine.proc_write("memory", b"overflow\n")
    log = messages(machine)
    assert any(line.startswith("Write of size 9 at addr ffff888104a1c008 by task sh/")
               for line in log)
    assert " which belongs to the cache kmalloc-8 of size 8" in log
    assert "The buggy address is located 0 bytes to the right of" in log
    assert " allocated 8-byte region [ffff888104a1c000, ffff888104a1c008)" in log


def test_kmemleak_at_rmmod(machine):
    machine.insmod(buggy("memory"))
    machine.proc_write("memory", b"leak\n")
    machine.rmmod("memory")
    log = messages(machine)
    i = log.index("unreferenced object 0xffff888104a1c000 (size 64):")
    assert log[i + 1].startswith('  comm "sh", pid ')
    assert log[i + 2:i + 5] == [
        "  hex dump (first 32 bytes):",
        "    6c 65 61 6b 21 00 00 00 00 00 00 00 00 00 00 00  leak!...........",
        "    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................"]
    assert log[i + 5].startswith("  backtrace (crc ")
    assert log[i + 7].endswith("] memory_write+0x135/0x1a0 [memory]")
    assert log[i + 8] == "kmemleak: 1 new suspected memory leak (see /sys/kernel/debug/kmemleak)"
    assert log[i + 9] == (f"kmodsim: hint: memory never kfree'd 1 buffer; the first was "
                          f"allocated at {buggy('memory')}:35 in memory_write()")


def test_kmalloc_buffers_persist_and_free_cleanly(machine, module_file):
    machine.insmod(module_file("keep", """
        MODULE_LICENSE("GPL")
        data = None
        def keep_write(file, buf, count, ppos):
            global data
            if data is None:
                data = kzalloc(4, GFP_KERNEL)
            data[0] = (data[0] + 1) % 256
            return count
        def keep_read(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, b"%d\\n" % data[0])
        @module_init
        def keep_init():
            proc_create("keep", 0o666, None, proc_ops(proc_read=keep_read, proc_write=keep_write))
            return 0
        @module_exit
        def keep_exit():
            kfree(data)
            remove_proc_entry("keep", None)
        """))
    for _ in range(3):
        machine.proc_write("keep", b"x")
    assert machine.proc_read("keep") == b"3\n"
    machine.rmmod("keep")
    assert not any("kmemleak" in line for line in messages(machine))


def test_forgotten_proc_entry_oopses_and_blocks_the_next_load(kmod, machine):
    kmod("insmod", buggy("forgot_remove"))
    kmod("rmmod", "forgot_remove")
    assert "/proc/forgot_remove" in kmod("proc", "ls").stdout
    r = kmod("proc", "read", "forgot_remove")
    assert (r.returncode, r.stdout) == (137, "")
    log = messages(machine)
    assert any(line.startswith("BUG: unable to handle page fault for address: ffffffffc")
               for line in log)
    # open() reads the entry's proc_ops, which were in the module's freed memory
    assert "#PF: supervisor read access in kernel mode" in log
    assert "RIP: 0010:proc_reg_open+0x6d/0x190" in log
    assert log[-1].startswith("kmodsim: hint: /proc/forgot_remove was created by module "
                              "forgot_remove, which was removed without remove_proc_entry()")
    r = kmod("insmod", buggy("forgot_remove"))
    assert r.stderr.endswith(": Cannot allocate memory\n")
    log = messages(machine)
    assert "proc_dir_entry '/proc/forgot_remove' already registered" in log
    assert any(line.startswith("WARNING: CPU: 0 PID: ") and
               "at fs/proc/generic.c:400 proc_register+0x19f/0x240" in line for line in log)


def test_runaway_read_is_bounded_and_logs_nothing(kmod, machine):
    kmod("insmod", buggy("runaway_read"))
    before = messages(machine)
    r = kmod("proc", "read", "runaway_read")
    assert r.returncode == 1
    assert r.stdout == "Hello again\n" * 10_000
    assert "read handler never returned 0" in r.stderr
    assert messages(machine) == before


def test_init_returning_positive_and_module_without_exit(machine):
    machine.insmod(buggy("init_returns_one"))
    assert ("do_init_module: 'init_returns_one'->init suspiciously returned 1, it should follow "
            "0/-E convention\ndo_init_module: loading module anyway...") in messages(machine)
    machine.insmod(buggy("no_exit"))
    with pytest.raises(RmmodError) as e:
        machine.rmmod("no_exit")
    assert e.value.lines[-1] == ("rmmod: ERROR: could not remove module no_exit: Device or "
                                 "resource busy")
    machine.rmmod("no_exit", force=True)
    assert machine.tainted() & (1 << 3)  # R


def test_api_errors_are_kmod_errors(machine):
    with pytest.raises(KmodError):
        Machine(machine.store.home).rmmod("nothing")
    with pytest.raises(InsmodError):
        machine.insmod(buggy("nonexistent"))


def test_no_hints_option(kmod, machine):
    kmod("insmod", buggy("null_deref"))
    assert kmod("--no-hints", "proc", "write", "null_deref", "x").returncode == 137
    assert messages(machine)[-1].endswith("] exited with irqs disabled")
