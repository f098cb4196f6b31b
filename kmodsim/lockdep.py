"""Locking as the kernel checks it: lockdep's reports, hung tasks, sleeping in atomic context.

A lock's state lives in the lock object (module memory). Commands never run at the same time,
so a lock another task holds can never be released while this one waits: instead of hanging,
the report the kernel would eventually print is logged and the task is stopped. The lock order
graph lives for the boot (meta 'lock_order'), so orders taken in different commands count.
"""

from __future__ import annotations

import sys
import zlib
from typing import TYPE_CHECKING

from kmodsim.faults import (
    KERNEL_IDENT,
    Frame,
    KernelFault,
    at,
    call_trace,
    dump_stack,
    frame_at,
    live_frames,
    module_base,
)
from kmodsim.kernel import _current
from kmodsim.taint import TAINT_WARN

if TYPE_CHECKING:
    from kmodsim.kernel.locking import _Lock
    from kmodsim.runtime import KernelEntry, LoadedModule

HUNG_TASK_TIMEOUT = 120


class Held:
    """A lock this task holds: which, its lockdep class, and where it was taken."""

    __slots__ = ("lock", "key", "code", "lineno", "module")

    def __init__(self, lock: _Lock, key: str, lm: LoadedModule | None) -> None:
        self.lock = lock
        self.key = key  # module and variable name
        self.module = lm.name if lm else "?"
        # where it was taken, kept raw: the symbol is only worked out if a report needs it
        self.code, self.lineno = _caller(lm)

    @property
    def site(self) -> str:
        """`fn+0x../0x.. [mod]`, as lockdep prints where a lock was taken."""
        if self.code is None:
            return "?"
        return frame_at(self.code, self.lineno).symbol(self.module)


def _caller(lm: LoadedModule | None) -> tuple[object, int]:
    """The innermost frame of module code on the stack: (code, line)."""
    f = sys._getframe(2)
    path = lm.path if lm else None
    while f is not None:
        if f.f_globals.get("__kmod_source__") == path:
            return f.f_code, f.f_lineno
        f = f.f_back
    return None, 0


def _key(lock: _Lock) -> str:
    lm = _current.module()
    return f"{lm.name if lm else ''}:{lock.name or hex(id(lock))}"


def _site(lm: LoadedModule | None) -> tuple[str, list[Frame]]:
    frames = live_frames(lm.path) if lm else []
    return (frames[0].symbol(lm.name) if frames and lm else "?"), frames


def _addr(lock: _Lock, key: str) -> str:
    """A static lock lives in its module's data: a stable address per lock."""
    module = key.split(":", 1)[0]
    return f"{module_base(module) + 0x2000 + (zlib.crc32(key.encode()) & 0xFF0):016x}"


def _class(lock: _Lock) -> str:
    """lockdep's usage bits and wait type: a mutex sleeps (3), a spinlock spins (2)."""
    return "{+.+.}-{3:3}" if lock.kind == "mutex" else "{....}-{2:2}"


def _desc(lock: _Lock, key: str) -> str:
    return f"{_addr(lock, key)} ({lock.name or '?'}){_class(lock)}"


def _debug_locks(k: KernelEntry) -> bool:
    return not k.meta("debug_locks_off")


def _header(k: KernelEntry, title: str) -> list[str]:
    return ["", "=" * len(title), title, f"{KERNEL_IDENT} {k.tainted_text()}", "-" * len(title)]


def _held_lines(k: KernelEntry) -> list[str]:
    if not k.held:
        return [f"no locks held by {k.comm}/{k.pid}."]
    n = len(k.held)
    lines = [f"{n} lock{'s' if n > 1 else ''} held by {k.comm}/{k.pid}:"]
    for i, h in enumerate(k.held):
        lines.append(f" #{i}: {_desc(h.lock, h.key)}, at: {h.site}")
    return lines


class Deadlock(KernelFault):
    """The task waits for a lock that can never be released: report and stop it."""

    def __init__(self, lines: list[str], hint: str) -> None:
        super().__init__(hint)
        self.lines = lines
        self.hint = hint

    def report(self, k: KernelEntry, lm: LoadedModule | None, frames: list[Frame]) -> None:
        k.log_lines([(4, line) for line in self.lines])
        k.hint(f"kmodsim: hint: {self.hint}{at(frames)}")


