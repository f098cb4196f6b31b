"""poll: a file's poll handler says what is ready; a user program that polls sleeps on the
queues it names until a writer in another process wakes one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from kmodsim.machine import Machine

INBOX = """
    MODULE_LICENSE("GPL")
    message = b""
    arrived = DECLARE_WAIT_QUEUE_HEAD()

    def inbox_read(file, buf, count, ppos):
        global message
        n = min(count, len(message))
        copy_to_user(buf, message, n)
        message = message[n:]
        return n

    def inbox_write(file, buf, count, ppos):
        global message
        data = bytearray(count)
        copy_from_user(data, buf, count)
        message += bytes(data)
        wake_up_interruptible(arrived)
        return count

    def inbox_poll(file, wait):
        poll_wait(file, arrived, wait)
        mask = POLLOUT | POLLWRNORM
        if message:
            mask |= POLLIN | POLLRDNORM
        return mask

    @module_init
    def inbox_init():
        proc_create("inbox", 0o666, None,
                    proc_ops(proc_read=inbox_read, proc_write=inbox_write, proc_poll=inbox_poll))
        return 0

    @module_exit
    def inbox_exit():
        remove_proc_entry("inbox", None)
    """

POLLER = """
    import sys
    from kmodsim import userspace
    f = userspace.open("/proc/inbox", "rb", home=sys.argv[1])
    print("now", f.poll(timeout=0), flush=True)
    print("woken", f.poll(timeout=60), flush=True)
    print(f.read1(100).decode().strip(), flush=True)
    f.close()
    """


def test_a_poller_sleeps_until_a_writer_wakes_it(kmod, home, module_file):
    assert kmod("insmod", module_file("inbox", INBOX)).returncode == 0
    poller = subprocess.Popen([sys.executable, "-c", textwrap.dedent(POLLER), str(home)],
                              stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, KMODSIM_HOME=str(home)))
    try:
        assert poller.stdout.readline() == "now 0\n"  # nothing to read yet: no POLLIN
        time.sleep(0.3)
        assert poller.poll() is None  # asleep in poll, holding nobody up
        assert kmod("lsmod").stdout.splitlines()[1].split() == ["inbox", "12288", "1"]
        assert kmod("proc", "write", "inbox", "hello").returncode == 0
        out, _ = poller.communicate(timeout=60)
    finally:
        poller.kill()
    assert out == "woken 65\nhello\n"  # POLLIN | POLLRDNORM


def test_poll_without_a_handler_and_with_a_timeout(home, module_file):
    m = Machine(home)
    m.insmod(module_file("inbox", INBOX))
    with m.open("/proc/inbox", "rb") as f:
        assert f.poll(timeout=0.2) == 0  # timed out: nothing came
        m.proc_write("inbox", b"x\n")
        assert f.poll() == 0x41
        assert f.poll(0x4) == 0x4  # POLLOUT asked for: ready
    with m.open("/proc/modules", "rb") as f:
        assert f.poll(0x1 | 0x4) == 0x5  # no poll handler: always ready (DEFAULT_POLLMASK)
    m.close()
