"""The state files this process's connections have open, and what a fork does to them.

POSIX locks belong to a process, not to a descriptor or a connection, and SQLite's locks on
the state file are POSIX locks:
- Closing any descriptor of a file drops every lock the process holds on it, those of every
  SQLite connection in the process included. So the store opens a file with a descriptor of
  its own (to check its header) only while no connection here has that file open.
- A forked child holds none of its parent's locks, yet SQLite's record of which locks are
  held is copied into it: a connection the child opened would believe it holds locks that
  no one holds, and its writes would race other processes'. So before a fork every idle
  connection is closed (it opens again on next use), and the child never uses one that was
  busy (module code that forks mid-command: that child ends at once).
"""

from __future__ import annotations

import _thread
import _weakref  # the C module: `weakref` costs every command half a millisecond
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmodsim.store import Store

FileId = tuple[int, int]  # (device, inode)

# Held while a connection is made or closed: a thread must not check a file's header in the
# moment between another thread's connection taking its lock and being counted. Re-entrant:
# a Store dropped without close() may be counted out by the garbage collector at any time.
_lock = _thread.RLock()
_in_use: dict[FileId, int] = {}  # file -> connections of this process open on it
_open: dict[_weakref.ReferenceType, FileId] = {}  # each Store with a connection -> its file


def lock() -> _thread.RLock:
    return _lock


def in_use(file_id: FileId) -> bool:
    return bool(_in_use.get(file_id))


def opened(store: Store, file_id: FileId) -> _weakref.ReferenceType:
    """`store` opened a connection on the file; what closed() takes when it is closed (or
    the store is dropped without closing it: its connection goes with it)."""
    ref = _weakref.ref(store, closed)
    with _lock:
        _open[ref] = file_id
        _in_use[file_id] = _in_use.get(file_id, 0) + 1
    return ref


def closed(ref: _weakref.ReferenceType) -> None:
    with _lock:
        file_id = _open.pop(ref, None)
        if file_id is not None:
            _in_use[file_id] -= 1


def _stores() -> list[Store]:
    return [store for store in (ref() for ref in list(_open)) if store is not None]


def _before_fork() -> None:
    for store in _stores():
        store.close_if_idle()


def _after_fork_in_child() -> None:
    global _lock
    _lock = _thread.RLock()  # another thread may have held it at the fork
    for store in _stores():
        store.forget_connection()


os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
