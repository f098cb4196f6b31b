"""The ring buffer under absurd input: bytes that aren't UTF-8, a record longer than the
buffer, a buffer size past what the kernel takes. The kernel's behaviour, never a lost write
or `internal error`."""

from __future__ import annotations

import pytest
from conftest import MODULES

ECHO = """
    MODULE_LICENSE("GPL")
    def echo_write(file, buf, count, ppos):
        data = bytearray(count)
        if copy_from_user(data, buf, count):
            return -EFAULT
        pr_info("echo: %s", data)
        return count
    @module_init
    def echo_init():
        pr_info("echo: first\\n")
        proc_create("echo", 0o666, None, proc_ops(proc_write=echo_write))
        return 0
    """


@pytest.fixture
def echo(kmod, module_file) -> None:
    assert kmod("insmod", module_file("echo", ECHO)).returncode == 0


def records(kmod, *options: str) -> list[bytes]:
    r = kmod("dmesg", "-t", *options)
    assert (r.returncode, r.stderr) == (0, ""), r
    return r.stdout.encode(errors="surrogateescape").splitlines()


# -- 5. bytes as the kernel keeps them -----------------------------------------------------------

def test_latin1_bytes_through_percent_s_are_kept_and_escaped_as_dmesg_does(kmod, echo):
    r = kmod("proc", "write", "echo", "-", input=b"caf\xe9\n")  # `echo café` in a Latin-1 shell
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    # util-linux dmesg shows a byte that isn't valid UTF-8 as \x escape
    assert records(kmod)[-1] == b"echo: caf\\xe9"
    assert records(kmod, "--noescape")[-1] == b"echo: caf\xe9"
    raw = kmod("dmesg", "-r").stdout.encode(errors="surrogateescape").splitlines()
    assert raw[-1].endswith(b"] echo: caf\\xe9")


def test_the_write_is_not_lost_and_utf8_stays_utf8(kmod, echo):
    for data in (b"caf\xe9\n", "café\n".encode(), b"\xff\xfe\n"):
        assert kmod("proc", "write", "echo", "-", input=data).returncode == 0
    assert records(kmod)[-3:] == [b"echo: caf\\xe9", "echo: café".encode(), b"echo: \\xff\\xfe"]


# -- 6. one long printk --------------------------------------------------------------------------

def test_a_printk_longer_than_the_ring_buffer_keeps_earlier_records(kmod, module_file):
    assert kmod("reboot", "--log-buf-len", "4096").returncode == 0
    assert kmod("insmod", module_file("echo", ECHO)).returncode == 0
    r = kmod("proc", "write", "echo", "x" * 100_000)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert records(kmod)[-1] == b"echo: first"  # the cut record waits for its newline...
    assert kmod("proc", "write", "echo", "done").returncode == 0
    # ... cut to LOG_LINE_MAX: 989 bytes of text after the 2-byte KERN_INFO prefix
    assert records(kmod)[-3:] == [b"echo: first", b"echo: " + b"x" * 983, b"echo: done"]


def test_a_full_ring_buffer_drops_the_oldest_records_just_enough(machine):
    """Each record costs its text and a 16-byte descriptor; a new one drops the oldest
    until it fits. The rows of dropped records leave the store in batches, never seen; and
    after dmesg -C the ring fills again from empty."""
    from kmodsim.kernel.printk import RECORD_OVERHEAD, TRIM_BATCH

    machine.reboot(log_buf_len="4096")
    machine.insmod(str(MODULES / "counter.py"))
    for last in (1000, 1600):
        while int(machine.proc_read("counter")) < last:
            machine.proc_write("counter", b"I\n")
        records = machine.log_records()
        size = sum(len(r.text.encode()) + RECORD_OVERHEAD for r in records)
        dropped = f"counter: {int(records[0].text.split()[1]) - 1}"
        assert size <= 4096 < size + len(dropped) + RECORD_OVERHEAD
        assert [r.seq for r in records] == list(range(records[0].seq, records[-1].seq + 1))
        assert records[-1].text == f"counter: {last}"
        with machine.store.transaction() as db:
            (rows,) = db.execute("SELECT count(*) FROM log").fetchone()
        assert len(records) <= rows < len(records) + TRIM_BATCH
        machine.clear_log()


