"""Which kernel, module and task a kernel API call belongs to, and what a subsystem's state is.

The runtime sets the current kernel entry and module for the duration of one hook (init,
exit, a handler); API calls made outside a hook (say, at a module's top level) have no kernel
to talk to. The kernel entry itself is the runtime's; this file says what the kernel layer
may ask of it (`Kernel`), so that no subsystem imports the runtime.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from kmodsim.kernel.module import Module
    from kmodsim.kernel.sched import Task

S = TypeVar("S", bound="State")


class Kernel(Protocol):
    """What a subsystem may ask of the kernel entry it runs in."""

    db: sqlite3.Connection
    task: Task
    meta: dict[str, object]  # the machine-wide values, each subsystem owning a key prefix
    meta_dirty: set[str]  # the keys of `meta` this entry changed
    live: dict[str, Module]  # the modules whose code runs in this entry
    lockup_after: float  # the soft-lockup watchdog's threshold, in seconds

    def state(self, cls: type[S]) -> S:
        """The subsystem state of class `cls` for this entry (made on first use)."""
    def remembered(self, table: str) -> dict | None:
        """This process's earlier reads of `table` that still hold (kmodsim.store.WATCHED
        tables), for the subsystem that owns it to keep and use; None: read the store."""
    def module(self, name: str) -> Module:
        """The loaded module `name`, its code run and memory restored; KeyError if none."""
    def forget(self, name: str) -> None:
        """Drop the module's namespace (it left the kernel, or the entry is undone)."""
    def call(self, lm: Module, kind: str, fn: Callable, *args: object) -> object:
        """Run one hook of `lm` under the fault catcher (an Oops raises TaskDied)."""
    def schedule(self, channels: tuple[str, ...], timeout: float | None,
                 interruptible: bool) -> str:
        """Sleep: commit, let others run, block until woken or timed out, catch up."""


class State:
    """One subsystem's state for the length of a kernel entry: made on first use, given its
    slice of the machine-wide values (keys `PREFIX.name` in the meta table, written back by
    the entry at its end), and asked to save() its own tables then."""

    PREFIX = ""

    def __init__(self, k: Kernel) -> None:
        self.k = k

    def var(self, key: str, default: object = None) -> object:
        return self.k.meta.get(f"{self.PREFIX}.{key}", default)

    def int_var(self, key: str, default: int = 0) -> int:
        # var() written out: the commonest call of a kernel entry (a dozen per proc write)
        return int(self.k.meta.get(f"{self.PREFIX}.{key}", default))  # type: ignore[call-overload]

    def set_var(self, key: str, value: object) -> None:
        full = f"{self.PREFIX}.{key}"
        self.k.meta[full] = value
        self.k.meta_dirty.add(full)

    def json_var(self, key: str, empty: str = "{}") -> Any:
        """A value kept as JSON text (`empty` when there is none). json is loaded only for
        one that holds something: most commands find these empty, and it costs start-up."""
        raw = self.var(key)
        text = empty if raw is None else str(raw)
        if text == "{}":
            return {}
        if text == "[]":
            return []
        import json

        return json.loads(text)

    def set_json_var(self, key: str, value: object) -> None:
        import json

        self.set_var(key, json.dumps(value))

    def save(self) -> None:
        """Write this entry's changes to the subsystem's tables (same transaction)."""


_entry: Kernel | None = None
_module: Module | None = None


class NoKernelError(RuntimeError):
    pass


def entry() -> Kernel:
    if _entry is None:
        raise NoKernelError(
            "kernel API called outside module code: call it from init, exit or a handler, "
            "and load the module with `kmod insmod`"
        )
    return _entry


def module() -> Module | None:
    return _module


def enter(entry_: Kernel | None, module_: Module | None) -> tuple:
    global _entry, _module
    saved = (_entry, _module)
    _entry, _module = entry_, module_
    return saved


def leave(saved: tuple) -> None:
    global _entry, _module
    _entry, _module = saved
