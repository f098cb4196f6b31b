"""Kernel threads (include/linux/kthread.h, kernel/kthread.c): a function of the module that
runs as a task of its own, beside the commands, until it returns or kthread_stop() asks it to.

Each kthread is a process of its own, started on demand once the task that created it has
committed (so it sees what its creator did), and gone when its function returns: when no
kthread exists, no kmodsim process runs. It is a task like any command: it runs without
interruption until it sleeps, and its sleeps let the others run. The creator holds a
`task_struct` (module memory); which threads exist, their pids, whether they were woken or
asked to stop and what they returned is this subsystem's state for the boot.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.errno import EINTR, ENOMEM
from kmodsim.kernel.panic import TaskDied
from kmodsim.kernel.pidns import own_pid, task_key
from kmodsim.kernel.sched import is_kthread_process, kthread_channel, wait_on, wake
from kmodsim.kernel.time import HZ

TASK_RUNNING, TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE = 0x0, 0x1, 0x2
TASK_COMM_LEN = 16
MAX_SCHEDULE_TIMEOUT = 0x7FFFFFFFFFFFFFFF
START_GRACE = 30.0  # seconds a new thread's process may take to say its pid


class task_struct:
    """A kthread as its creator holds it: `kthread_stop(t)`, `t.pid`, `t.comm`."""

    __slots__ = ("tid", "comm")

    def __init__(self, tid: int, comm: str) -> None:
        self.tid = tid
        self.comm = comm

    @property
    def pid(self) -> int:
        record = _threads().get(self.tid)
        return record["pid"] if record else 0

    def __repr__(self) -> str:
        return f"<task_struct {self.comm}>"


class KthreadExit(TaskDied):
    """kthread_complete_and_exit() leaving the thread function from where it is."""

    def __init__(self, code: int) -> None:
        super().__init__(0)
        self.code = code


class KthreadState(State):
    """The kthreads of the boot: tid -> {module, comm, pid, woken, stop, result, done}."""

    PREFIX = "kthread"

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.threads: dict[str, dict] = json.loads(str(self.var("threads", "{}")))

    def get(self, tid: int) -> dict | None:
        return self.threads.get(str(tid))

    def _store(self) -> None:
        self.set_var("threads", json.dumps(self.threads))

    def add(self, module: str, comm: str) -> int:
        tid = self.int_var("next_id", 1)
        self.set_var("next_id", tid + 1)
        self.threads[str(tid)] = {"module": module, "comm": comm, "pid": 0, "woken": False,
                                  "stop": False, "result": None, "done": False,
                                  "since": time.time()}
        self._store()
        return tid

    def update(self, tid: int, **fields: object) -> None:
        record = self.threads.get(str(tid))
        if record is not None:
            record.update(fields)
            self._store()

    def drop(self, tid: int) -> None:
        if self.threads.pop(str(tid), None) is not None:
            self._store()

    def pids(self) -> list[int]:
        """The processes of the threads still running (for reboot), of this pid namespace
        (another's pid names some other process here)."""
        own = (own_pid(thread_task(r)) for r in self.threads.values()
               if r["pid"] and not r["done"] and is_kthread_process(thread_task(r)))
        return [pid for pid in own if pid is not None]

    def listing(self) -> list[tuple[int, str, str]]:
        """(pid, comm, module) of each thread that has not ended."""
        return [(r["pid"], r["comm"], r["module"]) for r in self.threads.values()
                if not r["done"] and running(r)]


def thread_task(record: dict) -> str:
    """A thread's process as records name it (pidns.task_key; `pid` alone in a record an
    older kmodsim made)."""
    return str(record.get("task", record["pid"]))


def running(record: dict) -> bool:
    """Whether the thread's process runs, or may still be starting."""
    if record["pid"]:
        return is_kthread_process(thread_task(record))
    return time.time() - float(record.get("since", 0)) < START_GRACE


def _threads() -> KthreadState:
    return _current.entry().state(KthreadState)


def _exit_channel(tid: int) -> str:
    return f"kthread-exit:{tid}"


def kthread_create(threadfn: Callable, data: object, namefmt: str, *args: object
                   ) -> task_struct | int:
    """A new kthread running `threadfn(data)` once woken (wake_up_process); its name is
    namefmt % args, cut to 15 characters as the kernel's comm. -ENOMEM if `threadfn` is not
    a function of the module."""
    from kmodsim.kernel.cformat import format_c

    k = _current.entry()
    lm = _current.module()
    if lm is None or not callable(threadfn):
        return -ENOMEM
    comm = (format_c(namefmt, args) if args else namefmt)[:TASK_COMM_LEN - 1]
    tid = k.state(KthreadState).add(lm.name, comm)
    lm.objects_of("kthread")[tid] = (threadfn, data)
    k.task.spawns.append(tid)  # started once this task commits
    return task_struct(tid, comm)


def wake_up_process(t: task_struct) -> int:
    """Let a kthread made by kthread_create() run (1 if it was asleep, else 0)."""
    k = _current.entry()
    state = k.state(KthreadState)
    record = state.get(t.tid)
    if record is None:
        return 0
    was = not record["woken"]
    state.update(t.tid, woken=True)
    wake(k, kthread_channel(t.tid))
    return int(was)


def kthread_run(threadfn: Callable, data: object, namefmt: str, *args: object
                ) -> task_struct | int:
    """kthread_create() and wake_up_process() at once."""
    t = kthread_create(threadfn, data, namefmt, *args)
    if isinstance(t, task_struct):
        wake_up_process(t)
    return t


def kthread_should_stop() -> bool:
    """True once kthread_stop() was called on the current kthread."""
    k = _current.entry()
    tid = k.task.kthread
    record = k.state(KthreadState).get(tid) if tid else None
    return bool(record and record["stop"])


def kthread_stop(t: task_struct) -> int:
    """Ask the kthread to stop, wake it, and wait until its function returns: what it
    returned, or -EINTR if it never ran."""
    from kmodsim.kernel.debug.atomic_sleep import might_sleep
    from kmodsim.kernel.debug.hung_task import wait_for_completion_of

    k = _current.entry()
    might_sleep(k, "kernel/kthread.c:704")
    state = k.state(KthreadState)
    if state.get(t.tid) is None:
        return -EINTR
    state.update(t.tid, stop=True, woken=True)
    wake(k, kthread_channel(t.tid))

    def ended() -> bool:  # returned, or killed: then it will never say
        record = k.state(KthreadState).get(t.tid)
        return record is None or record["done"] or not running(record)

    wait_for_completion_of(k, ended, _exit_channel(t.tid), "kthread_stop+0x66/0x170",
                           f"kthread_stop() waits for thread {t.comm}, which hasn't "
                           f"returned: its loop must end once kthread_should_stop() is "
                           f"true (kill -9 this command, or kmod reboot, to start over)")
    state = k.state(KthreadState)
    record = state.get(t.tid)
    state.drop(t.tid)
    result = record["result"] if record else None
    return -EINTR if result is None else int(result)


def kthread_complete_and_exit(comp: object, code: int) -> None:
    """complete(comp), then the kthread ends here with `code`."""
    from kmodsim.kernel.completion import complete

    if comp is not None:
        complete(comp)  # type: ignore[arg-type]
    kthread_exit(code)


def kthread_exit(code: int) -> None:
    """The current kthread ends here, returning `code` to kthread_stop()."""
    raise KthreadExit(int(code))


def set_current_state(state: int) -> None:
    """Marks what the next schedule() is: TASK_RUNNING (it returns at once) or a sleep until
    wake_up_process() (TASK_INTERRUPTIBLE: or a signal)."""
    _current.entry().task.state = int(state)


__set_current_state = set_current_state


def schedule() -> None:
    """Give up the CPU: after set_current_state(TASK_*INTERRUPTIBLE), sleep until woken
    (wake_up_process, kthread_stop, or for TASK_INTERRUPTIBLE a signal); otherwise let the
    other tasks run and go on."""
    _sleep_until_woken(None)


def schedule_timeout(timeout: int) -> int:
    """Sleep up to `timeout` jiffies, as schedule() does; the jiffies left (0: it timed out)."""
    return _sleep_until_woken(timeout)


def _sleep_until_woken(timeout: int | None) -> int:
    from kmodsim.kernel.debug.atomic_sleep import might_sleep

    k = _current.entry()
    task = k.task
    state, task.state = task.state, TASK_RUNNING  # set_current_state() holds for one sleep
    might_sleep(k, "kernel/sched/core.c:6772")
    if state == TASK_RUNNING:  # nothing to wait for: others run, then this task goes on
        k.schedule((), 0, False)
        return timeout or 0
    own = kthread_channel(task.kthread) if task.kthread else f"task:{task.pid}"
    seconds = None if timeout is None or timeout >= MAX_SCHEDULE_TIMEOUT else timeout / HZ
    start = time.monotonic()
    wait_on(k, (own,), seconds, interruptible=state == TASK_INTERRUPTIBLE)
    if seconds is None:
        return timeout or 0
    left = seconds - (time.monotonic() - start)
    return max(0, round(left * HZ)) if left > 0 else 0


def schedule_timeout_interruptible(timeout: int) -> int:
    set_current_state(TASK_INTERRUPTIBLE)
    return schedule_timeout(timeout)


def schedule_timeout_uninterruptible(timeout: int) -> int:
    set_current_state(TASK_UNINTERRUPTIBLE)
    return schedule_timeout(timeout)


def run_kthread(k: Kernel, tid: int) -> None:
    """The body of a kthread's process: wait to be woken, run the thread function in its
    module, and record what it returned for kthread_stop()."""
    task = k.task
    task.kthread, task.uid, task.pid = tid, 0, os.getpid()
    record = k.state(KthreadState).get(tid)
    if record is None or record["done"]:  # its creator's work was undone, or it ran
        return
    task.comm = record["comm"]
    k.state(KthreadState).update(tid, pid=task.pid, task=task_key(task.pid))
    while not record["woken"]:  # TASK_UNINTERRUPTIBLE until wake_up_process()
        wait_on(k, (kthread_channel(tid),), None, interruptible=False)
        record = k.state(KthreadState).get(tid)
        if record is None:
            return
    result = -EINTR  # what kthread_stop() says of a thread stopped before it ran
    if not record["stop"]:
        try:
            lm = k.module(record["module"])
        except KeyError:  # its module is gone: kthread_stop() says it never ran
            lm = None
        if lm is not None:
            threadfn, data = lm.objects_of("kthread")[tid]
            try:
                returned = k.call(lm, "kthread", threadfn, data)
                result = 0 if returned is None else returned
            except KthreadExit as e:
                result = e.code
            finally:
                _ended(k, tid, result)
            return
    _ended(k, tid, result)


def _ended(k: Kernel, tid: int, result: object) -> None:
    k.state(KthreadState).update(tid, done=True,
                                 result=result if isinstance(result, int) else 0)
    wake(k, _exit_channel(tid))