def _hung_task(k: KernelEntry, frames: list[Frame], module: str, lock: _Lock) -> list[str]:
    top = ["__schedule+0x3e4/0x1540", "schedule+0x27/0xf0",
           "schedule_preempt_disabled+0x15/0x30", "__mutex_lock.constprop.0+0x3ef/0x7a0",
           "__mutex_lock_slowpath+0x13/0x20", "mutex_lock+0x3c/0x50"]
    if lock.kind != "mutex":
        top = ["queued_spin_lock_slowpath+0x6b/0x2a0", "_raw_spin_lock+0x29/0x30"]
    return [
        f"INFO: task {k.comm}:{k.pid} blocked for more than {HUNG_TASK_TIMEOUT} seconds.",
        f"      {k.tainted_text()} {KERNEL_IDENT}",
        '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
        f"task:{k.comm:<15.15} state:D stack:0     pid:{k.pid:<5} tgid:{k.pid:<5} "
        f"ppid:1      flags:0x00004002",
        *call_trace(k, frames, module, top),
    ]


def acquire(k: KernelEntry, lock: _Lock, sleeping: bool) -> None:
    lm = _current.module()
    key = _key(lock)
    module = lm.name if lm else "?"
    if sleeping:
        might_sleep(k, "kernel/locking/mutex.c:283")
    owner = lock.owner
    if owner is not None:
        site, frames = _site(lm)
        fn = "mutex_lock" if lock.kind == "mutex" else "spin_lock"
        if owner == k.pid and _debug_locks(k):
            k.set_meta("debug_locks_off", 1)  # lockdep reports once per boot
            lines = [*_header(k, "WARNING: possible recursive locking detected"),
                     f"{k.comm}/{k.pid} is trying to acquire lock:",
                     f"{_desc(lock, key)}, at: {site}", "",
                     "but task is already holding lock:",
                     *[f"{_desc(h.lock, h.key)}, at: {h.site}"
                       for h in k.held if h.lock is lock][:1], "",
                     "other info that might help us debug this:",
                     " Possible unsafe locking scenario:", "", "       CPU0", "       ----",
                     f"  lock({lock.name});", f"  lock({lock.name});", "",
                     " *** DEADLOCK ***", "", " May be due to missing lock nesting notation",
                     "", *_held_lines(k), "", "stack backtrace:",
                     *dump_stack(k, frames, module)]
            raise Deadlock(lines, f"{fn}({lock.name}) while this task already holds it: "
                                  f"it waits for itself forever")
        holder = "this task" if owner == k.pid else f"task {lock.owner_comm or 'kmod'}:{owner}"
        raise Deadlock(_hung_task(k, frames, module, lock),
                       f"{fn}({lock.name}) waits for a lock held by {holder}, which never "
                       f"released it (a handler returned with it held, or died holding it)")
    held = Held(lock, key, lm)
    _check_order(k, held)
    lock.owner = k.pid
    lock.owner_comm = k.comm
    k.held.append(held)


def try_acquire(k: KernelEntry, lock: _Lock) -> bool:
    if lock.owner is not None:
        return False
    lm = _current.module()
    lock.owner = k.pid
    lock.owner_comm = k.comm
    k.held.append(Held(lock, _key(lock), lm))
    return True


def release(k: KernelEntry, lock: _Lock) -> None:
    for i, h in enumerate(k.held):
        if h.lock is lock:
            del k.held[i]
            break
    else:
        if lock.owner is None or lock.owner != k.pid:
            _bad_unlock(k, lock)
            if lock.owner is None:
                return
    lock.owner = None
    lock.owner_comm = ""


def _bad_unlock(k: KernelEntry, lock: _Lock) -> None:
    lm = _current.module()
    site, frames = _site(lm)
    if _debug_locks(k):
        k.set_meta("debug_locks_off", 1)
        lines = [*_header(k, "WARNING: bad unlock balance detected!"),
                 f"{k.comm}/{k.pid} is trying to release lock ({lock.name}) at:",
                 f"[<{_addr(lock, _key(lock))}>] {site}",
                 "but there are no more locks to release!", "",
                 "other info that might help us debug this:", *_held_lines(k), "",
                 "stack backtrace:", *dump_stack(k, frames, lm.name if lm else "?")]
        k.log_lines([(4, line) for line in lines])
    where = at(frames)
    k.hint(f"kmodsim: hint: unlock of {lock.name}, which this task does not hold{where}")


