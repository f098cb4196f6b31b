"""Kernel threads, workqueues and tasklets: kthreads run beside the commands, each in a process
of its own that exists only while the thread does; work runs later on a worker; tasklets run
in softirq context. Driven end to end through real `kmod` processes."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from conftest import KMOD

TICKER = """
    MODULE_LICENSE("GPL")
    thread = None
    ticks = 0

    def ticker_fn(data):
        global ticks
        pr_info("ticker: %s runs as pid %d\\n", current.comm, current.pid)
        while not kthread_should_stop():
            ticks += 1
            pr_info("ticker: tick %d\\n", ticks)
            msleep(200)
        return ticks

    @module_init
    def ticker_init():
        global thread
        thread = kthread_run(ticker_fn, None, "ticker/%d", 0)
        if IS_ERR(thread):
            return PTR_ERR(thread)
        return 0

    @module_exit
    def ticker_exit():
        pr_info("ticker: thread returned %d, ticks %d\\n", kthread_stop(thread), ticks)
    """

# LKMPG's completions example, in its own words: the flywheel thread is woken first, yet
# "Turn the crank" always comes first
COMPLETIONS = """
    MODULE_LICENSE("GPL")
    crank_comp = DECLARE_COMPLETION()
    flywheel_comp = DECLARE_COMPLETION()

    def crank_thread(arg):
        pr_info("Turn the crank\\n")
        complete_all(crank_comp)
        kthread_complete_and_exit(crank_comp, 0)

    def flywheel_thread(arg):
        wait_for_completion(crank_comp)
        pr_info("Flywheel spins up\\n")
        complete_all(flywheel_comp)
        kthread_complete_and_exit(flywheel_comp, 0)

    @module_init
    def completions_init():
        pr_info("completions example\\n")
        init_completion(crank_comp)
        init_completion(flywheel_comp)
        crank = kthread_create(crank_thread, None, "%s", "KThread Crank")
        flywheel = kthread_create(flywheel_thread, None, "%s", "KThread Flywheel")
        wake_up_process(flywheel)
        wake_up_process(crank)
        return 0

    @module_exit
    def completions_exit():
        wait_for_completion(crank_comp)
        wait_for_completion(flywheel_comp)
        pr_info("completions exit\\n")
    """


def until(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def kthread_processes(home: Path) -> list[int]:
    """The kmodsim processes that run kthreads of the machine in `home`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kmodsim.kthreadd" in argv and os.fsencode(str(home)) in argv:
            found.append(int(entry))
    return found


def dmesg(kmod) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.split("] ", 1)[1] for line in kmod("dmesg").stdout.splitlines()]


def test_a_kthread_runs_beside_the_commands_until_kthread_stop(kmod, home, module_file):
    assert kmod("insmod", module_file("ticker", TICKER)).returncode == 0
    until(lambda: "ticker: tick 3" in dmesg(kmod))
    pids = kthread_processes(home)
    assert len(pids) == 1  # one process, the thread's, and it says so in ps
    assert f"ticker: ticker/0 runs as pid {pids[0]}" in dmesg(kmod)
    status = kmod("status").stdout
    assert f"threads: ticker/0 (pid {pids[0]}, module ticker)\n" in status
    assert kmod("lsmod").stdout.splitlines()[1].startswith("ticker ")  # nobody waits for it
    r = kmod("rmmod", "ticker")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    log = dmesg(kmod)
    ticks = max(int(line.rsplit(" ", 1)[1]) for line in log if line.startswith("ticker: tick "))
    assert log[-1] == f"ticker: thread returned {ticks}, ticks {ticks}"
    until(lambda: not kthread_processes(home), 10)  # no kthread: no kmodsim process
    assert "threads:" not in kmod("status").stdout


