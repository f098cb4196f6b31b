"""One kernel entry: a command's view of the machine inside its single transaction.

It loads the modules the command touches (executing their stored code and putting their
memory back), runs their hooks under the fault catcher, collects printk records, and at the
end saves memory and log in the same transaction.
"""

from __future__ import annotations

import json
import marshal
import os
import sqlite3
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field

from kmodsim import memory
from kmodsim.dmesg.record import Record
from kmodsim.errors import KmodError
from kmodsim.faults import KernelBug, TaskDied, hint_line, module_frames, oops_lines
from kmodsim.kernel import _current
from kmodsim.kernel.module import EXIT_HOOK, INIT_HOOK
from kmodsim.store import meta_set
from kmodsim.taint import TAINT_DIE, TAINT_WARN, module_flags, taint_text

LOG_BUF_LEN = 128 * 1024
RECORD_OVERHEAD = 16  # bytes a record's descriptor costs in the kernel's ring buffer
LIVE_PREFIX = "kmodsim.live."


@dataclass
class LoadedModule:
    """A module's code executed afresh in this entry, with its memory restored."""

    name: str
    path: str
    state: str
    taints: str
    has_exit: bool
    module: types.ModuleType
    load_order: int = 0
    dirty: bool = field(default=False)

    @property
    def ns(self) -> dict:
        return self.module.__dict__


def _api() -> dict:
    import kmodsim.kernel as api

    return vars(api)


