"""The Python API over the simulated machine: what `kmod` does, callable from tests and graders.

Each public method is one kernel entry, one transaction. Failures raise `KmodError`s whose
`lines` are exactly what the real tool prints on stderr.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple, TextIO

from kmodsim.errors import InsmodError, Killed, KmodError, ProcError, RmmodError, StoreError
from kmodsim.formats.kmodtools import (
    insmod_strerror,
    rmmod_failed,
    rmmod_in_use,
    rmmod_not_loaded,
)
from kmodsim.formats.kmsg import Record
from kmodsim.kernel.fs import release_files_of_the_dead
from kmodsim.kernel.module import ModuleState, module_name, module_size, storable
from kmodsim.kernel.panic import PanicState, TaskDied
from kmodsim.kernel.printk import PrintkState
from kmodsim.kernel.procfs import BUILTIN_PROC, ProcState
from kmodsim.kernel.softirq import run_timer_softirq
from kmodsim.kernel.time import TimeState
from kmodsim.kernel.timer import TimerState
from kmodsim.runtime.entry import KernelEntry
from kmodsim.runtime.namespace import keep
from kmodsim.runtime.schedule import machine_key, release_sigint, ring_woken
from kmodsim.startup import resume_gc
from kmodsim.store import Store, wipe

if TYPE_CHECKING:
    from kmodsim.files import SimulatedFile


class ModuleInfo(NamedTuple):
    name: str
    size: int
    refcnt: int
    holders: list[str]
    state: str
    taints: str


class Machine:
    def __init__(self, home: str | os.PathLike[str] | None = None,
                 console: TextIO | None = None, uid: int = 1000) -> None:
        resume_gc()  # kmod paused it for its start-up; module code may run from now on
        self.store = Store(home)
        self.console = console  # where the kernel console shows urgent messages (stderr)
        self.uid = uid  # who the calls run as: 0 is root (kmod sh), 1000 a user
        self.comm = "sh"  # the name of the program making the calls, for the kernel's reports
        self.key = machine_key(self.store.path)  # its sleeping tasks' doorbells

    @contextmanager
    def as_program(self, comm: str) -> Iterator[Machine]:
        """Calls made inside run as program `comm` (`Comm: cat` in an Oops)."""
        saved, self.comm = self.comm, comm
        try:
            yield self
        finally:
            self.comm = saved

    def close(self) -> None:
        self.store.close()

    @contextmanager
    def _kernel(self, allow_panicked: bool = False, timers: bool = True
                ) -> Iterator[KernelEntry]:
        """Enter the kernel: one transaction; an Oops still commits, then reports `Killed`.
        Due timers fire first (`timers`), unless the kernel has panicked."""
        died: TaskDied | None = None
        result: KmodError | None = None
        task = None
        try:
            with self.store.transaction() as db:
                k = KernelEntry(db, self.comm, self.uid, self.key, self.store.remembered())
                task = k.task
                panicked = k.state(PanicState).panicked
                if panicked and not allow_panicked:
                    raise KmodError(f"kmod: the kernel has panicked ({panicked}); only "
                                    f"`kmod dmesg` and `kmod reboot` work until you run "
                                    f"`kmod reboot`")
                try:
                    if timers and not panicked:
                        release_files_of_the_dead(k)
                        run_timer_softirq(k)
                    yield k
                except TaskDied as e:
                    died = e
                except KmodError as e:
                    if not e.is_result:
                        k.forget_all()
                        raise
                    result = e  # committed below, then raised
                except BaseException:
                    k.forget_all()  # rolled back: no module namespace may outlive the entry
                    raise
                try:
                    k.finish()
                finally:
                    ran = k.forget_all()
            keep(ran, k.codes)  # committed: this process may go on with these namespaces
            ring_woken(k)  # committed: the tasks it woke may run
            if self.console is not None:
                lines = k.state(PrintkState).console_lines()
                if lines:
                    self.console.write("".join(lines))
                    self.console.flush()
            if task.sigint_held:  # return to user space: a Ctrl-C held back arrives now
                try:
                    release_sigint(task)
                except KeyboardInterrupt:
                    task.signal_pending = True
            if died is not None:
                raise Killed(died.signal, report=_fatal_report(k.state(PrintkState).logged))
            if task.signal_pending:  # Ctrl-C during a sleep: delivered on return to user space
                raise KeyboardInterrupt
            if result is not None:
                raise result
        finally:
            if task is not None and task.sigint_held:  # an error ended it: SIGINT as it was
                release_sigint(task)

    def kthreads(self) -> list[tuple[int, str, str]]:
        """(pid, name, module) of each kernel thread running now, the workqueues' worker
        included (module ''); pid 0: still starting."""
        from kmodsim.kernel.kthread import KthreadState
        from kmodsim.kernel.workqueue import WORKER_COMM, WorkState

        with self._look() as k:
            threads = k.state(KthreadState).listing()
            worker = k.state(WorkState)
            if worker.worker and worker.worker_alive():
                threads.append((int(worker.worker.get("pid", 0)), WORKER_COMM, ""))
        return threads

    def run_kthread(self, tid: int) -> None:
        """Be kthread `tid` of this machine until its function returns (the body of the
        process kmodsim.kthreadd starts)."""
        from kmodsim.kernel.kthread import run_kthread
        from kmodsim.kernel.workqueue import run_worker

        with self._kernel() as k:
            if tid == 0:
                run_worker(k)  # 0: the workqueues' worker
            else:
                run_kthread(k, tid)

    def _look(self):  # type: ignore[no-untyped-def]
        """A look at the machine that runs no module code (lsmod, proc ls)."""
        return self._kernel(timers=False)

    # -- insmod / rmmod --------------------------------------------------------------------
    def insmod(self, path: str, args: list[str] | tuple[str, ...] = (),
               typed: str | None = None) -> None:
        """insmod PATH ARGS; messages name the file as `typed` (default: PATH)."""
        from kmodsim.runtime.loader import STILL_LOADING, load_module

        image = load_module(typed or path, path)
        while True:
            with self._kernel() as k:
                error = image.insert(k, list(args))
            if error is not STILL_LOADING:
                break
            # A module of that name is still in its init (an Oops there leaves it so for
            # good): the kernel waits, interruptibly, for it to finish; so does this, outside
            # the store, until it is gone or live (kmod reboot, Ctrl-C).
            time.sleep(0.2)
        if error is not None:
            raise error

    def rmmod(self, target: str, force: bool = False) -> None:
        """rmmod TARGET (a name, or a module file): unless forced, first the in-use check
        rmmod makes from /sys/module, then the delete_module system call."""
        from kmodsim.kernel.modload import (  # (rmmod's alone: start-up)
            delete_module,
            force_out_if_unloadable,
        )

        name = storable(module_name(target))
        if force:  # a module the store can't load goes before a due timer could run it
            with self._kernel(timers=False) as k:
                if force_out_if_unloadable(k, name):
                    return
        with self._kernel() as k:
            row = k.state(ModuleState).row(name)
            if not force:
                if row is None:
                    raise rmmod_not_loaded(name)
                if k.state(ModuleState).refcnt(name) > 0:
                    raise rmmod_in_use(name, k.state(ModuleState).holders(name))
            err = delete_module(k, name, force)
            if err:
                raise rmmod_failed(name, target, err)

    # -- lsmod and /proc/modules --------------------------------------------------------
    def modules(self) -> list[ModuleInfo]:
        """Loaded modules, newest first (the order of /proc/modules)."""
        with self._look() as k:
            state = k.state(ModuleState)
            rows = [(*row, state.holders(row[0])) for row in state.listing()]
        return [ModuleInfo(n, s, r, users, st, t) for n, s, r, st, t, _, users in rows]

    def module_path(self, name: str) -> str | None:
        with self._look() as k:
            row = k.state(ModuleState).row(storable(name))
        return None if row is None else row[0]

    # -- /proc ---------------------------------------------------------------------------
    def proc_list(self) -> list[str]:
        with self._look() as k:
            paths = k.state(ProcState).paths()
        return sorted(set(paths) | BUILTIN_PROC)

    def proc_read(self, path: str, nonblock: bool = False) -> bytes:
        """`cat /proc/PATH`: read calls until 0. ProcError carries what was read before it.
        `nonblock`: opened O_NONBLOCK (a handler that would sleep says -EAGAIN)."""
        from kmodsim.kernel.fs import proc_path

        return self.read_file(proc_path(path), nonblock)

    def proc_write(self, path: str, data: bytes) -> int:
        """`echo DATA > /proc/PATH` (DATA already with its newline): one open, writes, close."""
        from kmodsim.kernel.fs import proc_path

        return self.write_file(proc_path(path), data)

    # -- any simulated file: /proc, /dev, /sys, /sys/kernel/debug -----------------------------
    def read_file(self, path: str, nonblock: bool = False) -> bytes:
        """`cat PATH`: read calls until 0 (ProcError carries what was read before it)."""
        import kmodsim.coreutils as coreutils  # (`from kmodsim import` runs importlib code)
        from kmodsim.kernel.fs import normalize

        with self._kernel() as k:
            return coreutils.cat(k, normalize(path), nonblock)

    def write_file(self, path: str, data: bytes) -> int:
        """`echo DATA > PATH` (DATA already with its newline): one open, writes, close."""
        import kmodsim.coreutils as coreutils  # (`from kmodsim import` runs importlib code)
        from kmodsim.kernel.fs import normalize

        with self._kernel() as k:
            return coreutils.echo(k, normalize(path), data)

    def ioctl(self, path: str, cmd: int, arg: int | bytes | bytearray = 0) -> int:
        """open(PATH, O_RDONLY), ioctl(fd, CMD, ARG), close: the ioctl's return value
        (ProcError for -errno). A bytearray `arg` gets what the handler wrote to it."""
        with self.open(path, "rb") as f:
            return f.ioctl(cmd, arg)

    def list_dir(self, path: str) -> list[str] | None:
        """The names in simulated directory PATH, sorted; None if it is not one. A directory
        the user may not read (or search the way to) is ProcError EACCES."""
        from kmodsim.kernel import vfs
        from kmodsim.kernel.fs import normalize, stat_dir

        with self._look() as k:
            full = normalize(path)
            if not stat_dir(k, full):
                return None
            return vfs.listdir(k, full)

    def stat(self, path: str) -> tuple[int, int, int, int] | None:
        """(mode, uid, gid, size) of simulated PATH, or None if there is no such file."""
        from kmodsim.kernel import vfs
        from kmodsim.kernel.fs import normalize

        with self._look() as k:
            node = vfs.lookup(k, normalize(path))
        return None if node is None else (node.mode, node.uid, node.gid, node.size)

    def open(self, path: str, mode: str = "r", nonblock: bool = False) -> SimulatedFile:
        """A user program's open() of a simulated file (see kmodsim.userspace); `nonblock`:
        O_NONBLOCK. While it is open, the module that serves it is in use."""
        from kmodsim.files import SimulatedFile

        return SimulatedFile(self, path, mode, nonblock)

    # -- the ring buffer -------------------------------------------------------------------
    def log_records(self, after_seq: int | None = None) -> list[Record]:
        self.run_timers()  # what the timers would have logged by now is part of the log
        with self._kernel(allow_panicked=True, timers=False) as k:
            return k.state(PrintkState).records_after(after_seq)

    def clear_log(self) -> None:
        with self._kernel(allow_panicked=True, timers=False) as k:
            k.state(PrintkState).clear()

    def read_clear_log(self) -> list[Record]:
        with self._kernel(allow_panicked=True, timers=False) as k:
            printk = k.state(PrintkState)
            records = printk.records_after(None)
            printk.clear()
        return records

    def boot_time(self) -> float:
        with self._kernel(allow_panicked=True, timers=False) as k:
            return k.state(TimeState).boot_time

    def set_console_level(self, level: int) -> None:
        with self._kernel(allow_panicked=True) as k:
            k.state(PrintkState).set_var("console_loglevel", int(level))

    def set_console_enabled(self, on: bool) -> None:
        with self._kernel(allow_panicked=True) as k:
            k.state(PrintkState).set_var("console_enabled", int(bool(on)))

    def run_timers(self) -> None:
        """Fire the timers that are due (every kernel entry does; this is one that does
        nothing else). Cheap when none is armed."""
        with self._kernel(allow_panicked=True, timers=False) as k:
            if k.state(PanicState).panicked or not k.state(TimerState).armed:
                return
        try:
            with self._kernel(allow_panicked=True):
                pass
        except Killed:
            pass  # a timer took the kernel down: the log says so; this reader goes on

    def advance_clock(self, seconds: float) -> None:
        """Move the simulated clock forward (tests: timers become due without waiting)."""
        with self._kernel(allow_panicked=True, timers=False) as k:
            k.state(TimeState).advance(seconds)

    def tainted(self) -> int:
        with self._kernel(allow_panicked=True, timers=False) as k:
            return k.state(ModuleState).taint

    # -- the machine as a whole ----------------------------------------------------------
    def reboot(self, reset: bool = False, log_buf_len: int | str | None = None) -> None:
        """A fresh boot: no modules, empty ring buffer, clock at zero (`reset`: new store,
        once the store is known to be ours). `log_buf_len` sizes the ring buffer as the boot
        parameter of that name does: bytes, or the kernel's notation (`1M`, `64K`), capped
        at 2 GiB and rounded up to a power of two; smaller than the default is allowed."""
        from kmodsim.kernel.printk import boot_log_buf, log_buf_len_update, memparse

        if isinstance(log_buf_len, str):
            parsed = memparse(log_buf_len)
            if parsed is None:
                raise ValueError(f"log_buf_len: {log_buf_len!r} is not a size")
            log_buf_len = parsed
        from kmodsim.runtime.schedule import end_boot, ring

        if reset:
            try:  # the boot's tasks end with it, while the store still says which they are
                with self.store.transaction() as db:
                    sleepers = end_boot(KernelEntry(db))
                ring(self.key, sleepers)
            except StoreError:
                pass  # a store past reading (what --reset is for): its tasks can't go on
            self.store.reset()
        with self.store.transaction() as db:
            sleepers = end_boot(KernelEntry(db))  # its kthreads and sleeping commands too
            wipe(db)
            k = KernelEntry(db)
            k.state(TimeState)  # the clock starts again
            if log_buf_len is not None:
                boot_log_buf(k, *log_buf_len_update(int(log_buf_len)))
            k.finish()
        ring(self.key, sleepers)  # they wake in the new boot, and end
        if self.console is not None:
            lines = k.state(PrintkState).console_lines()
            if lines:
                self.console.write("".join(lines))
                self.console.flush()

def _fatal_report(records: list) -> object:
    """The report that killed the task: the last one this entry logged that says so."""
    from kmodsim.formats.reports import find_reports

    reports = find_reports(records)
    fatal = [r for r in reports if r.killed or r.panicked]
    return (fatal or reports or [None])[-1]


__all__ = ["Machine", "ModuleInfo", "InsmodError", "RmmodError", "ProcError", "Killed",
           "KmodError", "insmod_strerror", "module_name", "module_size"]
