"""lockdep (kernel/locking/lockdep.c): recursive locking, bad unlocks, lock order inversions
and locks held on return to user space.

A lock's state lives in the lock object (module memory). Commands never run at the same time,
so a lock another task holds can never be released while this one waits: instead of hanging,
the report the kernel would eventually print (the hung task's) is logged and the task is
stopped. The lock order graph lives for the boot, so orders taken in different commands count.
"""

from __future__ import annotations

import sys
import zlib
from typing import TYPE_CHECKING

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.debug.hung_task import hung_task_lines
from kmodsim.kernel.module import Module, tainted_text
from kmodsim.kernel.panic import KernelFault
from kmodsim.kernel.printk import hint, log_lines
from kmodsim.kernel.stacktrace import Frame, at, dump_stack, frame_at, live_frames, module_base
from kmodsim.kernel.version import KERNEL_IDENT

if TYPE_CHECKING:
    from kmodsim.kernel.locking import _Lock


class LockdepState(State):
    """The lock order graph of the boot, and whether lockdep has turned itself off (it
    reports once per boot: debug_locks_off())."""

    PREFIX = "lockdep"


class Held:
    """A lock this task holds: which, its lockdep class, and where it was taken."""

    __slots__ = ("lock", "key", "code", "lineno", "module")

    def __init__(self, lock: _Lock, key: str, lm: Module | None) -> None:
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


def _caller(lm: Module | None) -> tuple[object, int]:
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


def _site(lm: Module | None) -> tuple[str, list[Frame]]:
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


def _debug_locks(k: Kernel) -> bool:
    return not k.state(LockdepState).var("off")


def _debug_locks_off(k: Kernel) -> None:
    k.state(LockdepState).set_var("off", 1)


def _header(k: Kernel, title: str) -> list[str]:
    return ["", "=" * len(title), title, f"{KERNEL_IDENT} {tainted_text(k)}", "-" * len(title)]


def held_lines(k: Kernel) -> list[str]:
    if not k.task.held:
        return [f"no locks held by {k.task.comm}/{k.task.pid}."]
    n = len(k.task.held)
    lines = [f"{n} lock{'s' if n > 1 else ''} held by {k.task.comm}/{k.task.pid}:"]
    for i, h in enumerate(k.task.held):
        lines.append(f" #{i}: {_desc(h.lock, h.key)}, at: {h.site}")
    return lines


class Deadlock(KernelFault):
    """The task waits for a lock that can never be released: report and stop it."""

    def __init__(self, lines: list[str], hint: str) -> None:
        super().__init__(hint)
        self.lines = lines
        self.hint = hint

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        log_lines(k, [(4, line) for line in self.lines])
        hint(k, f"kmodsim: hint: {self.hint}{at(frames)}")


def acquire(k: Kernel, lock: _Lock) -> None:
    lm = _current.module()
    key = _key(lock)
    module = lm.name if lm else "?"
    owner = lock.owner
    if owner is not None:
        site, frames = _site(lm)
        fn = "mutex_lock" if lock.kind == "mutex" else "spin_lock"
        if owner == k.task.pid and _debug_locks(k):
            _debug_locks_off(k)  # lockdep reports once per boot
            lines = [*_header(k, "WARNING: possible recursive locking detected"),
                     f"{k.task.comm}/{k.task.pid} is trying to acquire lock:",
                     f"{_desc(lock, key)}, at: {site}", "",
                     "but task is already holding lock:",
                     *[f"{_desc(h.lock, h.key)}, at: {h.site}"
                       for h in k.task.held if h.lock is lock][:1], "",
                     "other info that might help us debug this:",
                     " Possible unsafe locking scenario:", "", "       CPU0", "       ----",
                     f"  lock({lock.name});", f"  lock({lock.name});", "",
                     " *** DEADLOCK ***", "", " May be due to missing lock nesting notation",
                     "", *held_lines(k), "", "stack backtrace:",
                     *dump_stack(k, frames, module)]
            raise Deadlock(lines, f"{fn}({lock.name}) while this task already holds it: "
                                  f"it waits for itself forever")
        holder = "this task" if owner == k.task.pid else f"task {lock.owner_comm or 'kmod'}:{owner}"
        raise Deadlock(hung_task_lines(k, frames, module, lock.kind),
                       f"{fn}({lock.name}) waits for a lock held by {holder}, which never "
                       f"released it (a handler returned with it held, or died holding it)")
    held = Held(lock, key, lm)
    _check_order(k, held)
    lock.owner = k.task.pid
    lock.owner_comm = k.task.comm
    k.task.held.append(held)


