"""Kernel timers: with no daemon, due timers fire when the kernel is next entered."""

from __future__ import annotations

import pytest
from conftest import messages

from kmodsim.errors import Killed, KmodError


def test_heartbeat_catches_up_on_the_next_entry(machine):
    machine.insmod("modules/heartbeat.py")
    assert messages(machine)[-1] == "heartbeat: started"
    machine.advance_clock(3.5)
    records = [r for r in machine.log_records() if r.text[len("heartbeat: "):].isdigit()]
    assert [r.text for r in records] == ["heartbeat: 1", "heartbeat: 2", "heartbeat: 3"]
    gaps = [b.ts_usec - a.ts_usec for a, b in zip(records, records[1:], strict=False)]
    assert all(abs(g - 1_000_000) < 10_000 for g in gaps)  # logged at their deadlines
    machine.rmmod("heartbeat")
    assert messages(machine)[-1] == "heartbeat: stopped after 3 beats"
    machine.advance_clock(5)
    assert messages(machine)[-1] == "heartbeat: stopped after 3 beats"


def test_timer_pending_and_delete(machine, module_file):
    machine.insmod(module_file("tp", """
        MODULE_LICENSE("GPL")
        t = timer_list()
        def cb(timer):
            pr_info("fired\\n")
        @module_init
        def tp_init():
            timer_setup(t, cb, 0)
            a = timer_pending(t)
            b = mod_timer(t, jiffies_now() + HZ)
            c = mod_timer(t, jiffies_now() + HZ)
            d = timer_pending(t)
            e = del_timer(t)
            f = del_timer(t)
            pr_info("%d %d %d %d %d %d\\n", a, b, c, d, e, f)
            return 0
        @module_exit
        def tp_exit():
            del_timer_sync(t)
        """))
    assert messages(machine)[-1] == "0 0 1 1 1 0"
    machine.advance_clock(2)
    assert "fired" not in messages(machine)


@pytest.mark.parametrize("inserted_again", [False, True])
def test_timer_left_running_after_rmmod_panics_the_kernel(machine, module_file,
                                                          inserted_again):
    path = module_file("forgot", """
        MODULE_LICENSE("GPL")
        t = timer_list()
        def cb(timer):
            pr_info("tick\\n")
        @module_init
        def forgot_init():
            timer_setup(t, cb, 0)
            mod_timer(t, jiffies_now() + HZ)
            return 0
        @module_exit
        def forgot_exit():
            pass      # forgot del_timer_sync(t)
        """)
    machine.insmod(path)
    machine.rmmod("forgot")
    if inserted_again:  # its own timer is another: the old one's code is gone all the same
        machine.insmod(path)
    machine.advance_clock(2)
    log = messages(machine)
    assert any(line.startswith("BUG: unable to handle page fault for address:") for line in log)
    assert "Kernel panic - not syncing: Fatal exception in interrupt" in log
    assert " <IRQ>" in log and " call_timer_fn+0x27/0x130" in log
    with pytest.raises(KmodError, match="the kernel has panicked"):
        machine.insmod("modules/hello.py")


def test_sleeping_in_a_timer_is_a_bug(machine, module_file):
    machine.insmod(module_file("sleepy", """
        MODULE_LICENSE("GPL")
        t = timer_list()
        def cb(timer):
            msleep(1)
        @module_init
        def sleepy_init():
            timer_setup(t, cb, 0)
            mod_timer(t, jiffies_now() + 1)
            return 0
        @module_exit
        def sleepy_exit():
            del_timer_sync(t)
        """))
    machine.advance_clock(1)
    log = messages(machine)
    i = next(i for i, line in enumerate(log) if line.startswith("BUG: sleeping function"))
    assert log[i + 1].startswith("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ")
    assert log[-1].startswith("kmodsim: hint: a timer callback runs in interrupt context")


def test_oops_in_a_timer_is_fatal_in_interrupt(machine, module_file):
    machine.insmod(module_file("boom", """
        MODULE_LICENSE("GPL")
        t = timer_list()
        def cb(timer):
            return None.x
        @module_init
        def boom_init():
            timer_setup(t, cb, 0)
            mod_timer(t, jiffies_now() + 1)
            return 0
        """))
    machine.advance_clock(1)
    with pytest.raises(Killed):  # the next entry fires the timer; the task dies with it
        machine.proc_read("modules")
    log = messages(machine)
    assert "BUG: kernel NULL pointer dereference, address: 0000000000000000" in log
    assert log[-3] == "Kernel panic - not syncing: Fatal exception in interrupt"