def test_lkmpg_completions_print_their_documented_order(kmod, home, module_file):
    assert kmod("insmod", module_file("completions", COMPLETIONS)).returncode == 0
    until(lambda: "Flywheel spins up" in dmesg(kmod))
    assert kmod("rmmod", "completions").returncode == 0
    log = [line for line in dmesg(kmod) if "taint" not in line]
    assert log == ["completions example", "Turn the crank", "Flywheel spins up",
                   "completions exit"]
    until(lambda: not kthread_processes(home), 10)


def test_kthread_stop_before_the_thread_ran_returns_eintr(kmod, home, module_file):
    path = module_file("never", """
        MODULE_LICENSE("GPL")
        t = None
        def never_fn(data):
            pr_info("never: ran\\n")
            return 5
        @module_init
        def never_init():
            global t
            t = kthread_create(never_fn, None, "never")
            return 0
        @module_exit
        def never_exit():
            pr_info("never: kthread_stop says %d\\n", kthread_stop(t))
        """)
    assert kmod("insmod", path).returncode == 0
    assert kmod("rmmod", "never").returncode == 0
    assert dmesg(kmod)[-1] == "never: kthread_stop says -4"
    assert "never: ran" not in dmesg(kmod)


def test_rmmod_without_kthread_stop_is_the_kernels_page_fault(kmod, home, module_file):
    leaky = TICKER.replace("kthread_stop(thread)", "0")
    assert "kthread_stop(thread)" not in leaky
    assert kmod("insmod", module_file("ticker", leaky)).returncode == 0
    until(lambda: "ticker: tick 1" in dmesg(kmod))
    assert kmod("rmmod", "ticker").returncode == 0
    until(lambda: any(line.startswith("kmodsim: hint: a kthread") for line in dmesg(kmod)))
    log = dmesg(kmod)
    fault = [line for line in log if line.startswith("BUG: unable to handle page fault")]
    assert len(fault) == 1 and fault[0].endswith("1d0")  # in the module's freed code
    assert "#PF: supervisor instruction fetch in kernel mode" in log
    trace = log[log.index("Call Trace:"):log.index("Call Trace:") + 5]
    assert trace == ["Call Trace:", " <TASK>", " kthread+0xe6/0x110",
                     " ret_from_fork+0x1f/0x30", " </TASK>"]
    assert log[-1] == ("kmodsim: hint: a kthread of module ticker (ticker/0) woke after the "
                       "module was removed: its exit must call kthread_stop() on each thread "
                       "it started")
    until(lambda: not kthread_processes(home), 10)


def test_a_leaked_kthread_faults_also_when_its_module_was_inserted_again(kmod, home,
                                                                         module_file):
    # the thread wakes in a later load of its module: its code is gone all the same, and it
    # must not run on in the new module's memory
    leaky = TICKER.replace("kthread_stop(thread)", "0").replace("msleep(200)", "msleep(1500)")
    path = module_file("ticker", leaky)
    assert kmod("insmod", path).returncode == 0
    until(lambda: "ticker: tick 1" in dmesg(kmod))
    assert kmod("rmmod", "ticker").returncode == 0
    assert kmod("insmod", path).returncode == 0
    until(lambda: any(line.startswith("kmodsim: hint: a kthread") for line in dmesg(kmod)))
    log = dmesg(kmod)
    assert len([line for line in log if line.startswith("BUG: unable to handle")]) == 1
    assert "ticker: tick 2" not in log  # the old thread never ran in the new module
    assert log.count("ticker: tick 1") == 2  # each load's own thread
    assert kmod("rmmod", "ticker").returncode == 0


def test_reboot_ends_every_kthread(kmod, home, module_file):
    assert kmod("insmod", module_file("ticker", TICKER)).returncode == 0
    until(lambda: len(kthread_processes(home)) == 1)
    assert kmod("reboot").returncode == 0
    until(lambda: not kthread_processes(home), 10)
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"
    assert kmod("insmod", module_file("ticker", TICKER)).returncode == 0  # a fresh boot
    until(lambda: "ticker: tick 1" in dmesg(kmod))
    assert kmod("rmmod", "ticker").returncode == 0


