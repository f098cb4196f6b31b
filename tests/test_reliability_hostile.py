"""Hostile module code: whatever it raises, returns, catches, loops on, forks or starts, the
command ends in bounded time with the kernel's report (or insmod's one clear line), never a
Python traceback or `internal error`, and every later command works."""

from __future__ import annotations

import textwrap

import pytest
from conftest import MODULES

from kmodsim.errors import ModuleMemoryError
from kmodsim.machine import Machine

# the shell's word for a command the kernel killed, by exit status (SIGKILL, SIGSEGV)
KILLED = {137: "Killed\n", 139: "Segmentation fault\n"}
EMPTY_LSMOD = "Module                  Size  Used by\n"


def assert_killed(r) -> None:
    assert r.returncode in KILLED and (r.stdout, r.stderr) == ("", KILLED[r.returncode]), r


def assert_clean(r) -> None:
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert "Exception ignored" not in r.stderr, r.stderr


def line_of(path: str, text: str) -> int:
    """The number of the first line of module file `path` that holds `text`."""
    with open(path) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


def dmesg(kmod) -> list[str]:
    r = kmod("dmesg", "-t")
    assert (r.returncode, r.stderr) == (0, ""), r
    return r.stdout.splitlines()


@pytest.fixture
def fast_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KMODSIM_WATCHDOG_THRESH", "0.5")


# -- 2. anything raised is an Oops ------------------------------------------------------------

@pytest.mark.parametrize("raised, shown", [
    ("Boom('out of here')", "Boom: out of here"),
    ("GeneratorExit()", "GeneratorExit"),
    ("KeyboardInterrupt('typed by the module')", "KeyboardInterrupt: typed by the module"),
    ("SystemExit(3)", "SystemExit: 3"),
])
def test_a_base_exception_in_init_is_an_oops(kmod, module_file, raised, shown):
    path = module_file("hostile", f"""
        MODULE_LICENSE("GPL")
        class Boom(BaseException):
            pass
        @module_init
        def hostile_init():
            raise {raised}
        """)
    r = kmod("insmod", path)
    assert_killed(r)
    log = dmesg(kmod)
    line = line_of(path, "raise ")
    assert f"kernel BUG at {path}:{line}!" in log
    assert f"kmodsim: hint: {shown} at {path}:{line} in hostile_init()" in log
    r = kmod("lsmod")
    assert_clean(r)
    assert r.returncode == 0


def test_a_base_exception_in_a_handler_is_an_oops_every_time(kmod, module_file):
    path = module_file("hostile", """
        MODULE_LICENSE("GPL")
        class Boom(BaseException):
            pass
        def hostile_write(file, buf, count, ppos):
            raise Boom("again")
        @module_init
        def hostile_init():
            proc_create("hostile", 0o666, None, proc_ops(proc_write=hostile_write))
            return 0
        """)
    assert kmod("insmod", path).returncode == 0
    for _ in range(2):
        assert_killed(kmod("proc", "write", "hostile", "x"))
    hint = f"kmodsim: hint: Boom: again at {path}:{line_of(path, 'raise')} in hostile_write()"
    assert dmesg(kmod).count(hint) == 2


def test_a_base_exception_in_a_timer_panics_once_and_reboot_recovers(kmod, module_file):
    path = module_file("hostile", """
        MODULE_LICENSE("GPL")
        class Boom(BaseException):
            pass
        t = timer_list()
        def hostile_timer(timer):
            raise Boom("in a timer")
        @module_init
        def hostile_init():
            timer_setup(t, hostile_timer, 0)
            mod_timer(t, jiffies_now())
            return 0
        """)
    assert kmod("insmod", path).returncode == 0
    log = dmesg(kmod)  # the timer fires as dmesg enters the kernel
    line = line_of(path, "raise")
    assert f"kmodsim: hint: Boom: in a timer at {path}:{line} in hostile_timer()" in log
    assert log[-3:] == ["Kernel panic - not syncing: Fatal exception in interrupt",
                        "Kernel Offset: disabled",
                        "---[ end Kernel panic - not syncing: Fatal exception in interrupt ]---"]
    for args in (["lsmod"], ["dmesg"], ["proc", "read", "modules"]):
        assert_clean(kmod(*args))
    assert dmesg(kmod) == log  # it panicked once, not once per command
    assert kmod("reboot").returncode == 0
    assert kmod("lsmod").stdout == EMPTY_LSMOD


