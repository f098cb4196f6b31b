"""Commands are tasks: they sleep, block, wake and race like processes in a kernel, each its
own `kmod` process, and a sleeping task holds nobody up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import KMOD, MODULES

RACE = MODULES / "race"

MAILBOX = """
    MODULE_LICENSE("GPL")
    message = b""
    arrived = DECLARE_WAIT_QUEUE_HEAD()

    def mailbox_read(file, buf, count, ppos):
        global message
        if ppos.value:
            return 0
        if wait_event_interruptible(arrived, lambda: message):
            return -ERESTARTSYS
        n = min(count, len(message))
        copy_to_user(buf, message, n)
        message = b""
        ppos.value = n
        return n

    def mailbox_write(file, buf, count, ppos):
        global message
        data = bytearray(count)
        copy_from_user(data, buf, count)
        message = bytes(data)
        wake_up_interruptible(arrived)
        return count

    @module_init
    def mailbox_init():
        proc_create("mailbox", 0o666, None,
                    proc_ops(proc_read=mailbox_read, proc_write=mailbox_write))
        return 0

    @module_exit
    def mailbox_exit():
        remove_proc_entry("mailbox", None)
    """


def start(home: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([KMOD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, KMODSIM_HOME=str(home), **env))


def until(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_sleeping_handler_holds_nobody_up(kmod, home, module_file):
    kmod("insmod", module_file("napper", """
        MODULE_LICENSE("GPL")
        def nap_write(file, buf, count, ppos):
            msleep(30_000)
            return count
        @module_init
        def napper_init():
            proc_create("napper", 0o666, None, proc_ops(proc_write=nap_write))
            return 0
        """))
    sleeper = start(home, "proc", "write", "napper", "x")
    try:
        time.sleep(0.5)
        started = time.monotonic()
        for args in (["lsmod"], ["dmesg"], ["proc", "read", "modules"]):
            assert kmod(*args).returncode == 0
        assert time.monotonic() - started < 10  # each returned at once, not after 30 s
        assert sleeper.poll() is None
        assert kmod("reboot").returncode == 0
        assert sleeper.wait(timeout=10) == 137  # the sleeper went down with its boot
    finally:
        sleeper.kill()
        sleeper.wait()


def test_two_writers_race_without_the_mutex_and_not_with_it(kmod, home):
    assert kmod("insmod", str(RACE / "racy.py")).returncode == 0
    assert kmod("insmod", str(RACE / "locked.py")).returncode == 0
    for name in ("racy", "locked"):
        writers = [start(home, "proc", "write", name, "I") for _ in range(2)]
        assert [w.wait(timeout=60) for w in writers] == [0, 0]
    assert kmod("proc", "read", "racy").stdout == "1\n"  # one update lost
    assert kmod("proc", "read", "locked").stdout == "2\n"


def test_eight_shells_through_the_mutex_lose_nothing(kmod, home):
    kmod("insmod", str(RACE / "locked.py"))
    script = f"for i in $(seq 5); do {KMOD} proc write locked I || exit 1; done"
    shells = [subprocess.Popen(["sh", "-c", script], env=dict(os.environ,
                                                               KMODSIM_HOME=str(home)))
              for _ in range(8)]
    assert [s.wait(timeout=120) for s in shells] == [0] * 8
    assert kmod("proc", "read", "locked").stdout == "40\n"


def test_a_reader_sleeps_until_a_writer_wakes_it(kmod, home, module_file):
    kmod("insmod", module_file("mailbox", MAILBOX))
    reader = start(home, "proc", "read", "mailbox")
    time.sleep(0.5)
    assert reader.poll() is None  # asleep on the wait queue, and not holding the store
    assert kmod("proc", "write", "mailbox", "hello").returncode == 0
    out, err = reader.communicate(timeout=30)
    assert (reader.returncode, out, err) == (0, b"hello\n", b"")


def test_ctrl_c_ends_an_interruptible_wait_as_the_kernel_delivers_it(kmod, home, module_file):
    kmod("insmod", module_file("mailbox", MAILBOX))
    reader = start(home, "proc", "read", "mailbox")
    time.sleep(0.5)
    reader.send_signal(signal.SIGINT)
    out, err = reader.communicate(timeout=30)
    # the command ends killed by SIGINT (a shell's $? is 130), with no traceback
    assert (reader.returncode, err) == (-signal.SIGINT, b"")
    assert kmod("proc", "write", "mailbox", "still works").returncode == 0


def test_ctrl_c_waits_for_an_uninterruptible_sleep_to_end(kmod, home, module_file):
    kmod("insmod", module_file("deep", """
        MODULE_LICENSE("GPL")
        def deep_write(file, buf, count, ppos):
            msleep(1500)
            pr_info("deep: woke, signal pending %d\\n", signal_pending(current))
            return count
        @module_init
        def deep_init():
            proc_create("deep", 0o666, None, proc_ops(proc_write=deep_write))
            return 0
        """))
    writer = start(home, "proc", "write", "deep", "x")
    time.sleep(0.5)
    writer.send_signal(signal.SIGINT)
    assert writer.wait(timeout=30) == -signal.SIGINT
    assert "deep: woke, signal pending 1" in messages_of(home)


def messages_of(home: Path) -> list[str]:
    from kmodsim.machine import Machine

    m = Machine(home)
    try:
        return [r.text for r in m.log_records()]
    finally:
        m.close()


def test_mutex_lock_interruptible_returns_eintr_on_ctrl_c(kmod, home, module_file):
    kmod("insmod", module_file("gate", """
        MODULE_LICENSE("GPL")
        gate = DEFINE_MUTEX()
        def gate_write(file, buf, count, ppos):
            cmd = bytearray(1)
            copy_from_user(cmd, buf, 1)
            if cmd == b"h":
                mutex_lock(gate)
                msleep(30_000)
                mutex_unlock(gate)
                return count
            ret = mutex_lock_interruptible(gate)
            pr_info("gate: mutex_lock_interruptible returned %d\\n", ret)
            if ret:
                return ret
            mutex_unlock(gate)
            return count
        @module_init
        def gate_init():
            proc_create("gate", 0o666, None, proc_ops(proc_write=gate_write))
            return 0
        """))
    holder = start(home, "proc", "write", "gate", "h")
    try:
        time.sleep(0.5)
        waiter = start(home, "proc", "write", "gate", "w")
        time.sleep(0.5)
        assert waiter.poll() is None  # asleep in mutex_lock_interruptible
        waiter.send_signal(signal.SIGINT)
        assert waiter.wait(timeout=30) == -signal.SIGINT
        assert "gate: mutex_lock_interruptible returned -4" in messages_of(home)
    finally:
        holder.kill()
        holder.wait()


def test_a_completion_lets_the_waiter_go_and_trylock_does_not_wait(kmod, home, module_file):
    kmod("insmod", module_file("done", """
        MODULE_LICENSE("GPL")
        ready = DECLARE_COMPLETION()
        slots = DEFINE_SEMAPHORE()
        lock = DEFINE_MUTEX()
        def done_write(file, buf, count, ppos):
            cmd = bytearray(1)
            copy_from_user(cmd, buf, 1)
            if cmd == b"w":
                wait_for_completion(ready)
                pr_info("done: waiter passed\\n")
            elif cmd == b"c":
                complete(ready)
            elif cmd == b"t":
                pr_info("done: trylock %d, down_trylock %d\\n", mutex_trylock(lock),
                        down_trylock(slots))
                pr_info("done: again %d, %d\\n", mutex_trylock(lock), down_trylock(slots))
                mutex_unlock(lock)
                up(slots)
            return count
        @module_init
        def done_init():
            proc_create("done", 0o666, None, proc_ops(proc_write=done_write))
            return 0
        """))
    waiter = start(home, "proc", "write", "done", "w")
    time.sleep(0.5)
    assert waiter.poll() is None
    assert kmod("proc", "write", "done", "c").returncode == 0
    assert waiter.wait(timeout=30) == 0
    assert kmod("proc", "write", "done", "t").returncode == 0
    log = messages_of(home)
    assert "done: waiter passed" in log
    assert "done: trylock 1, down_trylock 0" in log and "done: again 0, 1" in log


@pytest.mark.parametrize("sleeps", [False, True])
def test_a_local_holding_a_module_object_sees_other_tasks_changes(kmod, home, module_file,
                                                                    sleeps):
    kmod("insmod", module_file("boxes", f"""
        MODULE_LICENSE("GPL")
        class Box:
            def __init__(self):
                self.count = 0
        boxes = [Box()]
        def boxes_write(file, buf, count, ppos):
            cmd = bytearray(1)
            copy_from_user(cmd, buf, 1)
            box = boxes[0]  # held in a local across the sleep
            if cmd == b"s":
                msleep({1500 if sleeps else 0})
            box.count += 1
            return count
        def boxes_read(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, b"%d\\n" % boxes[0].count)
        @module_init
        def boxes_init():
            proc_create("boxes", 0o666, None, proc_ops(proc_read=boxes_read,
                                                       proc_write=boxes_write))
            return 0
        """))
    slow = start(home, "proc", "write", "boxes", "s")
    time.sleep(0.5)
    assert kmod("proc", "write", "boxes", "f").returncode == 0
    assert slow.wait(timeout=30) == 0
    # the sleeper's `box` was brought up to date in place: its += 1 counts the other's
    assert kmod("proc", "read", "boxes").stdout == "2\n"


def test_a_nonblocking_read_that_would_sleep_gets_eagain(kmod, module_file):
    kmod("insmod", module_file("mailbox", MAILBOX.replace(
        "        if wait_event_interruptible(arrived, lambda: message):",
        "        if not message and file.f_flags & O_NONBLOCK:\n"
        "            return -EAGAIN\n"
        "        if wait_event_interruptible(arrived, lambda: message):")))
    r = kmod("proc", "read", "--nonblock", "mailbox")
    assert (r.returncode, r.stderr) == (1, "kmod: /proc/mailbox: Resource temporarily "
                                           "unavailable\n")


def test_a_file_held_open_keeps_its_module_in_use(kmod, home, module_file):
    kmod("insmod", module_file("mailbox", MAILBOX))
    program = ("import sys, time\n"
               "from kmodsim.machine import Machine\n"
               "f = Machine(sys.argv[1]).open('/proc/mailbox', 'w')\n"
               "print('open', flush=True)\n"
               "sys.stdin.readline()\n"
               "f.close()\n")
    user = subprocess.Popen([sys.executable, "-c", program, str(home)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert user.stdout.readline() == "open\n"
        assert kmod("lsmod").stdout.splitlines()[1] == "mailbox                12288  1"
        assert kmod("rmmod", "mailbox").stderr == "rmmod: ERROR: Module mailbox is in use\n"
        user.stdin.write("\n")
        user.stdin.flush()
        assert user.wait(timeout=30) == 0
    finally:
        user.kill()
    assert kmod("rmmod", "mailbox").returncode == 0  # closed: no longer in use


def test_a_killed_program_closes_its_files(kmod, home, module_file):
    kmod("insmod", module_file("mailbox", MAILBOX))
    program = ("import sys, time\n"
               "from kmodsim.machine import Machine\n"
               "f = Machine(sys.argv[1]).open('/proc/mailbox', 'w')\n"
               "print('open', flush=True)\n"
               "time.sleep(60)\n")
    user = subprocess.Popen([sys.executable, "-c", program, str(home)],
                            stdout=subprocess.PIPE, text=True)
    assert user.stdout.readline() == "open\n"
    user.kill()
    user.wait()
    assert kmod("rmmod", "mailbox").returncode == 0  # the kernel closed them at its exit


def test_a_signal_already_pending_ends_an_interruptible_sleep_at_once(kmod, home,
                                                                       module_file):
    """Ctrl-C during an uninterruptible msleep is kept pending; the interruptible sleep that
    follows returns at once (the kernel's signal_pending() check), not when it times out."""
    kmod("insmod", module_file("nap", """
        MODULE_LICENSE("GPL")
        def nap_write(file, buf, count, ppos):
            msleep(1500)
            left = msleep_interruptible(20000)
            pr_info("nap: signal_pending %d, %d ms left\\n", signal_pending(current), left)
            return count
        @module_init
        def nap_init():
            proc_create("nap", 0o666, None, proc_ops(proc_write=nap_write))
            return 0
        """))
    napper = start(home, "proc", "write", "nap", "x")
    time.sleep(0.5)
    started = time.monotonic()
    napper.send_signal(signal.SIGINT)
    assert napper.wait(timeout=30) == -signal.SIGINT
    assert time.monotonic() - started < 10  # not the 20 s of the interruptible sleep
    line = [t for t in kmod("dmesg", "-t").stdout.splitlines() if t.startswith("nap: ")][-1]
    assert line.startswith("nap: signal_pending 1, ") and int(line.split()[3]) > 15000


SLEEPER = """
    MODULE_LICENSE("GPL")
    count = 0
    ready = 0
    big = DEFINE_MUTEX()
    wq = DECLARE_WAIT_QUEUE_HEAD()

    def sleeper_write(file, buf, count_, ppos):
        global count
        what = bytearray(count_)
        copy_from_user(what, buf, count_)
        pr_info("sleeper: asleep\\n")
        if what.startswith(b"nap"):
            msleep(30_000)               # the reboot ends it long before
        elif what.startswith(b"hold"):
            mutex_lock(big)
            msleep(30_000)
            mutex_unlock(big)
        elif what.startswith(b"wait"):
            try:                     # a module can't keep its task alive past the boot
                wait_event(wq, lambda: ready)
            except BaseException:
                pass
        count += 1
        pr_info("sleeper: count %d\\n", count)
        return count_

    def sleeper_read(file, buf, size, ppos):
        mutex_lock(big)              # free in a new boot, whoever held it in the old one
        data = b"%d\\n" % count
        mutex_unlock(big)
        return simple_read_from_buffer(buf, size, ppos, data, len(data))

    @module_init
    def sleeper_init():
        proc_create("sleeper", 0o666, None,
                    proc_ops(proc_read=sleeper_read, proc_write=sleeper_write))
        return 0

    @module_exit
    def sleeper_exit():
        remove_proc_entry("sleeper", None)
    """

REBOOTED = ("Killed\nkmodsim: the machine rebooted (kmod reboot) while this command slept in "
            "the kernel: it ended with the boot it ran in\n")


@pytest.mark.parametrize("how", ["nap", "hold", "wait"])
@pytest.mark.parametrize("reset", [False, True])
def test_a_command_asleep_across_a_reboot_ends_with_its_boot(kmod, home, module_file, how,
                                                             reset):
    path = module_file("sleeper", SLEEPER)
    assert kmod("insmod", path).returncode == 0
    sleeper = start(home, "proc", "write", "sleeper", how)
    until(lambda: "sleeper: asleep" in messages_of(home))  # logged as it went to sleep
    assert kmod("reboot", *(["--reset"] if reset else [])).returncode == 0
    assert kmod("insmod", path).returncode == 0  # the new boot's module, mutex and count
    out, err = sleeper.communicate(timeout=15)
    assert (sleeper.returncode, out, err.decode()) == (137, b"", REBOOTED)
    assert kmod("proc", "read", "sleeper").stdout == "0\n"  # nothing of the old task landed
    assert not any("sleeper: count" in line for line in messages_of(home))
    assert kmod("proc", "write", "sleeper", "wake").returncode == 0
    assert kmod("proc", "read", "sleeper").stdout == "1\n"


def test_ctrl_c_as_a_woken_task_waits_for_the_cpu_is_held_back(kmod, home, module_file):
    # the holder wakes from msleep while a spinning command has the CPU (the store): the
    # Ctrl-C that comes then must not end it before it unlocks, whatever it holds
    kmod("insmod", module_file("holder", """
        import time
        MODULE_LICENSE("GPL")
        count = 0
        lock = DEFINE_MUTEX()
        def holder_write(file, buf, size, ppos):
            global count
            if size > 5:                     # "spin\\n": hold the CPU for 2 s
                started = time.monotonic()
                while time.monotonic() - started < 2:
                    pass
                return size
            mutex_lock(lock)
            pr_info("holder: holding\\n")
            msleep(1000)
            count += 100
            mutex_unlock(lock)
            pr_info("holder: released, signal pending %d\\n", signal_pending(current))
            return size
        def holder_read(file, buf, size, ppos):
            mutex_lock(lock)
            data = b"%d\\n" % count
            mutex_unlock(lock)
            return simple_read_from_buffer(buf, size, ppos, data, len(data))
        @module_init
        def holder_init():
            proc_create("holder", 0o666, None,
                        proc_ops(proc_read=holder_read, proc_write=holder_write))
            return 0
        """))
    holder = start(home, "proc", "write", "holder", "hold")
    until(lambda: "holder: holding" in messages_of(home))
    spinner = start(home, "proc", "write", "holder", "spin!")
    time.sleep(1.3)  # the holder's msleep is over: it waits for the spinner to finish
    holder.send_signal(signal.SIGINT)
    assert holder.wait(timeout=30) == -signal.SIGINT  # once back in user space
    assert spinner.wait(timeout=30) == 0
    assert "holder: released, signal pending 1" in messages_of(home)
    assert kmod("proc", "read", "holder").stdout == "100\n"


ALARM = """
    MODULE_LICENSE("GPL")
    ready = 0
    wq = DECLARE_WAIT_QUEUE_HEAD()
    t = timer_list()

    def alarm_fired(timer):
        global ready
        ready = 1
        pr_info("alarm: fired\\n")
        wake_up_interruptible(wq)

    def alarm_read(file, buf, size, ppos):
        global ready
        if ppos.value:
            return 0
        if file.f_flags & O_NONBLOCK:    # `--nonblock`: arm it, and wait for it
            mod_timer(t, jiffies_now() + HZ)
        if wait_event_interruptible(wq, lambda: ready):
            return -ERESTARTSYS
        ready = 0
        return simple_read_from_buffer(buf, size, ppos, b"rang\\n", 5)

    def alarm_write(file, buf, size, ppos):
        pr_info("alarm: set\\n")
        mod_timer(t, jiffies_now() + HZ)
        return size

    @module_init
    def alarm_init():
        timer_setup(t, alarm_fired, 0)
        proc_create("alarm", 0o666, None, proc_ops(proc_read=alarm_read, proc_write=alarm_write))
        return 0

    @module_exit
    def alarm_exit():
        del_timer_sync(t)
        remove_proc_entry("alarm", None)
    """


@pytest.mark.parametrize("armed_by", ["the sleeper", "another command"])
def test_a_timers_wake_up_reaches_a_sleeper_on_time(kmod, home, module_file, armed_by):
    # nobody else enters the kernel: the sleeper itself wakes at the deadline to fire it,
    # also when the timer was armed after it went to sleep
    kmod("insmod", module_file("alarm", ALARM))
    if armed_by == "the sleeper":
        reader = start(home, "proc", "read", "--nonblock", "alarm")
    else:
        reader = start(home, "proc", "read", "alarm")
        time.sleep(0.5)
        assert kmod("proc", "write", "alarm", "1").returncode == 0
    out, err = reader.communicate(timeout=10)
    assert (reader.returncode, out, err) == (0, b"rang\n", b"")
    assert messages_of(home)[-1] == "alarm: fired"


# LKMPG's sleep example, in short: one opener at a time, the others sleep until it closes
ONE_AT_A_TIME = """
    MODULE_LICENSE("GPL")
    already_open = 0
    waitq = DECLARE_WAIT_QUEUE_HEAD()

    def single_open(inode, file):
        global already_open
        while already_open:
            if file.f_flags & O_NONBLOCK:
                return -EAGAIN
            if wait_event_interruptible(waitq, lambda: not already_open):
                return -EINTR
        already_open = 1
        pr_info("single: opened by %d\\n", current.pid)
        return 0

    def single_read(file, buf, size, ppos):
        if wait_event_interruptible(waitq, lambda: False):  # until killed, or Ctrl-C
            return -EINTR
        return 0

    def single_release(inode, file):
        global already_open
        already_open = 0
        pr_info("single: released by %d\\n", current.pid)
        wake_up(waitq)
        return 0

    @module_init
    def single_init():
        proc_create("single", 0o666, None, proc_ops(proc_open=single_open,
                    proc_read=single_read, proc_release=single_release))
        return 0

    @module_exit
    def single_exit():
        remove_proc_entry("single", None)
    """


@pytest.mark.parametrize("holder", ["a kmod command", "a program that exits"])
def test_a_process_that_dies_with_a_file_open_has_it_released(kmod, home, module_file,
                                                              holder):
    # as the kernel closes every file of a process at its exit, even at kill -9: the next
    # opener must not wait for ever on a release that never ran
    kmod("insmod", module_file("single", ONE_AT_A_TIME))
    if holder == "a kmod command":  # asleep in read(), the file open, then kill -9
        first = start(home, "proc", "read", "single")
        until(lambda: any(line.startswith("single: opened") for line in messages_of(home)))
        first.kill()
        first.wait()
    else:  # a Python program that opens the file and ends without closing it
        program = ("import os, sys\n"
                   "from kmodsim.machine import Machine\n"
                   "f = Machine(sys.argv[1]).open('/proc/single')\n"
                   "os._exit(0)\n")
        assert subprocess.run([sys.executable, "-c", program, str(home)]).returncode == 0
    from kmodsim.machine import Machine

    m = Machine(home)
    try:
        with m.open("/proc/single", nonblock=True):  # EAGAIN if it was never released
            log = [r.text for r in m.log_records()]
    finally:
        m.close()
    opened = [line for line in log if line.startswith("single: opened by ")]
    assert opened[1:] == [f"single: opened by {os.getpid()}"]
    assert log[log.index(opened[0]) + 1].startswith("single: released by ")
    assert kmod("rmmod", "single").returncode == 0


def test_a_handler_asleep_when_its_module_is_forced_out_faults_as_it_wakes(kmod, home,
                                                                          module_file):
    kmod("insmod", module_file("gone", """
        MODULE_LICENSE("GPL")
        def gone_write(file, buf, count, ppos):
            pr_info("gone: asleep\\n")
            msleep(1000)
            pr_info("gone: still running the module's code\\n")
            return count
        @module_init
        def gone_init():
            proc_create("gone", 0o666, None, proc_ops(proc_write=gone_write))
            return 0
        @module_exit
        def gone_exit():
            remove_proc_entry("gone", None)
        """))
    writer = start(home, "proc", "write", "gone", "x")
    until(lambda: "gone: asleep" in messages_of(home))
    assert kmod("rmmod", "-f", "gone").returncode == 0
    assert writer.wait(timeout=30) == 137  # it returned into the module's freed code
    log = messages_of(home)
    assert "gone: still running the module's code" not in log
    assert any(line.startswith("BUG: unable to handle page fault for address:") for line in log)
    assert log[-1] == ("kmodsim: hint: sh woke in the code of module gone after the module "
                       "was removed (rmmod -f while its handler slept): that is what forcing "
                       "a module out risks")