def test_reboot_reset_ends_every_kthread_too(kmod, home, module_file):
    """--reset throws the store away: its kthreads end first (they outlived it, writing to
    a deleted file, with no one able to see or stop them)."""
    assert kmod("insmod", module_file("ticker", TICKER)).returncode == 0
    until(lambda: len(kthread_processes(home)) == 1)
    assert kmod("reboot", "--reset").returncode == 0
    until(lambda: not kthread_processes(home), 10)
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"


def test_kill_9_of_a_kthread_lets_kthread_stop_return(kmod, home, module_file):
    assert kmod("insmod", module_file("ticker", TICKER)).returncode == 0
    until(lambda: "ticker: tick 1" in dmesg(kmod))
    os.kill(kthread_processes(home)[0], 9)
    r = subprocess.run([KMOD, "rmmod", "ticker"], env=dict(os.environ, KMODSIM_HOME=str(home)),
                       capture_output=True, timeout=30)
    assert r.returncode == 0
    assert dmesg(kmod)[-1].startswith("ticker: thread returned ")


def test_schedule_sleeps_until_wake_up_process(kmod, home, module_file):
    path = module_file("waiter", """
        MODULE_LICENSE("GPL")
        t = None
        def waiter_fn(data):
            while not kthread_should_stop():
                pr_info("waiter: asleep\\n")
                set_current_state(TASK_INTERRUPTIBLE)
                schedule()
                pr_info("waiter: woken\\n")
            return 0
        def poke_write(file, buf, count, ppos):
            wake_up_process(t)
            return count
        @module_init
        def waiter_init():
            global t
            t = kthread_run(waiter_fn, None, "waiter")
            proc_create("poke", 0o666, None, proc_ops(proc_write=poke_write))
            return 0
        @module_exit
        def waiter_exit():
            remove_proc_entry("poke", None)
            kthread_stop(t)
        """)
    assert kmod("insmod", path).returncode == 0
    # a wake-up before it sleeps would be lost, as on a real kernel: poke once it is asleep
    until(lambda: "waiter: asleep" in dmesg(kmod))
    time.sleep(0.3)
    assert "waiter: woken" not in dmesg(kmod)  # asleep in schedule(), using no CPU
    assert kmod("proc", "write", "poke", "x").returncode == 0
    until(lambda: dmesg(kmod).count("waiter: woken") == 1)
    assert kmod("rmmod", "waiter").returncode == 0
    assert dmesg(kmod).count("waiter: woken") == 2  # kthread_stop() woke it once more


DEFERRED = """
    MODULE_LICENSE("GPL")
    wq = None
    work = DECLARE_WORK(None)
    later = delayed_work()
    tl = tasklet_struct()

    def work_fn(w):
        pr_info("deferred: work runs as %s\\n", current.comm)
        msleep(50)
        pr_info("deferred: work done\\n")

    def later_fn(w):
        pr_info("deferred: delayed work runs\\n")

    def tasklet_fn(t):
        pr_info("deferred: tasklet runs, in_interrupt %d\\n", in_interrupt())

    def kick_write(file, buf, count, ppos):
        queue_work(wq, work)
        if count > 2:
            flush_work(work)
            pr_info("deferred: flushed\\n")
        return count

    @module_init
    def deferred_init():
        global wq
        wq = alloc_workqueue("deferred", WQ_UNBOUND, 1)
        INIT_WORK(work, work_fn)
        INIT_DELAYED_WORK(later, later_fn)
        tasklet_setup(tl, tasklet_fn)
        queue_work(wq, work)
        schedule_delayed_work(later, HZ // 10)
        tasklet_schedule(tl)
        proc_create("kick", 0o666, None, proc_ops(proc_write=kick_write))
        pr_info("deferred: init done\\n")
        return 0

    @module_exit
    def deferred_exit():
        remove_proc_entry("kick", None)
        cancel_delayed_work_sync(later)
        destroy_workqueue(wq)
        tasklet_kill(tl)
        pr_info("deferred: exit\\n")
    """


