"""A task's sleep: what it did commits, the store is released for other tasks, the task blocks
without the store, then takes it back and catches up with what the others did.

A waiting task never holds the store nor polls it: it blocks on its own doorbell, an abstract
Unix datagram socket named after the machine and its pid, which a waker rings after its
commit (so the woken task always sees what woke it). Nothing to clean up: the kernel drops an
abstract socket with its process.
"""

from __future__ import annotations

import os
import time
import zlib
from typing import TYPE_CHECKING

from kmodsim import store
from kmodsim.kernel.module import ModuleState
from kmodsim.kernel.sched import SchedState
from kmodsim.runtime import namespace

if TYPE_CHECKING:
    from kmodsim.runtime.entry import KernelEntry

WOKEN, TIMED_OUT, SIGNALLED = "woken", "timeout", "signal"


def machine_key(path: object) -> str:
    """Doorbells of one machine (store file) are apart from every other machine's. (zlib,
    not hashlib: every command computes it, and hashlib costs a command milliseconds.)"""
    raw = os.fsencode(str(path))
    return f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"


def _address(key: str, pid: int) -> bytes:
    return f"\0kmodsim-{key}-{pid}".encode()


class Doorbell:
    """What a sleeping task blocks on until another task rings it."""

    def __init__(self, key: str, pid: int) -> None:
        import socket  # only a task that sleeps on a channel needs one

        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(_address(key, pid))

    def wait(self, timeout: float | None) -> bool:
        """True if rung before `timeout` seconds (None: forever); rings are drained."""
        self.sock.settimeout(timeout)
        try:
            self.sock.recv(64)
        except TimeoutError:  # socket.timeout
            return False
        self.sock.setblocking(False)
        try:
            while self.sock.recv(64):
                pass
        except OSError:
            pass
        return True

    def close(self) -> None:
        self.sock.close()


def ring(key: str, pids: set[int]) -> None:
    """Wake these tasks (after the waker's commit); a task that is gone is skipped."""
    if not pids:
        return
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        for pid in pids:
            try:
                s.sendto(b"!", _address(key, pid))
            except OSError:  # it died while waiting: nothing to wake
                pass


_doorbell: Doorbell | None = None  # this process's; a forked child makes its own
_doorbell_pid = 0


def _own_doorbell(k: KernelEntry) -> Doorbell:
    global _doorbell, _doorbell_pid
    if _doorbell is None or _doorbell_pid != os.getpid():
        _doorbell, _doorbell_pid = Doorbell(k.key, os.getpid()), os.getpid()
    return _doorbell


def sleep(k: KernelEntry, channels: tuple[str, ...], timeout: float | None,
          interruptible: bool) -> str:
    """Sleep until woken on one of `channels`, until `timeout` seconds pass, or (when
    interruptible) until a signal (Ctrl-C) arrives; which of the three ended it."""
    task = k.task
    if interruptible and task.signal_pending:  # a signal already came: no sleep at all
        return SIGNALLED
    watchdog = task.watchdog
    if watchdog is not None:
        watchdog.pause()
    if task.tasklets:  # the CPU is given up: the softirq runs first
        from kmodsim.kernel.softirq import run_tasklets

        run_tasklets(k)
    doorbell = _own_doorbell(k) if channels else None  # bound before anyone may ring it
    if channels:
        k.state(SchedState).register(task.pid, channels)
    k.finish()  # what the task did so far ...
    store.release(k.db)  # ... commits, and other tasks may run
    ring_woken(k)
    if task.kthread:
        orphaned(k)
    try:
        outcome = _block(doorbell, timeout, interruptible, task)
    finally:
        store.retake(k.db)
        catch_up(k)
        if watchdog is not None:
            watchdog.resume()
    return outcome


def ring_woken(k: KernelEntry) -> None:
    """Once the task's work is committed: wake the tasks it woke, start the kthreads it
    created."""
    ring(k.key, k.to_ring)
    k.to_ring = set()
    if k.task.spawns:
        from kmodsim.runtime.kthreadd import start_spawned

        start_spawned(k)


def catch_up(k: KernelEntry) -> None:
    """Awake again, the store retaken: what other tasks did meanwhile, seen in place."""
    k.forget_remembered()
    k.reload()
    k.state(SchedState).unregister(k.task.pid)
    modules = k.state(ModuleState)
    for lm in list(k.live.values()):
        row = modules.row(lm.name)
        if row is None:  # removed meanwhile: nothing of it is saved again
            lm.dirty = False
            if k.task.kthread and k.task.kind == "kthread":
                freed_under_kthread(k, lm.name)
            continue
        namespace.catch_up(lm, row[6])
        lm.stored = (row[1], row[2])


def orphaned(k: KernelEntry) -> None:
    """A kthread whose machine was deleted (a test's temporary folder, say) ends: nothing can
    see it or stop it any more."""
    from kmodsim.runtime.kthreadd import home_of

    if not os.path.exists(os.path.join(home_of(k), store.DB_NAME)):
        os._exit(0)


def freed_under_kthread(k: KernelEntry, module: str) -> None:
    """A kthread woke in a module that was removed without kthread_stop(): its code is gone
    (the kernel's page fault on the return address), and the thread dies."""
    from kmodsim.kernel.panic import code_gone

    k.forget(module)
    code_gone(k, module, 0x1D0,
              f"a kthread of module {module} ({k.task.comm}) woke after the module was "
              f"removed: its exit must call kthread_stop() on each thread it started")


def _block(doorbell: Doorbell | None, timeout: float | None, interruptible: bool,
           task: object) -> str:
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            if doorbell is not None:
                return WOKEN if doorbell.wait(left) else TIMED_OUT
            time.sleep(left or 0)
            return TIMED_OUT
        except KeyboardInterrupt:  # Ctrl-C: delivered now only to an interruptible sleep
            task.signal_pending = True  # type: ignore[attr-defined]
            if interruptible:
                return SIGNALLED