def _check_order(k: KernelEntry, new: Held) -> None:
    """Record held->new edges; a path new->...->held means two orders: circular dependency."""
    if not k.held:
        return
    import json  # only once a second lock is taken

    edges = {tuple(e) for e in json.loads(str(k.meta("lock_order", "[]")))}
    added = False
    for h in k.held:
        if h.key == new.key:
            continue
        if _debug_locks(k) and _reaches(edges, new.key, h.key):
            k.set_meta("debug_locks_off", 1)
            _circular(k, new, h)
        if (h.key, new.key) not in edges:
            edges.add((h.key, new.key))
            added = True
    if added:
        k.set_meta("lock_order", json.dumps(sorted(edges)))


def _reaches(edges: set, start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for a, b in edges:
            if a == node and b not in seen:
                if b == goal:
                    return True
                seen.add(b)
                todo.append(b)
    return False


def _circular(k: KernelEntry, new: Held, held: Held) -> None:
    lock, key, site, module = new.lock, new.key, new.site, new.module
    frames = live_frames(_current.module().path) if _current.module() else []  # type: ignore[union-attr]
    a, b = held.lock.name, lock.name
    lines = [*_header(k, "WARNING: possible circular locking dependency detected"),
             f"{k.comm}/{k.pid} is trying to acquire lock:",
             f"{_desc(lock, key)}, at: {site}", "",
             "but task is already holding lock:",
             f"{_desc(held.lock, held.key)}, at: {held.site}", "",
             "which lock already depends on the new lock.", "", "",
             "the existing dependency chain (in reverse order) is:", "",
             f"-> #1 ({a}){_class(held.lock)}:", "",
             f"-> #0 ({b}){_class(lock)}:", "",
             "other info that might help us debug this:", "",
             " Possible unsafe locking scenario:", "",
             "       CPU0                    CPU1", "       ----                    ----",
             f"  lock({a});", f"                               lock({b});",
             f"                               lock({a});", f"  lock({b});", "",
             " *** DEADLOCK ***", "", *_held_lines(k), "", "stack backtrace:",
             *dump_stack(k, frames, module)]
    k.log_lines([(4, line) for line in lines])
    where = at(frames)
    k.hint(f"kmodsim: hint: {b} taken while holding {a}, but elsewhere {a} is taken while "
           f"holding {b}: two tasks doing both can deadlock; always take them in one order"
           f"{where}")


def might_sleep(k: KernelEntry, where: str) -> None:
    """__might_sleep(): sleeping with a spinlock held or interrupts off is a bug."""
    spin_held = [h for h in k.held if h.lock.kind == "spinlock"]
    if not spin_held and not k.irqs_disabled and not k.in_irq:
        return
    lm = _current.module()
    _, frames = _site(lm)
    depth = len(spin_held)
    lines = [f"BUG: sleeping function called from invalid context at {where}",
             f"in_atomic(): {1 if depth or k.in_irq else 0}, irqs_disabled(): "
             f"{1 if k.irqs_disabled else 0}, non_block: 0, pid: {k.pid}, name: {k.comm}",
             f"preempt_count: {depth:x}, expected: 0", "RCU nest depth: 0, expected: 0",
             *_held_lines(k),
             *dump_stack(k, frames, lm.name if lm else "?",
                         ["dump_stack_lvl+0x48/0x70", "__might_resched+0x17d/0x1c0"])]
    k.log_lines([(3, lines[0]), *[(3, line) for line in lines[1:4]],
                 *[(4, line) for line in lines[4:]]])
    k.add_taint(TAINT_WARN)
    where = at(frames)
    if spin_held or k.irqs_disabled:
        held = spin_held[-1].lock.name if spin_held else "interrupts disabled"
        k.hint(f"kmodsim: hint: something that may sleep was called while holding a spinlock "
               f"({held}){where}; use a mutex, or GFP_ATOMIC, or move it outside the lock")
    else:
        k.hint(f"kmodsim: hint: a timer callback runs in interrupt context and must not "
               f"sleep{where}; use GFP_ATOMIC, a spinlock, or a workqueue")


def check_return_to_user(k: KernelEntry) -> None:
    """lockdep_sys_exit(): a system call must not return with locks held."""
    if not k.held:
        return
    if _debug_locks(k):
        lines = [*_header(k, "WARNING: lock held when returning to user space!"),
                 f"{k.comm}/{k.pid} is leaving the kernel with locks still held!",
                 *_held_lines(k)]
        k.log_lines([(4, line) for line in lines])
    names = ", ".join(h.lock.name for h in k.held)
    k.hint(f"kmodsim: hint: the handler returned with {names} locked: every path out of it "
           f"must unlock (the lock stays held, and the next task that takes it waits forever)")
    k.held.clear()
