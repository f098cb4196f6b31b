"""A task's sleep: what it did commits, the store is released for other tasks, the task blocks
without the store, then takes it back and catches up with what the others did.

A waiting task never holds the store nor polls it: it blocks on its own doorbell, an abstract
Unix datagram socket named after the machine and its pid, which a waker rings after its
commit (so the woken task always sees what woke it). Nothing to clean up: the kernel drops an
abstract socket with its process.
"""

from __future__ import annotations

import _signal  # the C module: `signal` builds enums at import, which costs a command
import os
import time
import zlib
from typing import TYPE_CHECKING

from kmodsim import store
from kmodsim.errors import SIGKILL, Killed
from kmodsim.kernel import _current
from kmodsim.kernel.module import ModuleState
from kmodsim.kernel.pidns import own_pid
from kmodsim.kernel.sched import SIGINT, TIMERS_CHANNEL, SchedState
from kmodsim.kernel.softirq import run_tasklets, run_timer_softirq
from kmodsim.kernel.time import TimeState
from kmodsim.kernel.timer import next_timer_in
from kmodsim.runtime import namespace

if TYPE_CHECKING:
    from kmodsim.kernel.sched import Task
    from kmodsim.runtime.entry import KernelEntry

WOKEN, TIMED_OUT, SIGNALLED = "woken", "timeout", "signal"
NUDGED = "nudged"  # rung only because a timer was armed: the sleep goes on
_WAKE, _NUDGE = b"!", b"t"  # what a doorbell is rung with


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

    def wait(self, timeout: float | None) -> str:
        """WOKEN, NUDGED (only a timer was armed) or TIMED_OUT after `timeout` seconds (None:
        never); the rings waiting are all read."""
        self.sock.settimeout(timeout)
        try:
            rings = [self.sock.recv(64)]
        except (TimeoutError, BlockingIOError):  # socket.timeout; or a timeout of 0
            return TIMED_OUT
        self.sock.setblocking(False)
        try:
            while True:
                rings.append(self.sock.recv(64))
        except OSError:
            pass
        return NUDGED if all(ring == _NUDGE for ring in rings) else WOKEN

    def close(self) -> None:
        self.sock.close()