def test_work_runs_later_on_a_worker_and_tasklets_in_softirq(kmod, home, module_file):
    assert kmod("insmod", module_file("deferred", DEFERRED)).returncode == 0
    until(lambda: "deferred: delayed work runs" in dmesg(kmod))
    log = [line for line in dmesg(kmod) if "taint" not in line]
    assert log == ["deferred: init done", "deferred: tasklet runs, in_interrupt 1",
                   "deferred: work runs as kworker/0:1", "deferred: work done",
                   "deferred: delayed work runs"]
    until(lambda: not kthread_processes(home), 10)  # nothing queued: the worker is gone
    assert kmod("proc", "write", "kick", "flush").returncode == 0  # flush_work() waits
    assert dmesg(kmod)[-3:] == ["deferred: work runs as kworker/0:1", "deferred: work done",
                                "deferred: flushed"]
    assert kmod("rmmod", "deferred").returncode == 0
    assert dmesg(kmod)[-1] == "deferred: exit"
    until(lambda: not kthread_processes(home), 10)


# a module whose exit forgets the work it queued
FORGETFUL = """
    MODULE_LICENSE("GPL")
    later = delayed_work()
    def later_fn(w):
        pr_info("forgetful: work ran\\n")
    @module_init
    def forgetful_init():
        INIT_DELAYED_WORK(later, later_fn)
        schedule_delayed_work(later, 2 * HZ)  # rmmod comes first, however slow
        return 0
    @module_exit
    def forgetful_exit():
        pass
    """


def test_work_left_queued_at_rmmod_is_the_kernels_page_fault(kmod, home, module_file):
    path = module_file("forgetful", FORGETFUL)
    assert kmod("insmod", path).returncode == 0
    assert kmod("rmmod", "forgetful").returncode == 0
    until(lambda: any(line.startswith("kmodsim: hint: a work item") for line in dmesg(kmod)))
    log = dmesg(kmod)
    assert "forgetful: work ran" not in log
    assert any(line.startswith("CPU: 0 PID: ") and " Comm: kworker/0:1 " in line
               for line in log)
    assert " process_one_work+0x1c7/0x380" in log
    until(lambda: not kthread_processes(home), 10)


def test_work_of_a_removed_module_faults_also_when_it_was_inserted_again(kmod, home,
                                                                          module_file):
    path = module_file("forgetful", FORGETFUL)
    assert kmod("insmod", path).returncode == 0
    assert kmod("rmmod", "forgetful").returncode == 0
    assert kmod("insmod", path).returncode == 0
    until(lambda: any(line.startswith("kmodsim: hint: a work item") for line in dmesg(kmod)))
    until(lambda: "forgetful: work ran" in dmesg(kmod))  # the new load's own work
    log = dmesg(kmod)
    assert len([line for line in log if line.startswith("BUG: unable to handle")]) == 1
    assert log.count("forgetful: work ran") == 1


def test_a_tasklet_that_sleeps_is_reported(kmod, home, module_file):
    path = module_file("napping", """
        MODULE_LICENSE("GPL")
        tl = tasklet_struct()
        def tasklet_fn(t):
            msleep(1)
        @module_init
        def napping_init():
            tasklet_setup(tl, tasklet_fn)
            tasklet_schedule(tl)
            return 0
        """)
    assert kmod("insmod", path).returncode == 0
    log = dmesg(kmod)
    assert any(line.startswith("BUG: sleeping function called from invalid context")
               for line in log)
    assert " tasklet_action_common.constprop.0+0xba/0xf0" in log
    assert log[-1].startswith("kmodsim: hint: a tasklet runs in interrupt context and must "
                              "not sleep at ")


