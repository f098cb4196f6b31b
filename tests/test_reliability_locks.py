"""SQLite's locks on the state file are POSIX locks, and those belong to a process: a
descriptor closed anywhere in it drops them all, and a forked child holds none of them
(though SQLite's record of them is copied into it). However a grader's process opens
Machines (several, from threads, across a fork) and however a `kmod sh` job runs, every
command keeps the lock it needs: no write of another process is ever lost."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
import time

from conftest import KMOD, MODULES

from kmodsim.errors import StoreError
from kmodsim.machine import Machine

COUNTER = str(MODULES / "counter.py")

# Run in another process: does any process hold a read lock on SQLite's SHARED range of the
# file? (F_GETLK doesn't see the asking process's own locks.) One answer per line of input.
PROBE = textwrap.dedent("""
    import fcntl, os, struct, sys
    PENDING_BYTE = 0x40000000
    fd = os.open(sys.argv[1], os.O_RDWR)
    for _ in sys.stdin:
        query = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, PENDING_BYTE + 2, 510, 0)
        found = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, query))[0]
        print("held" if found != fcntl.F_UNLCK else "free", flush=True)
    """)


def test_machines_opened_and_closed_beside_an_open_one_leave_its_locks_alone(home, kmod):
    """Opening and closing any descriptor of the state file (as the check of a new
    connection's file header did) dropped the locks of the Machine already open, and the
    next write of another process then found the store `malformed`."""
    m = Machine(home)
    m.insmod(COUNTER)
    for turn in range(1, 7):
        m.proc_write("counter", b"I\n")
        assert kmod("proc", "write", "counter", "I").returncode == 0
        other = Machine(home)
        assert other.proc_read("counter") == b"%d\n" % (2 * turn)
        other.close()
    m.close()
    assert kmod("proc", "read", "counter").stdout == "12\n"


def test_machines_opened_by_two_threads_at_once_keep_their_locks(home):
    """One thread's header check fell between the other's connection taking its lock and
    being counted as open (before the fix, in about one round in seven)."""
    m = Machine(home)
    m.insmod(COUNTER)
    m.close()
    probe = subprocess.Popen([sys.executable, "-c", PROBE, str(home / "machine.db")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    dropped = 0
    try:
        for _ in range(100):
            machines = [Machine(home), Machine(home)]
            start = threading.Barrier(2)

            threads = [threading.Thread(target=_open_at_once, args=(m, start))
                       for m in machines]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            probe.stdin.write("?\n")  # type: ignore[union-attr]
            probe.stdin.flush()  # type: ignore[union-attr]
            dropped += probe.stdout.readline().strip() != "held"  # type: ignore[union-attr]
            for m in machines:
                m.close()
    finally:
        probe.kill()
        probe.wait()
    assert dropped == 0


def _open_at_once(m: Machine, start: threading.Barrier) -> None:
    start.wait()
    m.modules()


def test_a_child_forked_beside_an_open_machine_takes_locks_of_its_own(home, kmod):
    """A grader's process forks while its Machine is open (multiprocessing does): the
    child's connection believed it held the parent's locks, and once the parent let go,
    other processes' writes and the child's overwrote each other."""
    m = Machine(home)
    m.insmod(COUNTER)
    m.proc_write("counter", b"I\n")  # the parent's connection is open at the fork
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            child = Machine(home)
            child.proc_write("counter", b"I\n")
            os.write(ready_w, b"1")
            os.read(go_r, 1)  # the parent has closed its connection
            for _ in range(3):
                child.proc_write("counter", b"I\n")
                subprocess.run([KMOD, "proc", "write", "counter", "I"], check=True,
                               env=dict(os.environ, KMODSIM_HOME=str(home)), timeout=60)
            child.close()
            status = 0
        finally:
            os._exit(status)
    os.read(ready_r, 1)
    m.close()
    os.write(go_w, b"1")
    _, code = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(code) == 0
    assert kmod("proc", "read", "counter").stdout == "8\n"


MEMO = """
    MODULE_LICENSE("GPL")
    n = 0
    def memo_write(file, buf, count, ppos):
        global n
        cmd = bytearray(1)
        copy_from_user(cmd, buf, 1)
        n += 1
        if cmd == b"s":
            msleep(400)  # other tasks run meanwhile
            msleep(400)
        return count
    def memo_read(file, buf, count, ppos):
        return simple_read_from_buffer(buf, count, ppos, b"%d\\n" % n)
    @module_init
    def memo_init():
        proc_create("memo", 0o666, None, proc_ops(proc_read=memo_read, proc_write=memo_write))
        return 0
    """


def test_a_kmod_sh_job_that_outlives_its_shell_keeps_its_write(kmod, module_file):
    """`CMD &` forks the shell: its job's connection believed it held the shell's locks,
    and lost its write to the other shells' (or they theirs to it)."""
    assert kmod("insmod", module_file("memo", MEMO)).returncode == 0
    r = kmod("sh", "-c", "echo i > /proc/memo; echo s > /proc/memo &")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    for _ in range(6):  # while the job sleeps in its write
        assert kmod("proc", "write", "memo", "i").returncode == 0
    deadline = time.monotonic() + 10
    while kmod("proc", "read", "memo").stdout != "8\n" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kmod("proc", "read", "memo").stdout == "8\n"


def test_a_machine_dropped_without_close_lets_the_header_be_checked_again(home):
    """A Machine dropped without close() still counted as having the file open, so the
    process never checked the header again: a store cut to one byte was taken for an empty
    one and silently started afresh."""
    m = Machine(home)
    m.insmod(COUNTER)
    del m
    gc.collect()
    (home / "machine.db").write_bytes(b"x")
    for suffix in ("-wal", "-shm"):
        (home / f"machine.db{suffix}").unlink(missing_ok=True)
    try:
        Machine(home).modules()
    except StoreError as e:
        assert "is unreadable (file is not a database)" in str(e)
    else:
        raise AssertionError("a one-byte store was taken for an empty one")