# -- 3. the watchdog can't be defeated ----------------------------------------------------------

SWALLOWERS = {
    "bare except": """
        while True:
            try:
                pass
            except:
                pass
        """,
    "nested, keeping what it caught": """
        caught = []
        while True:
            try:
                while True:
                    try:
                        x = 1
                    except BaseException as e:
                        caught.append(e)
            except:
                continue
        """,
    "contextlib.suppress": """
        import contextlib
        while True:
            with contextlib.suppress(BaseException):
                while True:
                    pass
        """,
    "catch and return": """
        try:
            while True:
                pass
        except BaseException:
            return 0
        """,
}


@pytest.mark.parametrize("loop", sorted(SWALLOWERS))
def test_a_lockup_module_code_swallows_still_kills_the_task(kmod, module_file, fast_watchdog,
                                                            loop):
    body = textwrap.indent(textwrap.dedent(SWALLOWERS[loop]).strip("\n"), "    ")
    path = module_file("stuck", "MODULE_LICENSE(\"GPL\")\n@module_init\ndef stuck_init():\n"
                       + body + "\n")
    r = kmod("insmod", path)
    assert (r.returncode, r.stdout, r.stderr) == (137, "", "Killed\n")
    log = dmesg(kmod)
    assert any(line.startswith("watchdog: BUG: soft lockup - CPU#0 stuck for 0s! [insmod:")
               for line in log), log
    assert any(line.startswith("kmodsim: hint: module code ran for more than 0.5 s without "
                               f"sleeping or returning; it was at {path}:") for line in log)
    assert kmod("lsmod").returncode == 0


def test_an_endless_loop_at_the_top_level_is_stopped(kmod, module_file, fast_watchdog):
    path = module_file("stuck", """
        MODULE_LICENSE("GPL")
        while True:
            pass
        """)
    r = kmod("insmod", path)
    # the watchdog's report, as for any module code that never stops, and the task dies
    assert (r.returncode, r.stdout, r.stderr) == (137, "", "Killed\n")
    log = [rec.text for rec in Machine().log_records()]
    assert any(line.startswith("watchdog: BUG: soft lockup - CPU#0 stuck for ")
               and "[insmod:" in line for line in log)
    assert any(f"it was at {path}:{line_of(path, 'while True')} in <module>()" in line
               for line in log)
    assert kmod("lsmod").stdout == EMPTY_LSMOD  # nothing loaded


