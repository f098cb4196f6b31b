"""The ring buffer's counters (next sequence number, bytes used, first record kept) and the
clock's last reading are written to the store only every few records; in between, the
records themselves give them back. Whichever process reads the machine next, and whatever
it does, must see what a store written on every record would show."""

from __future__ import annotations

from conftest import MODULES

from kmodsim.kernel.printk import CHECKPOINT, RECORD_OVERHEAD
from kmodsim.machine import Machine

COUNTER = str(MODULES / "counter.py")


def log_of(home) -> list:
    """The records as a process that has read nothing yet sees them."""
    m = Machine(home)
    try:
        return m.log_records()
    finally:
        m.close()


def counted(records: list) -> list[int]:
    return [int(r.text[9:]) for r in records if r.text[9:].isdigit()]


def test_other_processes_go_on_from_the_records_a_process_left_uncounted(home, kmod):
    m = Machine(home)
    m.insmod(COUNTER)
    writes = 0
    for round_ in range(4):
        for _ in range(CHECKPOINT // 2 + round_):  # stops short of a checkpoint, and past one
            m.proc_write("counter", b"I\n")
        r = kmod("proc", "write", "counter", "I")  # logs with the next sequence number
        assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
        writes += CHECKPOINT // 2 + round_ + 1
    m.proc_write("counter", b"I\n")  # and this process goes on from the other's record
    m.close()
    records = log_of(home)
    assert [r.seq for r in records] == list(range(records[0].seq, records[0].seq + len(records)))
    assert counted(records) == list(range(1, writes + 2))
    stamps = [r.ts_usec for r in records]
    assert stamps == sorted(stamps)


def test_a_full_ring_read_back_by_another_process_keeps_just_what_fits(home, kmod):
    m = Machine(home)
    m.reboot(log_buf_len="4096")
    m.insmod(COUNTER)
    for _ in range(200):  # the ring is full: every record from now on drops the oldest
        m.proc_write("counter", b"I\n")
    for turn in range(12):
        for _ in range(40 + turn):
            m.proc_write("counter", b"I\n")
        assert kmod("proc", "write", "counter", "I").returncode == 0
        records = log_of(home)
        size = sum(len(r.text.encode()) + RECORD_OVERHEAD for r in records)
        dropped = f"counter: {counted(records)[0] - 1}"
        assert size <= 4096 < size + len(dropped) + RECORD_OVERHEAD
        assert [r.seq for r in records] == list(range(records[0].seq, records[-1].seq + 1))
        assert records == m.log_records()  # the writer's own view agrees
    m.close()


def test_after_dmesg_c_in_another_shell_numbering_goes_on(home, kmod):
    m = Machine(home)
    m.insmod(COUNTER)
    for _ in range(5):  # not a checkpoint: the store's counters lag these records
        m.proc_write("counter", b"I\n")
    last = m.log_records()[-1].seq
    assert kmod("dmesg", "-C").returncode == 0
    assert log_of(home) == []
    m.proc_write("counter", b"I\n")
    assert kmod("proc", "write", "counter", "I").returncode == 0
    m.close()
    records = log_of(home)
    assert [(r.seq, r.text) for r in records] == [(last + 1, "counter: 6"),
                                                   (last + 2, "counter: 7")]
