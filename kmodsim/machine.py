"""The Python API over the simulated machine: what `kmod` does, callable from tests and graders.

Each public method is one kernel entry, one transaction. Failures raise `KmodError`s whose
`lines` are exactly what the real tool prints on stderr.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple, TextIO

from kmodsim.dmesg.record import Record
from kmodsim.errors import InsmodError, Killed, KmodError, ProcError, RmmodError, strerror
from kmodsim.faults import TaskDied
from kmodsim.kmemleak import report_leaks
from kmodsim.runtime import KernelEntry
from kmodsim.store import Store, meta_get

if TYPE_CHECKING:
    from kmodsim.userspace import ProcFile

# insmod's mod_strerror(): kmod's own words for these, glibc's strerror for the rest
_INSMOD_TEXT = {8: "Invalid module format", 2: "Unknown symbol in module",
                3: "Module has wrong symbol version", 22: "Invalid parameters"}
PAGE = 4096
# KERN_ERR and worse reach the console, as on a distribution kernel booted with `quiet`
CONSOLE_LOGLEVEL_DEFAULT = 4


def insmod_strerror(err: int) -> str:
    return _INSMOD_TEXT.get(err) or strerror(err)


def module_name(arg: str) -> str:
    """What the kernel calls the module in FILE or NAME: stem, '-' becomes '_'."""
    base = os.path.basename(arg)
    for ext in (".py", ".ko"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return base.replace("-", "_")


class ModuleInfo(NamedTuple):
    name: str
    size: int
    refcnt: int
    holders: list[str]
    state: str
    taints: str


class Machine:
    def __init__(self, home: str | os.PathLike[str] | None = None,
                 console: TextIO | None = None) -> None:
        self.store = Store(home)
        self.console = console  # where the kernel console shows urgent messages (stderr)

    def close(self) -> None:
        self.store.close()

    @contextmanager
    def _kernel(self, allow_panicked: bool = False) -> Iterator[KernelEntry]:
        """Enter the kernel: one transaction; an Oops still commits, then reports `Killed`."""
        died = False
        with self.store.transaction() as db:
            k = KernelEntry(db)
            if not allow_panicked:
                _refuse_if_panicked(k.meta("panicked"))
            try:
                if not k.meta("panicked"):
                    k.run_due_timers()
                yield k
            except TaskDied:
                died = True
            except BaseException:
                k.forget_all()  # rolled back: no module namespace may outlive the entry
                raise
            try:
                k.finish()
            finally:
                k.forget_all()
        if self.console is not None and k.logged:
            self._to_console(k)
        if died:
            raise Killed()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A look at the machine that runs no module code (lsmod, proc ls)."""
        with self.store.transaction() as db:
            _refuse_if_panicked(meta_get(db, "panicked"))
            yield db

    def _to_console(self, k: KernelEntry) -> None:
        """The console shows records more urgent than console_loglevel, as they are logged."""
        if not int(k.meta("console_enabled", 1)):  # type: ignore[arg-type]
            return
        level = int(k.meta("console_loglevel", CONSOLE_LOGLEVEL_DEFAULT))  # type: ignore[arg-type]
        out = []
        for r in k.logged:
            if r.level < level:
                sec, usec = divmod(r.ts_usec, 1_000_000)
                prefix = f"[{sec:5d}.{usec:06d}] "
                out.extend(prefix + line + "\n" for line in r.text.split("\n"))
        if out:
            self.console.write("".join(out))  # type: ignore[union-attr]
            self.console.flush()  # type: ignore[union-attr]

    # -- insmod / rmmod --------------------------------------------------------------------
    def insmod(self, path: str, args: list[str] | tuple[str, ...] = ()) -> None:
        from kmodsim.loader import load_module

        image = load_module(path)
        error: KmodError | None = None
        with self._kernel() as k:
            error = image.insert(k, list(args))
        if error is not None:
            raise error

    def rmmod(self, target: str, force: bool = False) -> None:
        name = module_name(target)
        with self._kernel() as k:
            row = k.db.execute("SELECT state, refcnt, has_exit FROM modules WHERE name=?",
                               (name,)).fetchone()
            if row is None:
                raise RmmodError(f"rmmod: ERROR: Module {name} is not currently loaded")
            state, refcnt, has_exit = row
            if refcnt > 0 and not force:
                raise RmmodError(f"rmmod: ERROR: Module {name} is in use")
            lm = k.load(name)
            fn = k.exit_hook(lm)
            if (state != "Live" or fn is None) and not force:
                err = strerror(16)
                raise RmmodError([f"rmmod: ERROR: could not remove '{name}': {err}",
                                  f"rmmod: ERROR: could not remove module {target}: {err}"], 16)
            if force:
                from kmodsim.taint import TAINT_FORCED_RMMOD

                k.add_taint(TAINT_FORCED_RMMOD)
            lm.state = "Unloading"
            if fn is not None and state == "Live":
                k.call(lm, "exit", fn)
            report_leaks(k, lm)
            k.remove_module(name)
            k.set_meta("last_unloaded", name)

    # -- lsmod and /proc/modules --------------------------------------------------------
    def modules(self) -> list[ModuleInfo]:
        """Loaded modules, newest first (the order of /proc/modules)."""
        with self._read() as db:
            rows = db.execute("SELECT name, size, refcnt, state, taints FROM modules "
                              "ORDER BY load_order DESC").fetchall()
        return [ModuleInfo(n, s, r, [], st, t) for n, s, r, st, t in rows]

    # -- /proc ---------------------------------------------------------------------------
    def proc_list(self) -> list[str]:
        from kmodsim.runtime import BUILTIN_PROC

        with self._read() as db:
            paths = [r[0] for r in db.execute("SELECT path FROM proc_entries")]
        return sorted(set(paths) | BUILTIN_PROC)

    def proc_read(self, path: str) -> bytes:
        """`cat /proc/PATH`: read calls until 0. ProcError carries what was read before it."""
        from kmodsim import procio

        path = procio.normalize(path)
        with self._kernel() as k:
            return procio.cat(k, path)

    def proc_write(self, path: str, data: bytes) -> int:
        """`echo DATA > /proc/PATH` (DATA already with its newline): one open, writes, close."""
        from kmodsim import procio

        path = procio.normalize(path)
        with self._kernel() as k:
            return procio.echo(k, path, data)

    def open(self, path: str, mode: str = "r") -> ProcFile:
        """A user program's open() of a /proc file (see kmodsim.userspace)."""
        from kmodsim.userspace import ProcFile

        return ProcFile(self, path, mode)

    # -- the ring buffer -------------------------------------------------------------------
    def log_records(self, after_seq: int | None = None) -> list[Record]:
        self.run_timers()  # what the timers would have logged by now is part of the log
        with self.store.transaction() as db:
            return self._records(db, after_seq)

    @staticmethod
    def _records(db: object, after_seq: int | None) -> list[Record]:
        rows = db.execute(  # type: ignore[attr-defined]
            "SELECT seq, ts_usec, level, facility, cont, caller, text FROM log "
            "WHERE seq > ? ORDER BY seq", (-1 if after_seq is None else after_seq,))
        # Caller ids are kept, but /dev/kmsg shows them only on a kernel built with
        # CONFIG_PRINTK_CALLER, which distribution kernels are not: dmesg's plain layout.
        caller = os.environ.get("KMODSIM_PRINTK_CALLER", "") not in ("", "0")
        return [Record(s, t, lv, tx, fac, bool(c), cl if caller else None)
                for s, t, lv, fac, c, cl, tx in rows]

    def clear_log(self) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM log")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('log_bytes', 0)")

    def read_clear_log(self) -> list[Record]:
        with self.store.transaction() as db:
            records = self._records(db, None)
            db.execute("DELETE FROM log")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('log_bytes', 0)")
        return records

    def boot_time(self) -> float:
        with self._kernel(allow_panicked=True) as k:
            return k.boot_time

    def set_console_level(self, level: int) -> None:
        with self._kernel(allow_panicked=True) as k:
            k.set_meta("console_loglevel", int(level))

    def set_console_enabled(self, on: bool) -> None:
        with self._kernel(allow_panicked=True) as k:
            k.set_meta("console_enabled", int(bool(on)))

    def run_timers(self) -> None:
        """Fire the timers that are due (every kernel entry does; this is one that does
        nothing else). Cheap when none is: a read, no write transaction."""
        with self.store.transaction() as db:
            if meta_get(db, "panicked") or meta_get(db, "timers", "{}") == "{}":
                return
        try:
            with self._kernel(allow_panicked=True):
                pass
        except Killed:
            pass  # a timer took the kernel down: the log says so; this reader goes on

    def advance_clock(self, seconds: float) -> None:
        """Move the simulated clock forward (tests: timers become due without waiting)."""
        with self._kernel(allow_panicked=True) as k:
            k.set_meta("clock_skew_usec", int(k.meta("clock_skew_usec", 0))  # type: ignore[arg-type]
                       + int(seconds * 1_000_000))

    def tainted(self) -> int:
        with self.store.transaction() as db:
            return int(meta_get(db, "taint", 0))  # type: ignore[arg-type]

    # -- the machine as a whole ----------------------------------------------------------
    def reboot(self, reset: bool = False, log_buf_len: int | None = None) -> None:
        """A fresh boot: no modules, empty ring buffer, clock at zero (`reset`: new store).
        `log_buf_len` sizes the ring buffer in bytes, as the boot parameter of that name."""
        if reset:
            self.store.reset()
        with self.store.transaction() as db:
            for table in ("modules", "module_memory", "proc_entries", "log"):
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM meta WHERE key != 'schema_version'")
            db.execute("INSERT INTO meta VALUES ('boot_time', ?)", (time.time(),))
            if log_buf_len is not None:
                db.execute("INSERT INTO meta VALUES ('log_buf_len', ?)", (int(log_buf_len),))

    def module_path(self, name: str) -> str | None:
        with self._read() as db:
            row = db.execute("SELECT path FROM modules WHERE name=?", (name,)).fetchone()
        return None if row is None else row[0]


def _refuse_if_panicked(panicked: object) -> None:
    if panicked:
        raise KmodError(f"kmod: the kernel has panicked ({panicked}); only `kmod dmesg` and "
                        f"`kmod reboot` work until you run `kmod reboot`")


def module_size(code_len: int) -> int:
    """A plausible module size: page-aligned, as current kernels report it."""
    return (code_len + 2 * PAGE + PAGE - 1) // PAGE * PAGE


__all__ = ["Machine", "ModuleInfo", "InsmodError", "RmmodError", "ProcError", "Killed",
           "KmodError", "insmod_strerror", "module_name", "module_size"]