def test_a_thread_started_by_module_code_keeps_no_command_alive(kmod, module_file):
    # were the command waiting for the thread, the fixture's 60-second timeout would fail it
    path = module_file("threaded", """
        import threading, time
        MODULE_LICENSE("GPL")
        def forever():
            while True:
                time.sleep(0.05)
        @module_init
        def threaded_init():
            threading.Thread(target=forever).start()
            pr_info("threaded: started\\n")
            return 0
        """)
    r = kmod("insmod", path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert "threaded: started" in dmesg(kmod)
    assert kmod("lsmod").stdout.splitlines()[1].startswith("threaded ")


# -- 11. what can't be printed, returned or freed ----------------------------------------------

def test_an_exception_whose_str_fails_is_an_oops(kmod, module_file):
    path = module_file("unprintable", """
        MODULE_LICENSE("GPL")
        class Unprintable(Exception):
            def __str__(self):
                raise ValueError("no text for you")
        @module_init
        def unprintable_init():
            raise Unprintable()
        """)
    assert_killed(kmod("insmod", path))
    assert (f"kmodsim: hint: Unprintable: <exception str() failed> at "
            f"{path}:{line_of(path, 'raise Unprintable')} in unprintable_init()") in dmesg(kmod)


def test_init_returning_a_huge_number_is_the_c_int_the_kernel_sees(kmod, module_file):
    path = module_file("huge", """
        MODULE_LICENSE("GPL")
        @module_init
        def huge_init():
            return -(10**30)
        """)
    r = kmod("insmod", path)  # -(10**30) as a C int is -1073741824: init failed
    assert_clean(r)
    assert kmod("lsmod").stdout == EMPTY_LSMOD
    path = module_file("huge", """
        MODULE_LICENSE("GPL")
        @module_init
        def huge_init():
            return 10**30
        """)
    assert kmod("insmod", path).returncode == 0
    assert ("do_init_module: 'huge'->init suspiciously returned 1073741824, it should follow "
            "0/-E convention") in dmesg(kmod)


def test_init_returning_what_cannot_be_shown_is_an_oops(kmod, module_file):
    path = module_file("opaque", """
        MODULE_LICENSE("GPL")
        class Opaque:
            def __repr__(self):
                raise RuntimeError("no repr")
        @module_init
        def opaque_init():
            return Opaque()
        """)
    assert_killed(kmod("insmod", path))
    line = line_of(path, "raise")
    assert f"kmodsim: hint: RuntimeError: no repr at {path}:{line} in __repr__()" in dmesg(kmod)


def test_a_failing_del_is_never_exception_ignored(kmod, module_file):
    path = module_file("leaky", """
        MODULE_LICENSE("GPL")
        class Fragile:
            def __del__(self):
                raise RuntimeError("can't let go")
        kept = None
        def leaky_write(file, buf, count, ppos):
            Fragile()  # freed at once: the error is raised in module code, as an Oops
            return count
        @module_init
        def leaky_init():
            global kept
            kept = Fragile()  # freed by kmodsim after every command: nobody's fault
            proc_create("leaky", 0o666, None, proc_ops(proc_write=leaky_write))
            return 0
        """)
    assert kmod("insmod", path).returncode == 0
    for _ in range(2):
        r = kmod("lsmod")
        assert (r.returncode, r.stderr) == (0, "")
        assert (kmod("proc", "read", "modules").stderr) == ""
    assert_killed(kmod("proc", "write", "leaky", "x"))
    line = line_of(path, "raise")
    assert f"kmodsim: hint: RuntimeError: can't let go at {path}:{line} in __del__()" \
        in dmesg(kmod)


# -- 12. messages that say what happened ------------------------------------------------------

def test_module_code_that_forks_keeps_the_parent_and_says_so(kmod, module_file):
    path = module_file("forker", """
        import os
        MODULE_LICENSE("GPL")
        count = 0
        def forker_write(file, buf, n, ppos):
            global count
            pid = os.fork()
            if pid == 0:
                count += 100  # the child's: discarded
                return n
            os.waitpid(pid, 0)
            count += 1
            return n
        def forker_read(file, buf, n, ppos):
            return simple_read_from_buffer(buf, n, ppos, b"%d\\n" % count)
        @module_init
        def forker_init():
            proc_create("forker", 0o666, None, proc_ops(proc_read=forker_read,
                                                        proc_write=forker_write))
            return 0
        """)
    assert kmod("insmod", path).returncode == 0
    for _ in range(2):
        r = kmod("proc", "write", "forker", "x")
        assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert kmod("proc", "read", "forker").stdout == "2\n"
    assert dmesg(kmod)[-1] == (
        f"kmodsim: hint: module code forked a process at {path}:{line_of(path, 'os.fork')} in "
        f"forker_write(): a kernel has no fork(); the child was stopped at once and its "
        f"changes are discarded")


def test_a_variable_too_large_for_the_store_is_named(machine, module_file):
    """The store keeps at most SQLite's limit per module (1 GB); a smaller limit here
    stands for it."""
    import sqlite3

    machine.reboot()
    machine.store._connect().setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 100_000)
    path = module_file("hoarder", """
        MODULE_LICENSE("GPL")
        small = 1
        big = None
        @module_init
        def hoarder_init():
            global big
            big = bytearray(200_000)
            return 0
        """)
    with pytest.raises(ModuleMemoryError) as caught:
        machine.insmod(path)
    assert caught.value.lines == [
        "kmod: module hoarder: variable 'big' holds a bytearray of 200,013 bytes, too large to "
        "keep in kernel memory between commands (at most 100,000 bytes)"]
    assert machine.modules() == []  # the command was undone; the store is fine
    other = Machine(machine.store.home)
    assert other.modules() == []
    other.close()


