"""One kernel entry: a command's task inside its transaction.

The entry reads the machine-wide values once and gives each subsystem its state on first use
(`state(cls)`), brings in the modules the command touches (their code executed afresh, their
memory restored), runs their hooks under the fault catcher and the watchdog, and at the end
asks every subsystem it used to save, in the same transaction. Subsystems live in
kmodsim.kernel; adding one adds nothing here.
"""

from __future__ import annotations

import sqlite3
import types
from collections.abc import Callable
from typing import TypeVar

from kmodsim.kernel import _current
from kmodsim.kernel._current import State
from kmodsim.kernel.debug.lockdep import check_return_to_user
from kmodsim.kernel.debug.watchdog import Watchdog, threshold
from kmodsim.kernel.module import Module, ModuleState
from kmodsim.kernel.panic import (
    KernelFault,
)
from kmodsim.kernel.printk import catch_up, hint
from kmodsim.kernel.sched import TIMERS_CHANNEL, Task, woken_by
from kmodsim.kernel.softirq import run_tasklets
from kmodsim.runtime import guard, namespace, schedule
from kmodsim.runtime.faults import report_fault, top_level_failed

S = TypeVar("S", bound=State)


class KernelEntry:
    """What kmodsim.kernel._current.Kernel describes: the kernel as one task sees it."""

    def __init__(self, db: sqlite3.Connection, comm: str = "sh", uid: int = 1000,
                 key: str = "", remembered: dict[str, dict] | None = None) -> None:
        self.db = db
        self._remembered = remembered  # the store's (Store.remembered())
        self.key = key  # the machine's, for the doorbells of sleeping tasks
        self.task = Task(comm, uid)
        self.live: dict[str, Module] = {}  # modules whose code runs in this entry
        self.to_ring: set[int] = set()  # tasks to wake once this task's work is committed
        self.to_nudge: set[int] = set()  # sleepers to tell a timer was armed, likewise
        self.codes: dict[str, bytes] = {}  # the stored code of each module brought in
        self.lockup_after = threshold()  # read once: the environment is looked up slowly
        self.reload()

    def reload(self) -> None:
        """The machine-wide values as stored; subsystem states made afresh on next use."""
        kept = self.remembered("meta")
        meta = kept.get("meta") if kept is not None else None
        if meta is None:
            meta = dict(self.db.execute("SELECT key, value FROM meta"))
            catch_up(self.db, meta)  # the ring's counters: the newest records give them
        # the remembered dict itself, changed in place: it is what the store holds once this
        # entry commits, and a rollback forgets it (Store.transaction)
        self.meta: dict[str, object] = meta
        self.meta_dirty: set[str] = set()
        self._states: dict[type, State] = {}
        self._saving: list[State] = []  # those of them whose save() does something

    def remembered(self, table: str) -> dict | None:
        """Rows of `table` read in this process's earlier entries and still true (None: read
        the store); a subsystem keeps its own reads of the table there, keyed as it likes."""
        if self._remembered is None:
            return None
        rows = self._remembered.get(table)
        if rows is None:
            rows = self._remembered[table] = {}
        return rows

    def forget_remembered(self) -> None:
        """Other tasks ran (this one slept): what was remembered may be stale."""
        if self._remembered is not None:
            self._remembered.clear()

    def state(self, cls: type[S]) -> S:
        try:
            return self._states[cls]  # type: ignore[return-value]
        except KeyError:
            pass
        st = self._states[cls] = cls(self)
        if cls.save is not State.save:  # it has tables of its own to write at the end
            self._saving.append(st)
        return st

    # -- modules ---------------------------------------------------------------------------
    def module(self, name: str) -> Module:
        """The loaded module `name`, its code run and memory restored (KeyError if none)."""
        lm = self.live.get(name)
        if lm is not None:
            return lm
        row = self.state(ModuleState).row(name)
        if row is None:
            raise KeyError(name)
        path, state, taints, has_exit, load_order, code, blob = row
        kept = namespace.reuse(name, code, blob)
        if kept is not None:
            kept.state, kept.taints, kept.load_order = state, taints, load_order
            kept.stored = (state, taints)
            self.codes[name] = code
            return self.add(kept)
        compiled = namespace.code_of(name, code)
        try:
            module = namespace.instantiate(name, path, compiled, state=state, taints=taints,
                                           has_exit=bool(has_exit), load_order=load_order,
                                           included=self._included(name, compiled))
        except (Exception, SystemExit, KernelFault) as error:  # noqa: BLE001
            top_level_failed(self, name, path, error)
        lm = self.add(module)
        namespace.restore(lm, blob)
        self.codes[name] = code
        return lm

    def _included(self, name: str, code: types.CodeType) -> dict[str, str] | None:
        """The files the module include()s, as insmod read them."""
        return self.state(ModuleState).included(name) if "include" in code.co_names else None

    def add(self, lm: Module) -> Module:
        self.live[lm.name] = lm
        return lm

    def forget(self, name: str) -> None:
        """Drop the module's namespace (its memory in the store is untouched)."""
        self.live.pop(name, None)
        namespace.drop(name)

    def forget_all(self) -> list[Module]:
        """Drop every namespace of this entry; the modules they were."""
        modules = list(self.live.values())
        for name in list(self.live):
            self.forget(name)
        return modules

    # -- running module code -----------------------------------------------------------------
    def call(self, lm: Module, kind: str, fn: Callable, *args: object) -> object:
        """Run one hook of module `lm` under the fault catcher and the watchdog. Whatever
        escapes module code (any exception at all, a lockup it tried to swallow, an error in
        a __del__ it set off) is the kernel's report; only the caller's own interruptions
        (Ctrl-C, its alarm) pass through, as they would through a system call."""
        saved = _current.enter(self, lm)
        task = self.task
        task.kind = kind
        lm.dirty = True
        outer = task.watchdog
        task.watchdog = watchdog = Watchdog(lm.path, self.lockup_after)
        try:
            result, error = guard.run_module_code(watchdog, fn, *args, task=task)
            if task.ended is not None:  # caught by module code: the task ends all the same
                raise task.ended
            if error is None and watchdog.lockup is None and not watchdog.faults:
                result, error = guard.c_value(kind, result, lm.path)
            if error is not None or watchdog.lockup is not None or watchdog.faults:
                report_fault(self, lm, watchdog, error)
                return None
        finally:
            task.watchdog = outer
            _current.leave(saved)
        if watchdog.forked:
            hint(self, guard.forked_hint(watchdog))
        if task.tasklets and outer is None:  # leaving module code: the softirq runs
            run_tasklets(self)
        check_return_to_user(self)
        return result

    # -- sleeping -------------------------------------------------------------------------
    def schedule(self, channels: tuple[str, ...], timeout: float | None,
                 interruptible: bool) -> str:
        return schedule.sleep(self, channels, timeout, interruptible)

    # -- ending the entry -------------------------------------------------------------------
    def finish(self) -> None:
        """Save every touched module's memory and every used subsystem's state; note whom
        this task woke, to ring them once it has committed."""
        if self.task.wakes:
            wakes, self.task.wakes = self.task.wakes, set()
            if TIMERS_CHANNEL in wakes:
                wakes.discard(TIMERS_CHANNEL)
                self.to_nudge |= woken_by(self, {TIMERS_CHANNEL})
            self.to_ring |= woken_by(self, wakes)
        for lm in list(self.live.values()):
            if lm.dirty:
                namespace.save(self, lm)
        if self.live:
            self.state(ModuleState)  # it saves the state and taints of the modules that ran
        for st in list(self._saving):
            st.save()
        if self.meta_dirty:
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [(key, self.meta[key]) for key in self.meta_dirty])
            self.meta_dirty.clear()
        kept = self.remembered("meta")
        if kept is not None:  # the table is now what this entry holds
            kept["meta"] = self.meta
