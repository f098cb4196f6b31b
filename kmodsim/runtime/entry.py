"""One kernel entry: a command's task inside its transaction.

The entry reads the machine-wide values once and gives each subsystem its state on first use
(`state(cls)`), brings in the modules the command touches (their code executed afresh, their
memory restored), runs their hooks under the fault catcher and the watchdog, and at the end
asks every subsystem it used to save, in the same transaction. Subsystems live in
kmodsim.kernel; adding one adds nothing here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from kmodsim.errors import KmodError
from kmodsim.kernel import _current
from kmodsim.kernel._current import State
from kmodsim.kernel.debug.lockdep import check_return_to_user
from kmodsim.kernel.debug.watchdog import Watchdog
from kmodsim.kernel.module import Module, ModuleState
from kmodsim.kernel.panic import (
    KernelFault,
    TaskDied,
    die,
    hint_for_exception,
    oops,
    signal_for,
)
from kmodsim.kernel.printk import hint
from kmodsim.kernel.sched import Task
from kmodsim.kernel.stacktrace import frames_from_traceback
from kmodsim.runtime import namespace

S = TypeVar("S", bound=State)


class KernelEntry:
    """What kmodsim.kernel._current.Kernel describes: the kernel as one task sees it."""

    def __init__(self, db: sqlite3.Connection, comm: str = "sh", uid: int = 1000) -> None:
        self.db = db
        self.task = Task(comm, uid)
        self.meta: dict[str, object] = dict(db.execute("SELECT key, value FROM meta"))
        self.meta_dirty: set[str] = set()
        self.live: dict[str, Module] = {}  # modules whose code runs in this entry
        self._states: dict[type, State] = {}

    def state(self, cls: type[S]) -> S:
        try:
            return self._states[cls]  # type: ignore[return-value]
        except KeyError:
            st = self._states[cls] = cls(self)
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
        lm = self.add(namespace.instantiate(name, path, namespace.code_of(code), state=state,
                                            taints=taints, has_exit=bool(has_exit),
                                            load_order=load_order))
        namespace.restore(lm, blob)
        return lm

    def add(self, lm: Module) -> Module:
        self.live[lm.name] = lm
        return lm

    def forget(self, name: str) -> None:
        """Drop the module's namespace (its memory in the store is untouched)."""
        self.live.pop(name, None)
        namespace.drop(name)

    def forget_all(self) -> None:
        for name in list(self.live):
            self.forget(name)

    # -- running module code -----------------------------------------------------------------
    def call(self, lm: Module, kind: str, fn: Callable, *args: object) -> object:
        """Run one hook of module `lm` under the fault catcher and the watchdog."""
        saved = _current.enter(self, lm)
        task = self.task
        task.kind = kind
        lm.dirty = True
        task.watchdog = watchdog = Watchdog()
        watchdog.arm()
        try:
            result = fn(*args)
        except (KmodError, TaskDied):
            raise
        except KernelFault as fault:
            watchdog.disarm()
            fault.report(self, lm, frames_from_traceback(fault.__traceback__, lm.path))
            if fault.kills:
                die(self, fault.signal)
            return None
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any error in module code is an Oops
            watchdog.disarm()
            frames = frames_from_traceback(exc.__traceback__, lm.path)
            oops(self, exc, lm, frames)
            hint(self, hint_for_exception(exc, frames))
            die(self, signal_for(exc))
        finally:
            watchdog.disarm()
            task.watchdog = None
            _current.leave(saved)
        check_return_to_user(self)
        return result

    # -- ending the entry -------------------------------------------------------------------
    def finish(self) -> None:
        """Save every touched module's memory and every used subsystem's state."""
        for lm in list(self.live.values()):
            if lm.dirty:
                namespace.save(self, lm)
        if self.live:
            self.state(ModuleState)  # it saves the state and taints of the modules that ran
        for st in list(self._states.values()):
            st.save()
        if self.meta_dirty:
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [(key, self.meta[key]) for key in self.meta_dirty])
            self.meta_dirty.clear()