def test_module_code_runs_with_the_garbage_collector_on(kmod, module_file):
    """kmod pauses the collector for its start-up only: a module making reference cycles in
    a loop (until the watchdog) must find them collected, or memory would grow unbounded."""
    path = module_file("cycles", """
        import gc
        MODULE_LICENSE("GPL")
        @module_init
        def cycles_init():
            for _ in range(100_000):
                node = []
                node.append(node)  # garbage only the cyclic collector frees
            pr_info("cycles: gc %s, %d collections\\n", gc.isenabled(),
                    sum(s["collections"] for s in gc.get_stats()))
            return 0
        """)
    assert kmod("insmod", path).returncode == 0
    line = kmod("dmesg", "-t").stdout.splitlines()[-1]
    assert line.startswith("cycles: gc True, ") and int(line.split(", ")[1].split()[0]) > 0


@pytest.mark.parametrize("hook", [
    "class Stuck:\n    def __getstate__(self):\n        while True:\n            pass\n",
    "class Stuck(list):\n    def __reduce_ex__(self, protocol):\n        while True:\n"
    "            pass\n",
])
def test_a_pickling_hook_that_never_returns_is_stopped(kmod, module_file, fast_watchdog, hook):
    """Keeping a module's memory pickles it, which runs the module's own hooks: they are
    module code, and the watchdog bounds them."""
    path = module_file("stuck", 'MODULE_LICENSE("GPL")\n' + hook + textwrap.dedent("""
        item = None
        @module_init
        def stuck_init():
            global item
            item = Stuck()
            return 0
        """))
    r = kmod("insmod", path)
    assert r.returncode == 1
    assert r.stderr.startswith("kmod: module stuck: its variables can't be kept: saving them "
                               "ran its code, which raised SoftLockup"), r.stderr
    assert kmod("lsmod").stdout == EMPTY_LSMOD  # nothing loaded


def test_memory_pickled_without_the_watchdog_is_what_the_watchdog_path_makes(machine):
    """Where no code of the module's can run, memory is pickled directly (no watchdog to
    arm); the bytes are the same as those of the path that arms it."""
    from kmodsim.runtime import memory
    from kmodsim.runtime.namespace import bound_api

    machine.insmod(str(MODULES / "counter.py"))
    machine.proc_write("counter", b"I\n")
    with machine._kernel() as k:
        lm = k.module("counter")
        variables = memory.memory_of(lm.ns, bound_api(), lm.data_names)
        assert memory.dump_plain(variables, lm.objects) == memory.dump(
            "counter", variables, lm.objects)
        exec("class Own:\n    pass\n", lm.ns)  # a class of the module's own: it may have hooks
        assert memory.dump_plain({**variables, "own": lm.ns["Own"]()}, lm.objects) is None
        k.forget_all()  # (the entry commits nothing of this)


def test_a_module_getattr_that_never_returns_is_stopped_when_saving(kmod, module_file,
                                                                     fast_watchdog):
    """Pickle finds a function of the module by name; one no longer in the module's
    namespace is asked of the module's __getattr__, which is module code."""
    path = module_file("stuck", """
        MODULE_LICENSE("GPL")
        def __getattr__(name):
            while True:
                pass
        def stuck_read(file, buf, count, ppos):
            return 0
        fops = proc_ops(proc_read=stuck_read)
        del stuck_read  # fops still points at it
        @module_init
        def stuck_init():
            return 0
        """)
    r = kmod("insmod", path)  # stopped by the watchdog; pickle reports the lookup failed
    assert r.returncode == 1
    assert r.stderr.startswith("kmod: module stuck: variable 'fops' holds a proc_ops, which "
                               "can't be kept in kernel memory between commands"), r.stderr