def test_an_oops_in_one_work_item_leaves_the_rest_to_another_worker(kmod, home, module_file):
    path = module_file("wqoops", """
        MODULE_LICENSE("GPL")
        wq = None
        bad = work_struct()
        good = work_struct()
        def bad_fn(w):
            None.x = 1
        def good_fn(w):
            pr_info("wqoops: good ran\\n")
        @module_init
        def wqoops_init():
            global wq
            wq = alloc_workqueue("wqoops", 0, 1)
            INIT_WORK(bad, bad_fn)
            INIT_WORK(good, good_fn)
            queue_work(wq, bad)
            queue_work(wq, good)
            return 0
        @module_exit
        def wqoops_exit():
            destroy_workqueue(wq)
            pr_info("wqoops: exit\\n")
        """)
    assert kmod("insmod", path).returncode == 0
    until(lambda: "wqoops: good ran" in dmesg(kmod))
    log = dmesg(kmod)
    assert any(" Comm: kworker/0:1 " in line for line in log)  # the Oops, in the worker
    assert kmod("rmmod", "wqoops").returncode == 0  # destroy_workqueue() returns
    assert dmesg(kmod)[-1] == "wqoops: exit"
    until(lambda: not kthread_processes(home), 10)


def test_kthread_stop_of_a_thread_that_never_stops_is_a_hung_task(home, module_file):
    path = module_file("forever", """
        MODULE_LICENSE("GPL")
        t = None
        def forever_fn(data):
            pr_info("forever: running\\n")
            while True:  # never asks kthread_should_stop()
                msleep(100)
        @module_init
        def forever_init():
            global t
            t = kthread_run(forever_fn, None, "forever")
            return 0
        @module_exit
        def forever_exit():
            kthread_stop(t)
        """)
    env = dict(os.environ, KMODSIM_HOME=str(home), KMODSIM_HUNG_TASK_TIMEOUT="1")
    assert subprocess.run([KMOD, "insmod", path], env=env).returncode == 0
    # stopped before it ran, the thread would never run its loop (kthread_stop: -EINTR)
    until(lambda: "forever: running" in subprocess.run(
        [KMOD, "dmesg"], env=env, capture_output=True, text=True).stdout)
    rmmod = subprocess.Popen([KMOD, "rmmod", "forever"], env=env)
    try:
        def reported() -> bool:
            out = subprocess.run([KMOD, "dmesg"], env=env, capture_output=True, text=True)
            return "kmodsim: hint: kthread_stop() waits for thread forever" in out.stdout
        until(reported)
        out = subprocess.run([KMOD, "dmesg"], env=env, capture_output=True, text=True).stdout
        assert f"INFO: task rmmod:{rmmod.pid} blocked for more than 1 seconds." in out
        assert " kthread_stop+0x66/0x170" in out
        assert rmmod.poll() is None  # still waiting, as the real rmmod would
    finally:
        rmmod.kill()
        rmmod.wait()
    assert subprocess.run([KMOD, "reboot"], env=env).returncode == 0
    until(lambda: not kthread_processes(home), 10)


def test_a_tasklet_scheduled_while_disabled_runs_once_enabled(kmod, module_file):
    path = module_file("tdis", """
        MODULE_LICENSE("GPL")
        tl = tasklet_struct()
        def tasklet_fn(t):
            pr_info("tdis: tasklet ran\\n")
        def tdis_write(file, buf, count, ppos):
            cmd = bytearray(count)
            copy_from_user(cmd, buf, count)
            word = bytes(cmd).strip()
            if word == b"disable":
                tasklet_disable(tl)
            elif word == b"sched":
                tasklet_schedule(tl)
            elif word == b"enable":
                tasklet_enable(tl)
            return count
        @module_init
        def tdis_init():
            tasklet_setup(tl, tasklet_fn)
            proc_create("tdis", 0o666, None, proc_ops(proc_write=tdis_write))
            return 0
        @module_exit
        def tdis_exit():
            remove_proc_entry("tdis", None)
        """)
    assert kmod("insmod", path).returncode == 0
    for word in ("disable", "sched"):
        assert kmod("proc", "write", "tdis", word).returncode == 0
    assert "tdis: tasklet ran" not in dmesg(kmod)
    assert kmod("proc", "write", "tdis", "enable").returncode == 0
    assert dmesg(kmod).count("tdis: tasklet ran") == 1


