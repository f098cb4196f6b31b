"""One kernel entry: a command's view of the machine inside its single transaction.

It loads the modules the command touches (executing their stored code and putting their
memory back), runs their hooks under the fault catcher, collects printk records, and at the
end saves memory and log in the same transaction.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
import sys
import time
import types
from collections.abc import Callable
from typing import TYPE_CHECKING

from kmodsim import lockdep, memory
from kmodsim.dmesg.record import Record
from kmodsim.errors import KmodError
from kmodsim.faults import (
    KernelBugFault,
    KernelFault,
    TaskDied,
    dump_stack,
    frames_from_traceback,
    hint_for_exception,
    live_frames,
    module_base,
    oops,
)
from kmodsim.kernel import _current
from kmodsim.kernel.module import EXIT_HOOK, INIT_HOOK
from kmodsim.taint import TAINT_WARN, module_flags, taint_text

if TYPE_CHECKING:
    from kmodsim.kernel.slab import KernelBuffer
    from kmodsim.kernel.timer import timer_list
    from kmodsim.watchdog import Watchdog

LOG_BUF_LEN = 128 * 1024
KMALLOC_BASE = 0xFFFF888104A1C000  # where kmalloc'd objects sit (the direct map)
RECORD_OVERHEAD = 16  # bytes a record's descriptor costs in the kernel's ring buffer
LIVE_PREFIX = "kmodsim.live."


class LoadedModule:
    """A module's code executed afresh in this entry, with its memory restored."""

    __slots__ = ("name", "path", "state", "taints", "has_exit", "module", "load_order",
                 "dirty", "allocs", "timers", "code_names", "stored")

    def __init__(self, name: str, path: str, state: str, taints: str, has_exit: bool,
                 module: types.ModuleType, load_order: int = 0) -> None:
        self.name = name
        self.path = path
        self.state = state
        self.taints = taints
        self.has_exit = has_exit
        self.module = module
        self.load_order = load_order
        self.dirty = False  # ran code this entry: its memory must be saved
        self.allocs: dict[int, KernelBuffer] = {}  # kmalloc'd buffers, by address
        self.timers: dict[int, timer_list] = {}  # timers set up, by kernel handle
        self.code_names: frozenset[str] = frozenset()  # names its code can bind
        self.stored = (state, taints)  # as the modules row has them

    @property
    def ns(self) -> dict:
        return self.module.__dict__


def _api() -> dict:
    import kmodsim.kernel as api

    return vars(api)


_CODE_CACHE: dict[bytes, types.CodeType] = {}


def _code(blob: bytes) -> types.CodeType:
    """A module's compiled code; a process running many commands (batch, the Python API)
    unmarshals each distinct module image once."""
    code = _CODE_CACHE.get(blob)
    if code is None:
        code = _CODE_CACHE[blob] = marshal.loads(blob)
    return code


_NAMES_CACHE: dict[int, tuple[types.CodeType, frozenset[str]]] = {}


def _global_names(code: types.CodeType) -> frozenset[str]:
    cached = _NAMES_CACHE.get(id(code))
    if cached is None or cached[0] is not code:  # (holding the code keeps its id unique)
        cached = _NAMES_CACHE[id(code)] = (code, memory.global_names(code))
    return cached[1]


