"""A process making many kernel entries remembers the module and /proc rows it read
(kmodsim.store.Store.remembered()); what it remembers must never outlive the store's truth:
another process's commands, its own insmod and rmmod, and a transaction undone."""

from __future__ import annotations

import pytest
from conftest import MODULES

from kmodsim.errors import ProcError
from kmodsim.kernel.errno import ENOENT
from kmodsim.machine import Machine

COUNTER = str(MODULES / "counter.py")


def writes(m: Machine, n: int) -> None:
    for _ in range(n):
        m.proc_write("counter", b"I\n")


def test_another_process_writing_is_seen_at_once(machine, kmod):
    machine.insmod(COUNTER)
    writes(machine, 3)  # from the second entry on, the rows are remembered
    assert kmod("proc", "write", "counter", "I").returncode == 0
    writes(machine, 1)
    assert machine.proc_read("counter") == b"5\n"


def test_another_process_reloading_the_module_is_seen_at_once(machine, kmod):
    machine.insmod(COUNTER)
    writes(machine, 3)
    assert kmod("rmmod", "counter").returncode == 0
    with pytest.raises(ProcError) as gone:
        machine.proc_write("counter", b"I\n")
    assert gone.value.errno == ENOENT
    assert kmod("insmod", COUNTER).returncode == 0
    writes(machine, 1)
    assert machine.proc_read("counter") == b"1\n"  # the new load's memory, not the old one's


def test_its_own_rmmod_and_insmod_forget_what_it_remembered(machine):
    machine.insmod(COUNTER)
    writes(machine, 3)
    machine.rmmod("counter")
    with pytest.raises(ProcError) as gone:
        machine.proc_write("counter", b"I\n")
    assert gone.value.errno == ENOENT
    machine.insmod(COUNTER)
    writes(machine, 2)
    assert machine.proc_read("counter") == b"2\n"


def test_a_second_machine_in_the_same_process_is_another_connection(home, machine):
    machine.insmod(COUNTER)
    writes(machine, 3)
    other = Machine(home)
    try:
        writes(other, 2)
        other.rmmod("counter")
    finally:
        other.close()
    with pytest.raises(ProcError) as gone:
        machine.proc_write("counter", b"I\n")
    assert gone.value.errno == ENOENT


def test_an_entry_undone_leaves_nothing_remembered(machine, module_file):
    """A handler that fails in a way that rolls the entry back: the memory it saved (and the
    row remembered with it) is undone, and the next write starts from the committed one."""
    machine.insmod(COUNTER)
    writes(machine, 3)

    class Undo(Exception):
        pass

    with pytest.raises(Undo), machine._kernel() as k:  # one entry, rolled back at its end
        from kmodsim import coreutils

        coreutils.echo(k, "/proc/counter", b"I\n")
        k.finish()  # the module's memory, with 4, written in the transaction ...
        raise Undo  # ... which is then undone
    writes(machine, 1)
    assert machine.proc_read("counter") == b"4\n"


def test_its_own_reboot_forgets_the_machine_wide_values(machine):
    machine.insmod(COUNTER)
    writes(machine, 3)
    machine.rmmod("counter")
    machine.tainted()  # an entry that remembers the machine-wide values, and nothing else
    machine.reboot()  # empties the tables, the machine-wide values with them
    machine.insmod(COUNTER)
    writes(machine, 2)
    records = machine.log_records()
    assert [r.seq for r in records] == list(range(len(records)))  # from 0, as after a boot
    assert [r.text for r in records][-3:] == ["counter: loaded", "counter: 1", "counter: 2"]