def test_kthread_stop_wakes_a_thread_asleep_in_wait_event(kmod, home, module_file):
    """LKMPG's loop: wait_event_interruptible(wq, flag || kthread_should_stop()).
    kthread_stop() wakes the thread (wake_up_process wakes any sleep), it sees it must stop,
    and rmmod returns (it waited for ever)."""
    assert kmod("insmod", module_file("kwait", """
        MODULE_LICENSE("GPL")
        wq = DECLARE_WAIT_QUEUE_HEAD()
        flag = 0
        thread = None
        def kwait_fn(data):
            global flag
            while not kthread_should_stop():
                wait_event_interruptible(wq, lambda: flag or kthread_should_stop())
                if flag:
                    pr_info("kwait: event\\n")
                    flag = 0
            return 7
        def kwait_write(file, buf, count, ppos):
            global flag
            flag = 1
            wake_up_interruptible(wq)
            return count
        @module_init
        def kwait_init():
            global thread
            proc_create("kwait", 0o666, None, proc_ops(proc_write=kwait_write))
            thread = kthread_run(kwait_fn, None, "kwait")
            return 0
        @module_exit
        def kwait_exit():
            pr_info("kwait: kthread_stop returned %d\\n", kthread_stop(thread))
            remove_proc_entry("kwait", None)
        """)).returncode == 0
    until(lambda: kthread_processes(home))
    assert kmod("proc", "write", "kwait", "x").returncode == 0
    until(lambda: "kwait: event" in dmesg(kmod))
    r = subprocess.run([KMOD, "rmmod", "kwait"], capture_output=True, timeout=30,
                       env=dict(os.environ, KMODSIM_HOME=str(home)))
    assert (r.returncode, r.stdout, r.stderr) == (0, b"", b"")
    assert dmesg(kmod)[-1] == "kwait: kthread_stop returned 7"


def test_a_tasklet_a_timer_schedules_runs_when_the_timer_fires(kmod, module_file):
    """The timer fires as `kmod dmesg` enters the kernel, running no handler: its tasklet
    runs as the timer's softirq ends (it was left scheduled for good, never to run)."""
    assert kmod("insmod", module_file("tmtask", """
        MODULE_LICENSE("GPL")
        t = timer_list()
        tl = tasklet_struct()
        runs = 0
        def tl_fn(tasklet):
            global runs
            runs += 1
            pr_info("tmtask: tasklet ran %d\\n", runs)
        def tm_fn(timer):
            pr_info("tmtask: timer fired\\n")
            tasklet_schedule(tl)
        def tm_write(file, buf, count, ppos):
            mod_timer(t, jiffies_now() + HZ // 10)
            return count
        @module_init
        def tm_init():
            timer_setup(t, tm_fn, 0)
            tasklet_setup(tl, tl_fn)
            proc_create("tmtask", 0o666, None, proc_ops(proc_write=tm_write))
            return 0
        @module_exit
        def tm_exit():
            del_timer_sync(t)
            tasklet_kill(tl)
            remove_proc_entry("tmtask", None)
        """)).returncode == 0
    for turn in (1, 2):
        assert kmod("proc", "write", "tmtask", "x").returncode == 0
        time.sleep(0.3)
        assert dmesg(kmod)[-2:] == ["tmtask: timer fired", f"tmtask: tasklet ran {turn}"]