class KernelEntry:
    def __init__(self, db: sqlite3.Connection, comm: str = "kmod") -> None:
        self.db = db
        self.pid = os.getpid()
        self.comm = comm
        self.modules: dict[str, LoadedModule] = {}
        self.records: list[Record] = []  # logged, not yet written to the store
        self.logged: list[Record] = []  # everything this entry logged (for the console)
        self._open_record = False  # last record still waits for its continuation
        self._meta: dict[str, object] = dict(db.execute("SELECT key, value FROM meta"))
        self._meta_dirty: set[str] = set()
        if "boot_time" not in self._meta:
            self.set_meta("boot_time", time.time())
        self.hook_kind = ""
        self.held: list[lockdep.Held] = []  # locks this task holds, in order taken
        self.irqs_disabled = 0
        self.hints = os.environ.get("KMODSIM_NO_HINTS", "") in ("", "0")
        self.watchdog: Watchdog | None = None  # armed while module code runs
        self.clock_override: int | None = None
        self.in_irq = False  # running a timer callback (softirq: may not sleep)

    # -- machine-wide values -------------------------------------------------------------
    def meta(self, key: str, default: object = None) -> object:
        return self._meta.get(key, default)

    def set_meta(self, key: str, value: object) -> None:
        self._meta[key] = value
        self._meta_dirty.add(key)

    @property
    def boot_time(self) -> float:
        return float(self._meta["boot_time"])  # type: ignore[arg-type]

    def _clock_usec(self) -> int:
        """Microseconds since boot on the (possibly advanced) wall clock; no side effects."""
        skew = int(self.meta("clock_skew_usec", 0))  # type: ignore[arg-type]
        return int((time.time() - self.boot_time) * 1_000_000) + skew

    def now_usec(self) -> int:
        """The kernel clock: never goes back, even if the wall clock does."""
        if self.clock_override is not None:  # a timer catching up runs at its deadline
            return self.clock_override
        now = self._clock_usec()
        last = int(self.meta("last_usec", 0))  # type: ignore[arg-type]
        if now < last:
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
            "SELECT m.name, path, state, taints, has_exit, load_order, code, memory "
            "FROM modules m LEFT JOIN module_memory USING (name) WHERE m.name=?", (name,))
        return cur.fetchone()

    def load(self, name: str) -> LoadedModule:
        """The module `name` (must be in the store), its code run and memory restored."""
        if name in self.modules:
            return self.modules[name]
        row = self.module_row(name)
        if row is None:
            raise KeyError(name)
        _, path, state, taints, has_exit, load_order, code, blob = row
        lm = self.instantiate(name, path, _code(code), state=state, taints=taints,
                              has_exit=bool(has_exit), load_order=load_order)
        if blob is not None:
            variables, lm.allocs, lm.timers = memory.load(blob)  # type: ignore[misc]
            lm.ns.update(variables)
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
        lm.code_names = _global_names(code)
        self.modules[name] = lm
        saved = _current.enter(None, lm)
        try:
            exec(code, mod.__dict__)
        finally:
            _current.leave(saved)
        if state == "Loading":  # fresh from insmod: later loads restore the names with memory
            from kmodsim.kernel.locking import _Lock

            for var, value in memory.memory_of(mod.__dict__, _api(), lm.code_names).items():
                if isinstance(value, _Lock) and not value.name:  # lockdep names it so
                    value.name = var
        return lm

    def forget(self, name: str) -> None:
        self.modules.pop(name, None)
        sys.modules.pop(LIVE_PREFIX + name, None)

    def remove_module(self, name: str) -> None:
        """The module is gone from the kernel: its row and its memory."""
        self.db.execute("DELETE FROM modules WHERE name=?", (name,))
        self.db.execute("DELETE FROM module_memory WHERE name=?", (name,))
        self.forget(name)

    def forget_all(self) -> None:
        for name in list(self.modules):
            self.forget(name)

    def save(self, lm: LoadedModule) -> None:
        variables = memory.memory_of(lm.ns, _api(), lm.code_names)
        blob = memory.dump(lm.name, variables, lm.allocs, lm.timers)
        self.db.execute("INSERT OR REPLACE INTO module_memory VALUES (?, ?)", (lm.name, blob))
        if (lm.state, lm.taints) != lm.stored:
            self.db.execute("UPDATE modules SET state=?, taints=? WHERE name=?",
                            (lm.state, lm.taints, lm.name))

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
        """Run one hook of module `lm` under the fault catcher and the watchdog."""
        from kmodsim.watchdog import Watchdog

        saved = _current.enter(self, lm)
        self.hook_kind = kind
        lm.dirty = True
        self.watchdog = Watchdog()
        self.watchdog.arm()
        try:
            result = fn(*args)
        except (KmodError, TaskDied):
            raise
        except KernelFault as fault:
            self.watchdog.disarm()
            fault.report(self, lm, frames_from_traceback(fault.__traceback__, lm.path))
            if fault.kills:
                self._die_in(kind)
            return None
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any error in module code is an Oops
            self.watchdog.disarm()
            frames = frames_from_traceback(exc.__traceback__, lm.path)
            oops(self, exc, lm, frames)
            self.hint(hint_for_exception(exc, frames))
            self._die_in(kind)
        finally:
            self.watchdog.disarm()
            self.watchdog = None
            _current.leave(saved)
        lockdep.check_return_to_user(self)
        return result

    def _die_in(self, kind: str) -> None:
        """The task dies; in interrupt context (a timer) the whole kernel does."""
        if kind == "timer" and not self.meta("panicked"):
            line = "Kernel panic - not syncing: Fatal exception in interrupt"
            self.log_lines([(0, line), (0, "Kernel Offset: disabled"),
                            (0, f"---[ end {line} ]---")])
            self.set_meta("panicked", line)
        raise TaskDied() from None

    def sleep(self, seconds: float) -> None:
        """The task sleeps: real time passes, and the soft-lockup watchdog is not counting."""
        watchdog = self.watchdog
        if watchdog is not None:
            watchdog.pause()
        try:
            if seconds > 0:
                time.sleep(seconds)
        finally:
            if watchdog is not None:
                watchdog.resume()

    def warn(self, lm: LoadedModule | None, at: str, message: str) -> None:
        """WARN(): `cut here`, the message, where, and a stack dump; the code goes on."""
        frames = live_frames(lm.path) if lm else []
        lines = ["------------[ cut here ]------------", message,
                 f"WARNING: CPU: 0 PID: {self.pid} at {at}",
                 f"Modules linked in: {self.modules_linked_in()}",
                 *dump_stack(self, frames, lm.name if lm else "?", []),
                 "---[ end trace 0000000000000000 ]---"]
        self.log_lines([(4, line) for line in lines])
        self.add_taint(TAINT_WARN)

    def local_irq_save(self) -> int:
        flags = 0 if self.irqs_disabled else 0x200  # X86_EFLAGS_IF
        self.irqs_disabled += 1
        return flags

    def local_irq_restore(self, flags: int) -> None:
        self.irqs_disabled = max(0, self.irqs_disabled - 1)

    # -- kmalloc'd memory ------------------------------------------------------------------
    def slab_alloc(self, buf: KernelBuffer) -> KernelBuffer:
        lm = _current.module()
        frames = live_frames(lm.path) if lm else []
        offset = int(self.meta("kmalloc_offset", 0))  # type: ignore[arg-type]
        self.set_meta("kmalloc_offset", offset + max(64, (len(buf) + 63) // 64 * 64))
        addr = KMALLOC_BASE + offset
        module = lm.name if lm else "?"
        info = buf.__dict__
        info.update(addr=addr, pid=self.pid, comm=self.comm, freed=False,
                    jiffies=self.jiffies(), owner=module,
                    site=frames[0].symbol(module) if frames else "?",
                    site_addr=module_base(module) + (frames[0].offset if frames else 0),
                    where=frames[0].where if frames else "?")
        if lm is not None:
            lm.allocs[addr] = buf
        return buf

    def slab_free(self, buf: object) -> None:
        from kmodsim.kasan import KasanFault
        from kmodsim.kernel.slab import KernelBuffer

        if not isinstance(buf, KernelBuffer):
            raise KasanFault("invalid-free", "free", 0, buf, 0)
        info = buf.__dict__
        if info.get("freed"):
            raise KasanFault("double-free", "free", len(buf), buf, 0)
        lm = _current.module()
        frames = live_frames(lm.path) if lm else []
        info.update(freed=True, free_pid=self.pid,
                    free_site=frames[0].symbol(lm.name) if frames and lm else "?")

    def jiffies(self) -> int:
        from kmodsim.kernel.delay import HZ, INITIAL_JIFFIES

        return (INITIAL_JIFFIES + self.now_usec() * HZ // 1_000_000) & 0xFFFFFFFF

    # -- timers: a registry of armed timers for the boot, the objects in module memory -------
    def _timers(self) -> dict[str, list]:
        import json

        return json.loads(str(self.meta("timers", "{}")))

    def _set_timers(self, timers: dict[str, list]) -> None:
        import json

        self.set_meta("timers", json.dumps(timers))

    def timer_register(self, timer: timer_list) -> None:
        lm = _current.module()
        if not timer.tid:
            timer.tid = int(self.meta("next_timer_id", 1))  # type: ignore[arg-type]
            self.set_meta("next_timer_id", timer.tid + 1)
        if lm is not None:
            lm.timers[timer.tid] = timer

    def timer_arm(self, timer: timer_list) -> int:
        self.timer_register(timer)
        lm = _current.module()
        timers = self._timers()
        was = str(timer.tid) in timers
        timers[str(timer.tid)] = [lm.name if lm else "", timer.expires]
        self._set_timers(timers)
        return int(was)

    def timer_disarm(self, timer: timer_list) -> int:
        timers = self._timers()
        if timers.pop(str(timer.tid), None) is None:
            return 0
        self._set_timers(timers)
        return 1

    def timer_is_pending(self, timer: timer_list) -> bool:
        return str(timer.tid) in self._timers()

    def run_due_timers(self, limit: int = 10_000) -> None:
        """Fire, in deadline order, every timer whose deadline has passed (the softirq)."""
        if not self.meta("timers") or self.meta("timers") == "{}":
            return
        from kmodsim.kernel.delay import HZ, INITIAL_JIFFIES

        now = (INITIAL_JIFFIES + self._clock_usec() * HZ // 1_000_000) & 0xFFFFFFFF
        for _ in range(limit):
            timers = self._timers()
            due = [(exp, int(tid), mod) for tid, (mod, exp) in timers.items()
                   if (now - exp) & 0xFFFFFFFF < 0x80000000]  # time_after_eq, wrap-safe
            if not due:
                return
            expires, tid, module = min(due)
            del timers[str(tid)]
            self._set_timers(timers)
            deadline = ((expires - INITIAL_JIFFIES) & 0xFFFFFFFF) * 1_000_000 // HZ
            self.clock_override = max(deadline, int(self.meta("last_usec", 0)))  # type: ignore[arg-type]
            try:
                self._fire(tid, module)
            finally:
                self.clock_override = None

    def _fire(self, tid: int, module: str) -> None:
        self.hook_kind = "timer"
        if self.module_row(module) is None:  # removed without del_timer_sync()
            from kmodsim.faults import PageFault

            PageFault(module_base(module) + 0x80,
                      f"a timer of module {module} fired after the module was removed: its "
                      f"exit must call del_timer_sync() (timer_delete_sync())"
                      ).report(self, None, [])
            self._die_in("timer")
        lm = self.load(module)
        timer = lm.timers.get(tid)
        if timer is None or timer.function is None:
            return
        self.in_irq = True
        try:
            self.call(lm, "timer", timer.function, timer)
        finally:
            self.in_irq = False

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
            self.warn(lm, "fs/proc/generic.c:386 proc_register+0x11d/0x190",
                      f"proc_dir_entry '{shown}' already registered")
            return None
        self.db.execute("INSERT INTO proc_entries VALUES (?, ?, ?, ?, ?)",
                        (where, pde.owner, int(pde.is_dir), pde.mode, self._pde_blob(pde)))
        return pde

    def _pde_blob(self, pde: object) -> bytes:
        import pickle

        try:
            return pickle.dumps(pde, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            raise KernelBugFault(f"proc entry {pde!r} can't be registered: {e}") from None

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
        if self._meta_dirty:
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [(key, self._meta[key]) for key in self._meta_dirty])
            self._meta_dirty.clear()

    def flush_log(self) -> None:
        if not self.records:
            return
        rows = [(r.seq, r.ts_usec, r.level, r.facility, int(r.cont), r.caller, r.text)
                for r in self.records]
        self.db.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self.logged.extend(self.records)
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
    import json

    from kmodsim.kernel.module import MODINFO

    return json.dumps(ns.get(MODINFO, []))