def ring(key: str, pids: set[int], what: bytes = _WAKE) -> None:
    """Wake these tasks (after the waker's commit); a task that is gone is skipped."""
    if not pids:
        return
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        for pid in pids:
            try:
                s.sendto(what, _address(key, pid))
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
    interruptible) until a signal (Ctrl-C) arrives; which of the three ended it. Timers that
    fall due meanwhile are fired by the sleeper as it wakes (the CPU's timer interrupt):
    one that wakes `channels` ends the sleep."""
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        timer_in = next_timer_in(k)
        for_timer = timer_in is not None and (left is None or timer_in < left)
        outcome = _sleep_once(k, channels, timer_in if for_timer else left, interruptible)
        if outcome != SIGNALLED and fire_timers(k, channels):
            return WOKEN
        if outcome == NUDGED or (outcome == TIMED_OUT and for_timer) or (
                outcome == WOKEN and not channels):  # nobody wakes a plain msleep
            continue
        return outcome


def fire_timers(k: KernelEntry, channels: tuple[str, ...]) -> bool:
    """Fire the timers due, in interrupt context on this task's CPU (then the tasklets they
    scheduled); whether they woke one of `channels`. The task's own locks and wake-ups stay
    its own."""
    if next_timer_in(k) != 0.0:
        return False
    task = k.task
    kind, held, wakes = task.kind, task.held, task.wakes
    task.held, task.wakes = [], set()
    try:
        run_timer_softirq(k)
        return bool(task.wakes.intersection(channels))
    finally:
        task.wakes |= wakes
        task.kind, task.held = kind, held


def _sleep_once(k: KernelEntry, channels: tuple[str, ...], timeout: float | None,
                interruptible: bool) -> str:
    task = k.task
    if task.ended is not None:  # module code caught the task's end: it ends all the same
        raise task.ended
    if not task.sigint_held:
        hold_sigint(task)
    if not task.signal_pending:  # one held back since the last look
        task.signal_pending = SIGINT in _signal.sigpending()
    if interruptible and task.signal_pending:  # a signal already came: no sleep at all
        return SIGNALLED
    if timeout is None and not channels:
        timeout = 0.0  # nothing could end it: it only lets others run
    boot = k.state(TimeState).boot_time  # the boot it sleeps in (set now, if not yet)
    watchdog = task.watchdog
    if watchdog is not None:
        watchdog.pause()
    if task.tasklets:  # the CPU is given up: the softirq runs first
        run_tasklets(k)
    # every sleeper is known and has a doorbell, bound before anyone may ring it: a reboot
    # ends it, a timer armed meanwhile nudges it
    doorbell = _own_doorbell(k)
    k.state(SchedState).register(task.pid, (*channels, TIMERS_CHANNEL))
    k.finish()  # what the task did so far ...
    store.release(k.db)  # ... commits, and other tasks may run
    ring_woken(k)
    if task.kthread:
        orphaned(k)
    try:
        outcome = _block(doorbell, timeout, interruptible, task)
    finally:
        store.retake(k.db)
        if watchdog is not None:
            watchdog.resume()
        catch_up(k, boot)
    return outcome


def ring_woken(k: KernelEntry) -> None:
    """Once the task's work is committed: wake the tasks it woke, start the kthreads it
    created."""
    ring(k.key, k.to_ring)
    ring(k.key, k.to_nudge - k.to_ring, _NUDGE)
    k.to_ring, k.to_nudge = set(), set()
    if k.task.spawns:
        from kmodsim.runtime.kthreadd import start_spawned

        start_spawned(k)


def catch_up(k: KernelEntry, boot: float) -> None:
    """Awake again, the store retaken: what other tasks did meanwhile, seen in place."""
    k.forget_remembered()
    k.reload()
    if k.state(TimeState).boot_time != boot:
        rebooted_under(k)
    k.state(SchedState).unregister(k.task.pid)
    modules = k.state(ModuleState)
    for lm in list(k.live.values()):
        row = modules.row(lm.name)
        if row is None or row[4] != lm.load_order:  # removed (and maybe inserted again)
            lm.dirty = False  # nothing of it is saved again
            if k.task.kthread and k.task.kind == "kthread":
                freed_under_kthread(k, lm.name)
            elif _current.module() is lm:  # asleep in its code, which is gone
                freed_under_task(k, lm.name)
            if row is not None:  # the new instance's memory is not this one's
                k.forget(lm.name)
            continue
        namespace.catch_up(lm, row[6])
        lm.stored = (row[1], row[2])


def end_boot(k: KernelEntry) -> set[int]:
    """A reboot: the boot's kthreads are killed; the tasks asleep in it are returned, to be
    rung once this commits: they wake, find another boot and end (rebooted_under)."""
    from kmodsim.runtime.kthreadd import stop_all

    stop_all(k)
    sleepers = {pid for pid in map(own_pid, k.state(SchedState).waiters()) if pid is not None}
    k.state(TimeState).set_var("boot_time", time.time())  # what they find: another boot
    k.finish()
    return sleepers


def rebooted_under(k: KernelEntry) -> None:
    """The machine rebooted while this task slept: the task went down with its boot, as
    every process does. Nothing it does from here is kept (the entry rolls back: the new
    boot must not get the old one's modules or locks), however module code answers."""
    k.task.ended = Killed(SIGKILL, hint=(
        "kmodsim: the machine rebooted (kmod reboot) while this command slept in the "
        "kernel: it ended with the boot it ran in"))
    if k.task.watchdog is not None:
        k.task.watchdog.passthrough = k.task.ended  # module code can't swallow it
    raise k.task.ended


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


def freed_under_task(k: KernelEntry, module: str) -> None:
    """A task woke in the code of a module removed meanwhile (rmmod -f while a handler
    slept): it returns into freed text, the kernel's page fault, and the task dies."""
    from kmodsim.kernel.panic import code_gone

    k.forget(module)
    code_gone(k, module, 0x1D0,
              f"{k.task.comm} woke in the code of module {module} after the module was "
              f"removed (rmmod -f while its handler slept): that is what forcing a module "
              f"out risks")


def hold_sigint(task: Task) -> None:
    """The task's first sleep: from here on part of its work is committed, so a Ctrl-C must
    not cut it short (it would die holding what it took, a mutex, an open file). As in the
    kernel, the signal waits: an interruptible sleep takes it, or the return to user space
    (release_sigint). Blocked, not caught: the watchdog swaps SIGINT's handler, not the
    mask. (Python runs a signal's handler in the main thread, whichever thread the system
    gave it to: a grader's other threads could still let one through.)"""
    _signal.pthread_sigmask(_signal.SIG_BLOCK, {SIGINT})
    task.sigint_held = True


def release_sigint(task: Task) -> None:
    """Return to user space: a Ctrl-C held back is delivered now (KeyboardInterrupt)."""
    task.sigint_held = False
    _signal.pthread_sigmask(_signal.SIG_UNBLOCK, {SIGINT})  # runs its handler, if pending


def _block(doorbell: Doorbell, timeout: float | None, interruptible: bool,
           task: Task) -> str:
    """Wait, SIGINT let through only to an interruptible sleep (unblocking it runs the
    handler of one already pending; blocking it again, of one that came just before)."""
    try:
        if interruptible:
            _signal.pthread_sigmask(_signal.SIG_UNBLOCK, {SIGINT})
        try:
            return doorbell.wait(timeout)
        finally:
            if interruptible:
                _signal.pthread_sigmask(_signal.SIG_BLOCK, {SIGINT})
    except KeyboardInterrupt:  # Ctrl-C at an interruptible sleep: delivered now
        task.signal_pending = True
        return SIGNALLED