def test_one_record_is_at_most_log_line_max(kmod, module_file):
    path = module_file("shout", """
        MODULE_LICENSE("GPL")
        @module_init
        def shout_init():
            pr_info("shout: before\\n")
            pr_info("%s\\n", "x" * 100_000)
            pr_info("shout: after\\n")
            return 0
        """)
    assert kmod("reboot", "--log-buf-len", "4096").returncode == 0
    assert kmod("insmod", path).returncode == 0
    lines = records(kmod)
    # LOG_LINE_MAX is 1024 less a 32-byte prefix; the reservation holds the KERN_INFO prefix
    # (2 bytes) and the terminating NUL: 989 bytes of text, and the newline is cut off too
    assert lines[-3:] == [b"shout: before", b"x" * 989, b"shout: after"]


def test_a_continuation_extends_a_record_only_up_to_log_line_max(kmod, module_file):
    path = module_file("chain", """
        MODULE_LICENSE("GPL")
        @module_init
        def chain_init():
            pr_info("%s", "a" * 600)
            pr_cont("%s", "b" * 300)
            pr_cont("%s\\n", "c" * 300)
            return 0
        """)
    assert kmod("insmod", path).returncode == 0
    assert records(kmod)[-2:] == [b"a" * 600 + b"b" * 300, b"c" * 300]


def test_the_oldest_records_make_room_and_no_more(kmod, module_file):
    path = module_file("many", """
        MODULE_LICENSE("GPL")
        @module_init
        def many_init():
            for i in range(200):
                pr_info("many: %03d %s\\n", i, "y" * 900)
            return 0
        """)
    assert kmod("reboot", "--log-buf-len", "8K").returncode == 0
    assert kmod("insmod", path).returncode == 0
    lines = records(kmod)
    # 926-byte records, 16 bytes of descriptor each: eight of them fit in 8 KiB
    assert [line[:9] for line in lines] == [b"many: %03d" % i for i in range(192, 200)]


# -- 9. log_buf_len as the kernel takes it --------------------------------------------------------

@pytest.mark.parametrize("size, records_expected", [
    ("99999999999999999999999", ["printk: log_buf over 2G is not supported.",
                                 "printk: log_buf_len: 2147483648 bytes",
                                 "printk: early log buf free: 131031(99%)"]),
    ("9000000000000000000", ["printk: log_buf over 2G is not supported.",
                             "printk: log_buf_len: 2147483648 bytes",
                             "printk: early log buf free: 131031(99%)"]),
    ("1M", ["printk: log_buf_len: 1048576 bytes", "printk: early log buf free: 131072(100%)"]),
    ("0x30000", ["printk: log_buf_len: 262144 bytes", "printk: early log buf free: 131072(100%)"]),
    ("300k", ["printk: log_buf_len: 524288 bytes", "printk: early log buf free: 131072(100%)"]),
    ("131072", []),
    ("5000", []),  # kmodsim lets a boot shrink the buffer (to 8192: a power of two)
])
def test_log_buf_len_takes_the_kernels_sizes(kmod, size, records_expected):
    r = kmod("reboot", "--log-buf-len", size)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert [line.decode() for line in records(kmod)] == records_expected


def test_log_buf_len_rounds_up_to_a_power_of_two(machine):
    machine.reboot(log_buf_len="5000")
    from kmodsim.kernel.printk import PrintkState

    with machine._kernel(timers=False) as k:
        assert k.state(PrintkState).int_var("log_buf_len") == 8192


@pytest.mark.parametrize("size, why", [
    ("abc", "'abc' is not a size (bytes, or with K, M or G: 64K, 1M)"),
    ("-5", "'-5' is not a size (bytes, or with K, M or G: 64K, 1M)"),
    ("12", "'12' is smaller than 4096 bytes"),
])
def test_log_buf_len_refuses_what_is_no_size(kmod, size, why):
    r = kmod("reboot", "--log-buf-len", size)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines()[-1] == f"Error: Invalid value for '--log-buf-len': {why}"
