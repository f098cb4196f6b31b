"""The teacher's tests for the counter assignment: /proc/counter, I and D, -EINVAL else.

Each test gets a fresh machine (`kmachine`) whose module code runs in a process of its own;
after the test, kmodsim fails it on any kernel report (Oops, kmemleak, a /proc entry left
behind, ...) that it didn't mark as expected.
"""

import errno


def test_loads(kmachine, student):
    kmachine.insmod(student)                    # insmod counter.ko; kmachine.insmod(p, start=5)
    assert kmachine.is_loaded("counter")
    assert kmachine.proc_read("counter") == b"0\n"
    assert "counter: loaded" in kmachine.dmesg(level="info")


def test_counts(kmachine, student):
    kmachine.insmod(student)
    for command in ["I\n", "I\n", "I\n", "D\n"]:
        assert kmachine.proc_write("counter", command)   # a WriteResult: true if it worked
    assert kmachine.proc_read("counter") == b"2\n"


def test_rejects_bad_command(kmachine, student):
    kmachine.insmod(student)
    assert kmachine.proc_write("counter", "X\n").errno == errno.EINVAL
    assert kmachine.proc_read("counter") == b"0\n"


def test_unloads_cleanly(kmachine, student):
    kmachine.insmod(student)
    assert kmachine.proc_write("counter", "I\n")
    kmachine.rmmod("counter")
    assert not kmachine.is_loaded("counter")
    assert kmachine.tainted() == "OE"    # out-of-tree, unsigned: nothing worse
    # the audit then checks that /proc/counter went and that nothing leaked