def try_acquire(k: Kernel, lock: _Lock) -> bool:
    if lock.owner is not None:
        return False
    lm = _current.module()
    lock.owner = k.task.pid
    lock.owner_comm = k.task.comm
    k.task.held.append(Held(lock, _key(lock), lm))
    return True


def release(k: Kernel, lock: _Lock) -> None:
    for i, h in enumerate(k.task.held):
        if h.lock is lock:
            del k.task.held[i]
            break
    else:
        if lock.owner is None or lock.owner != k.task.pid:
            _bad_unlock(k, lock)
            if lock.owner is None:
                return
    lock.owner = None
    lock.owner_comm = ""


def _bad_unlock(k: Kernel, lock: _Lock) -> None:
    lm = _current.module()
    site, frames = _site(lm)
    if _debug_locks(k):
        _debug_locks_off(k)
        lines = [*_header(k, "WARNING: bad unlock balance detected!"),
                 f"{k.task.comm}/{k.task.pid} is trying to release lock ({lock.name}) at:",
                 f"[<{_addr(lock, _key(lock))}>] {site}",
                 "but there are no more locks to release!", "",
                 "other info that might help us debug this:", *held_lines(k), "",
                 "stack backtrace:", *dump_stack(k, frames, lm.name if lm else "?")]
        log_lines(k, [(4, line) for line in lines])
    where = at(frames)
    hint(k, f"kmodsim: hint: unlock of {lock.name}, which this task does not hold{where}")


def _check_order(k: Kernel, new: Held) -> None:
    """Record held->new edges; a path new->...->held means two orders: circular dependency."""
    if not k.task.held:
        return
    state = k.state(LockdepState)
    edges = {tuple(e) for e in state.json_var("order", "[]")}
    added = False
    for h in k.task.held:
        if h.key == new.key:
            continue
        if _debug_locks(k) and _reaches(edges, new.key, h.key):
            _debug_locks_off(k)
            _circular(k, new, h)
        if (h.key, new.key) not in edges:
            edges.add((h.key, new.key))
            added = True
    if added:
        state.set_json_var("order", sorted(edges))


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


def _circular(k: Kernel, new: Held, held: Held) -> None:
    lock, key, site, module = new.lock, new.key, new.site, new.module
    frames = live_frames(_current.module().path) if _current.module() else []  # type: ignore[union-attr]
    a, b = held.lock.name, lock.name
    lines = [*_header(k, "WARNING: possible circular locking dependency detected"),
             f"{k.task.comm}/{k.task.pid} is trying to acquire lock:",
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
             " *** DEADLOCK ***", "", *held_lines(k), "", "stack backtrace:",
             *dump_stack(k, frames, module)]
    log_lines(k, [(4, line) for line in lines])
    where = at(frames)
    hint(k, f"kmodsim: hint: {b} taken while holding {a}, but elsewhere {a} is taken while "
           f"holding {b}: two tasks doing both can deadlock; always take them in one order"
           f"{where}")


def check_return_to_user(k: Kernel) -> None:
    """lockdep_sys_exit(): a system call must not return with locks held."""
    if not k.task.held:
        return
    if _debug_locks(k):
        lines = [*_header(k, "WARNING: lock held when returning to user space!"),
                 f"{k.task.comm}/{k.task.pid} is leaving the kernel with locks still held!",
                 *held_lines(k)]
        log_lines(k, [(4, line) for line in lines])
    names = ", ".join(h.lock.name for h in k.task.held)
    hint(k, f"kmodsim: hint: the handler returned with {names} locked: every path out of it "
           f"must unlock (the lock stays held, and the next task that takes it waits forever)")
    k.task.held.clear()