class KernelEntry:
    def __init__(self, db: sqlite3.Connection, comm: str = "kmod") -> None:
        self.db = db
        self.pid = os.getpid()
        self.comm = comm
        self.modules: dict[str, LoadedModule] = {}
        self.records: list[Record] = []
        self._open_record = False  # last record still waits for its continuation
        self._meta: dict[str, object] = dict(db.execute("SELECT key, value FROM meta"))
        self._meta_dirty: set[str] = set()
        if "boot_time" not in self._meta:
            self.set_meta("boot_time", time.time())
        self.hook_kind = ""
        self.held: list[object] = []  # locks this task holds, in order taken
        self.irqs_disabled = 0
        self.hints = os.environ.get("KMODSIM_NO_HINTS", "") in ("", "0")

    # -- machine-wide values -------------------------------------------------------------
    def meta(self, key: str, default: object = None) -> object:
        return self._meta.get(key, default)

    def set_meta(self, key: str, value: object) -> None:
        self._meta[key] = value
        self._meta_dirty.add(key)

    @property
    def boot_time(self) -> float:
        return float(self._meta["boot_time"])  # type: ignore[arg-type]

    def now_usec(self) -> int:
        now = int((time.time() - self.boot_time) * 1_000_000)
        last = int(self.meta("last_usec", 0))  # type: ignore[arg-type]
        if now < last:  # the wall clock stepped back: the kernel's clock never does
            now = last
        self.set_meta("last_usec", now)
        return now

    @property
    def taint(self) -> int:
        return int(self.meta("taint", 0))  # type: ignore[arg-type]

    def add_taint(self, flag: int) -> None:
        self.set_meta("taint", self.taint | (1 << flag))

    def tainted_text(self) -> str:
        return taint_text(self.taint)

    # -- printk ----------------------------------------------------------------------------
    def printk(self, level: int, text: str, cont: bool = False) -> None:
        ends_line = text.endswith("\n")
        if ends_line:
            text = text[:-1]
        if cont and self._open_record and self.records:
            self.records[-1].text += text
        else:
            if level < 0:
                level = 4  # CONFIG_MESSAGE_LOGLEVEL_DEFAULT
            seq = int(self.meta("next_seq", 0))  # type: ignore[arg-type]
            self.set_meta("next_seq", seq + 1)
            self.records.append(Record(seq, self.now_usec(), level, text,
                                       cont=cont, caller=f"T{self.pid}"))
        self._open_record = not ends_line

    def log_lines(self, lines: list[tuple[int, str]]) -> None:
        for level, text in lines:
            self.printk(level, text + "\n")

    def hint(self, text: str) -> None:
        if self.hints:
            self.printk(6, text + "\n")

    # -- modules ---------------------------------------------------------------------------
    def module_row(self, name: str) -> sqlite3.Row | None:
        cur = self.db.execute(
            "SELECT name, path, state, taints, has_exit, load_order, code, memory "
            "FROM modules WHERE name=?", (name,))
        return cur.fetchone()

    def load(self, name: str) -> LoadedModule:
        """The module `name` (must be in the store), its code run and memory restored."""
        if name in self.modules:
            return self.modules[name]
        row = self.module_row(name)
        if row is None:
            raise KeyError(name)
        _, path, state, taints, has_exit, load_order, code, blob = row
        lm = self.instantiate(name, path, marshal.loads(code), state=state, taints=taints,
                              has_exit=bool(has_exit), load_order=load_order)
        if blob is not None:
            lm.ns.update(memory.load(blob))  # type: ignore[arg-type]
        return lm

    def instantiate(self, name: str, path: str, code: types.CodeType, *, state: str,
                    taints: str = "", has_exit: bool = True, load_order: int = 0
                    ) -> LoadedModule:
        """Execute a module's code in a fresh namespace registered as kmodsim.live.NAME."""
        mod = types.ModuleType(LIVE_PREFIX + name)
        mod.__file__ = path
        mod.__dict__["__kmod_source__"] = path
        sys.modules[mod.__name__] = mod
        lm = LoadedModule(name, path, state, taints, has_exit, mod, load_order)
        self.modules[name] = lm
        saved = _current.enter(None, lm)
        try:
            exec(code, mod.__dict__)
        finally:
            _current.leave(saved)
        from kmodsim.kernel.locking import _Lock

        for var, value in mod.__dict__.items():  # lockdep names a lock after its variable
            if isinstance(value, _Lock) and not value.name:
                value.name = var
        return lm

    def forget(self, name: str) -> None:
        self.modules.pop(name, None)
        sys.modules.pop(LIVE_PREFIX + name, None)

    def save(self, lm: LoadedModule) -> None:
        blob = memory.dump(lm.name, memory.memory_of(lm.ns, _api()))
        self.db.execute("UPDATE modules SET memory=?, state=?, taints=? WHERE name=?",
                        (blob, lm.state, lm.taints, lm.name))

    def init_hook(self, lm: LoadedModule) -> Callable | None:
        fn = lm.ns.get(INIT_HOOK) or lm.ns.get("init_module")
        return fn if callable(fn) else None

    def exit_hook(self, lm: LoadedModule) -> Callable | None:
        fn = lm.ns.get(EXIT_HOOK) or lm.ns.get("cleanup_module")
        return fn if callable(fn) else None

    def loaded_names(self) -> list[tuple[str, str, str]]:
        """(name, state, taints) of every module, newest first."""
        return self.db.execute(
            "SELECT name, state, taints FROM modules ORDER BY load_order DESC").fetchall()

    def modules_linked_in(self) -> str:
        words = [f"{n}{module_flags(t, s)}" for n, s, t in self.loaded_names()]
        last = self.meta("last_unloaded")
        if last:
            words.append(f"[last unloaded: {last}]")
        return " ".join(words)

    # -- running module code -----------------------------------------------------------------
    def call(self, lm: LoadedModule, kind: str, fn: Callable, *args: object) -> object:
        """Run one hook of module `lm` under the fault catcher."""
        saved = _current.enter(self, lm)
        self.hook_kind = kind
        lm.dirty = True
        try:
            return fn(*args)
        except (KmodError, TaskDied):
            raise
        except Exception as exc:  # noqa: BLE001 - any error in module code is an Oops
            self.oops(lm, exc)
            raise TaskDied() from None
        finally:
            _current.leave(saved)

    def oops(self, lm: LoadedModule, exc: BaseException) -> None:
        frames = module_frames(exc.__traceback__, lm.path)
        number = int(self.meta("oops_count", 0)) + 1  # type: ignore[arg-type]
        self.set_meta("oops_count", number)
        if isinstance(exc, KernelBug):
            self.printk(3, f"BUG: {exc}\n")
        self.log_lines(oops_lines(self, exc, lm.name, lm.path, frames, number))
        self.add_taint(TAINT_DIE)
        self.hint(hint_line(exc, frames))

    def warn(self, lm: LoadedModule | None, message: str) -> None:
        """WARN(): a report with a trace; the code goes on."""
        self.log_lines([(4, "------------[ cut here ]------------"), (4, message)])
        where = f" [{lm.name}]" if lm else ""
        self.log_lines([
            (4, f"WARNING: CPU: 0 PID: {self.pid} at fs/proc/generic.c:386 "
                f"proc_register+0x11d/0x190{where}"),
            (4, f"Modules linked in: {self.modules_linked_in()}"),
            (4, f"CPU: 0 PID: {self.pid} Comm: {self.comm} {self.tainted_text()}"),
            (4, "---[ end trace 0000000000000000 ]---"),
        ])
        self.add_taint(TAINT_WARN)

    # -- locks (the state lives in the lock object, part of module memory) -----------------
    def lock_acquire(self, lock: object, sleeping: bool) -> None:
        if sleeping:
            self.might_sleep("mutex_lock")
        owner = lock.owner  # type: ignore[attr-defined]
        if owner is not None:
            from kmodsim.faults import KernelBug

            if owner == self.pid:
                raise KernelBug(f"possible recursive locking detected: {lock!r}",
                                kind="deadlock")
            raise KernelBug(f"task {self.comm}:{self.pid} would wait forever for {lock!r}",
                            kind="deadlock")
        lock.owner = self.pid  # type: ignore[attr-defined]
        lock.owner_comm = self.comm  # type: ignore[attr-defined]
        self.held.append(lock)

    def lock_try(self, lock: object) -> bool:
        if lock.owner is not None:  # type: ignore[attr-defined]
            return False
        lock.owner = self.pid  # type: ignore[attr-defined]
        lock.owner_comm = self.comm  # type: ignore[attr-defined]
        self.held.append(lock)
        return True

    def lock_release(self, lock: object) -> None:
        if lock.owner is None:  # type: ignore[attr-defined]
            raise KernelBug(f"bad unlock balance detected: {lock!r} is not locked",
                            kind="unlock")
        lock.owner = None  # type: ignore[attr-defined]
        lock.owner_comm = ""  # type: ignore[attr-defined]
        for i, held in enumerate(self.held):
            if held is lock:
                del self.held[i]
                break

    def local_irq_save(self) -> int:
        flags = 0 if self.irqs_disabled else 0x200  # X86_EFLAGS_IF
        self.irqs_disabled += 1
        return flags

    def local_irq_restore(self, flags: int) -> None:
        self.irqs_disabled = max(0, self.irqs_disabled - 1)

    def might_sleep(self, what: str) -> None:
        """Hook for the atomic-context checks; sleeping is fine when no spinlock is held."""

    # -- procfs ----------------------------------------------------------------------------
    def proc_register(self, pde: object) -> object | None:
        from kmodsim.kernel.procfs import proc_dir_entry

        assert isinstance(pde, proc_dir_entry)
        lm = _current.module()
        pde.owner = lm.name if lm else ""
        where = pde.path
        if pde.parent is not None and not self.db.execute(
                "SELECT 1 FROM proc_entries WHERE path=? AND is_dir=1",
                (pde.parent.path,)).fetchone():
            return None
        if self.db.execute("SELECT 1 FROM proc_entries WHERE path=?", (where,)).fetchone() \
                or where in BUILTIN_PROC:
            shown = f"/proc/{where}" if pde.parent is None else where
            self.warn(lm, f"proc_dir_entry '{shown}' already registered")
            return None
        self.db.execute("INSERT INTO proc_entries VALUES (?, ?, ?, ?, ?)",
                        (where, pde.owner, int(pde.is_dir), pde.mode, self._pde_blob(pde)))
        return pde

    def _pde_blob(self, pde: object) -> bytes:
        import pickle

        try:
            return pickle.dumps(pde, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            raise KernelBug(f"proc entry {pde!r} can't be registered: {e}") from None

    def proc_update(self, pde: object) -> None:
        self.db.execute("UPDATE proc_entries SET data=? WHERE path=?",
                        (self._pde_blob(pde), pde.path))  # type: ignore[attr-defined]

    def proc_unregister(self, where: str, recursive: bool) -> int:
        row = self.db.execute("SELECT is_dir FROM proc_entries WHERE path=?",
                              (where,)).fetchone()
        if row is None:
            self.printk(4, f"remove_proc_entry: /proc/{where} not found\n" if "/" not in where
                        else f"name '{where}'\n")
            return -2
        children = self.db.execute("SELECT path FROM proc_entries WHERE path LIKE ? ESCAPE '\\'",
                                   (_like_prefix(where),)).fetchall()
        if children and not recursive:
            self.printk(4, f"remove_proc_entry: removing non-empty directory '/proc/{where}', "
                           f"leaking at least '{children[0][0].rsplit('/', 1)[-1]}'\n")
        self.db.execute("DELETE FROM proc_entries WHERE path=?", (where,))
        if recursive:
            self.db.execute("DELETE FROM proc_entries WHERE path LIKE ? ESCAPE '\\'",
                            (_like_prefix(where),))
        return 0

    # -- ending the entry -------------------------------------------------------------------
    def finish(self) -> None:
        """Save every touched module's memory and the new log records (same transaction)."""
        for lm in list(self.modules.values()):
            if lm.dirty:
                self.save(lm)
        self.flush_log()
        for key in self._meta_dirty:
            meta_set(self.db, key, self._meta[key])
        self._meta_dirty.clear()
        for name in list(self.modules):
            self.forget(name)

    def flush_log(self) -> None:
        if not self.records:
            return
        rows = [(r.seq, r.ts_usec, r.level, r.facility, int(r.cont), r.caller, r.text)
                for r in self.records]
        self.db.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        used = int(self.meta("log_bytes", 0)) + sum(  # type: ignore[arg-type]
            len(r.text.encode("utf-8", "surrogateescape")) + RECORD_OVERHEAD
            for r in self.records)
        capacity = int(self.meta("log_buf_len", LOG_BUF_LEN))  # type: ignore[arg-type]
        if used > capacity:
            used = self._drop_oldest(used, capacity)
        self.set_meta("log_bytes", used)
        self.records = []

    def _drop_oldest(self, used: int, capacity: int) -> int:
        cut = None
        for seq, text in self.db.execute("SELECT seq, text FROM log ORDER BY seq"):
            if used <= capacity:
                break
            used -= len(text.encode("utf-8", "surrogateescape")) + RECORD_OVERHEAD
            cut = seq
        if cut is not None:
            self.db.execute("DELETE FROM log WHERE seq <= ?", (cut,))
        return used


BUILTIN_PROC = {"modules", "sys", "sys/kernel", "sys/kernel/tainted"}


def _like_prefix(path: str) -> str:
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


def modinfo_json(ns: dict) -> str:
    from kmodsim.kernel.module import MODINFO

    return json.dumps(ns.get(MODINFO, []))

