"""The Python API in a grader's process: the caller's SIGALRM handler, its timer and its
Ctrl-C are its own before, during and after every kernel entry, and the API works from any
thread, soft-lockup watchdog included."""

from __future__ import annotations

import signal
import threading

import pytest
from conftest import MODULES

from kmodsim.errors import Killed
from kmodsim.machine import Machine


class GraderTimeout(BaseException):
    """What pytest-timeout's handler raises (pytest.fail's exception is a BaseException)."""


@pytest.fixture
def callers_alarm():
    """The test process's SIGALRM as the test left it, given back afterwards."""
    saved = signal.getsignal(signal.SIGALRM)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, saved)


def grader_timeout(signum: int, frame: object) -> None:
    raise GraderTimeout("the grader's time is up")


def test_the_callers_handler_and_time_left_are_given_back(machine, module_file, callers_alarm):
    signal.signal(signal.SIGALRM, grader_timeout)
    signal.setitimer(signal.ITIMER_REAL, 300, 60)
    machine.insmod(str(MODULES / "counter.py"))  # init runs module code under the watchdog
    machine.proc_write("counter", b"I\n")
    assert machine.proc_read("counter") == b"1\n"
    machine.insmod(module_file("napper", """
        MODULE_LICENSE("GPL")
        @module_init
        def napper_init():
            msleep(10)  # the watchdog pauses and resumes around a sleep
            return 0
        """))
    assert signal.getsignal(signal.SIGALRM) is grader_timeout
    left, interval = signal.getitimer(signal.ITIMER_REAL)
    assert 0 < left <= 300 and interval == 60


@pytest.mark.parametrize("wait", ["msleep(60_000)", "mdelay(60_000)"])
def test_the_callers_alarm_goes_off_in_module_code_and_is_not_the_modules_fault(
        machine, module_file, callers_alarm, wait):
    """However long module code sleeps or spins (the watchdog would take 5 s), the grader's
    alarm goes off on time, and what its handler raises reaches the grader: no Oops, even
    though the module catches everything."""
    path = module_file("slow", f"""
        MODULE_LICENSE("GPL")
        @module_init
        def slow_init():
            try:
                {wait}
            except:
                pass
            return 0
        """)
    signal.signal(signal.SIGALRM, grader_timeout)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    with pytest.raises(GraderTimeout):
        machine.insmod(path)
    assert all(m.state != "Live" for m in machine.modules())  # init never finished
    assert not any("Oops" in r.text or "kmodsim: hint" in r.text
                   for r in machine.log_records())


def test_the_api_works_from_another_thread(home, module_file, monkeypatch):
    monkeypatch.setenv("KMODSIM_WATCHDOG_THRESH", "0.5")
    stuck = module_file("stuck", """
        MODULE_LICENSE("GPL")
        @module_init
        def stuck_init():
            while True:
                try:
                    pass
                except:
                    pass
        """)
    machine = Machine(home)  # made in this thread, used in another
    outcome: dict[str, object] = {}

    def grader() -> None:
        try:
            machine.insmod(str(MODULES / "counter.py"))
            machine.proc_write("counter", b"I\n")
            outcome["counter"] = machine.proc_read("counter")
            try:
                machine.insmod(stuck)
            except Killed as e:
                outcome["stuck"] = e.lines
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = e

    worker = threading.Thread(target=grader)
    worker.start()
    worker.join(60)
    assert not worker.is_alive()
    assert outcome == {"counter": b"1\n", "stuck": ["Killed"]}
    log = [r.text for r in machine.log_records()]
    assert any(t.startswith("watchdog: BUG: soft lockup - CPU#0 stuck for 0s!") for t in log)
    machine.close()
