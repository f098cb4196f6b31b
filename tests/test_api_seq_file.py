"""seq_file as fs/seq_file.c runs it: the order of start/next/stop/show calls for each read()
call, the position kept between calls, a record that overflows the page retried with a
bigger buffer. The expected call orders are what a probe module printed on Debian's 6.1
for the same reads (cat, `dd bs=10`, `head -c 12`, records of 5000 and 4096 bytes)."""

from __future__ import annotations

import pytest
from conftest import messages

PROBE = """
MODULE_LICENSE("GPL")
nrec = 3
module_param("nrec", "int", 0o644)
rsize = 8
module_param("rsize", "int", 0o644)

def sp_start(m, pos):
    pr_info("start %lld\\n", pos.value)
    if pos.value >= nrec:
        return None
    return pos.value + 1

def sp_next(m, v, pos):
    pr_info("next %lld\\n", pos.value)
    pos.value += 1
    if pos.value >= nrec:
        return None
    return pos.value + 1

def sp_stop(m, v):
    pr_info("stop %s\\n", "v" if v else "null")

def sp_show(m, v):
    i = v - 1
    pr_info("show %ld\\n", i)
    seq_printf(m, "%0*ld\\n", rsize - 1, i)
    return 0

sp_ops = seq_operations(start=sp_start, next=sp_next, stop=sp_stop, show=sp_show)

def single_show(m, v):
    pr_info("single show %d\\n", v is SEQ_START_TOKEN)
    seq_puts(m, "one\\n")
    seq_putc(m, "t")
    seq_write(m, "wo\\n", 3)
    return 0

@module_init
def probe_init():
    proc_create_seq("seqprobe", 0o444, None, sp_ops)
    proc_create_single("singleprobe", 0o444, None, single_show)
    return 0

@module_exit
def probe_exit():
    remove_proc_entry("seqprobe", None)
    remove_proc_entry("singleprobe", None)
"""


def calls(machine, since: int) -> list[str]:
    return messages(machine)[since:]


@pytest.fixture
def probe(machine, module_file):
    path = module_file("seqprobe", PROBE)

    def load(*args: str):
        machine.insmod(path, list(args))
        return len(messages(machine))

    return load


def test_cat_shows_every_record_then_starts_once_more_at_the_end(machine, probe):
    mark = probe()
    assert machine.proc_read("seqprobe") == b"0000000\n0000001\n0000002\n"
    assert calls(machine, mark) == ["start 0", "show 0", "next 0", "show 1", "next 1",
                                    "show 2", "next 2", "stop null", "start 3", "stop null"]


def test_small_reads_restart_at_the_first_record_not_given_out(machine, probe):
    mark = probe()
    with machine.open("/proc/seqprobe", "rb") as f:
        out = f.read1(10) + f.read1(10)
    assert out == b"0000000\n0000001\n0000"
    assert calls(machine, mark) == ["start 0", "show 0", "next 0", "show 1", "next 1",
                                    "stop v", "start 2", "show 2", "next 2", "stop null"]


def test_a_read_stops_filling_once_it_has_enough(machine, probe):
    mark = probe()
    with machine.open("/proc/seqprobe", "rb") as f:
        assert f.read1(12) == b"0000000\n0000"
    assert calls(machine, mark) == ["start 0", "show 0", "next 0", "show 1", "next 1",
                                    "stop v"]


def test_a_record_bigger_than_a_page_is_shown_again_in_a_bigger_buffer(machine, probe):
    mark = probe("nrec=2", "rsize=5000")
    assert len(machine.proc_read("seqprobe")) == 10000
    assert calls(machine, mark) == [
        "start 0", "show 0", "stop v",  # 5000 bytes overflow the page: stop, double, again
        "start 0", "show 0", "next 0", "show 1", "stop v",  # 1 doesn't fit beside 0
        "start 1", "show 1", "next 1", "stop null",
        "start 2", "stop null"]


@pytest.mark.parametrize("size,expected", [
    (4096, ["start 0", "show 0", "stop v", "start 0", "show 0", "next 0", "stop null",
            "start 1", "stop null"]),  # a full page counts as an overflow
    (4095, ["start 0", "show 0", "next 0", "stop null", "start 1", "stop null"]),
])
def test_a_page_exactly_is_an_overflow(machine, probe, size, expected):
    mark = probe("nrec=1", f"rsize={size}")
    assert len(machine.proc_read("seqprobe")) == size
    assert calls(machine, mark) == expected


def test_many_records_take_several_read_calls(machine, probe):
    mark = probe("nrec=700")
    out = machine.proc_read("seqprobe")
    assert len(out) == 5600 and out.endswith(b"0000699\n")
    starts = [c for c in calls(machine, mark) if c.startswith("start")]
    assert starts == ["start 0", "start 511", "start 700"]  # 511 records fill a page


def test_single_open_prints_the_whole_file_once(machine, probe):
    mark = probe()
    assert machine.proc_read("singleprobe") == b"one\ntwo\n"
    assert calls(machine, mark) == ["single show 1"]


def test_a_next_that_forgets_the_position_is_reported(machine, module_file):
    machine.insmod(module_file("lazy", """
        MODULE_LICENSE("GPL")
        def start(m, pos):
            return None if pos.value >= 2 else pos.value + 1
        def next(m, v, pos):
            return None  # forgot ++*pos
        def stop(m, v):
            pass
        def show(m, v):
            seq_printf(m, "%d\\n", v)
            return 0
        @module_init
        def lazy_init():
            proc_create_seq("lazy", 0o444, None, seq_operations(start, next, stop, show))
            return 0
        """))
    assert machine.proc_read("lazy") == b"1\n2\n"
    assert messages(machine).count(
        "buggy .next function next [lazy] did not update position index") == 2


def test_show_attribute_and_seq_list_helpers(machine, module_file):
    machine.insmod(module_file("shown", """
        MODULE_LICENSE("GPL")
        class Row:
            def __init__(self):
                self.n = 0
                self.node = list_head()
        rows = LIST_HEAD()
        def rows_show(m, v):
            for row in list_for_each_entry(rows, Row, "node"):
                seq_printf(m, "row %d of %s\\n", row.n, m.private)
            return 0
        rows_fops = DEFINE_SHOW_ATTRIBUTE(rows_show)
        @module_init
        def shown_init():
            for n in range(3):
                row = kzalloc(sizeof(Row), GFP_KERNEL)
                row.n = n
                list_add_tail(row.node, rows)
            proc_create_data("shown", 0o444, None, rows_fops, "the table")
            return 0
        """))
    assert machine.proc_read("shown") == (b"row 0 of the table\nrow 1 of the table\n"
                                          b"row 2 of the table\n")
