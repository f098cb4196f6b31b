"""Workqueues (include/linux/workqueue.h, kernel/workqueue.c): work handed to a kernel worker
that runs it later, in process context (it may sleep).

The worker is a kthread of its own (`kworker/0:1`), started on demand when work is queued
and none runs, and gone once nothing is queued: when no work is pending, no kmodsim process
runs. It takes items in the order they became due, one at a time, and lets other tasks run
between them. Work objects are module memory (each module's `work` objects, by handle); the
queue, what runs now and the worker's pid are this subsystem's state for the boot.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.module import ModuleState
from kmodsim.kernel.panic import code_gone
from kmodsim.kernel.pidns import task_key
from kmodsim.kernel.sched import is_kthread_process, wait_on, wake
from kmodsim.kernel.time import HZ, TimeState

WQ_UNBOUND, WQ_FREEZABLE, WQ_MEM_RECLAIM, WQ_HIGHPRI = 1 << 1, 1 << 2, 1 << 3, 1 << 4
WQ_CPU_INTENSIVE, WQ_SYSFS, WQ_POWER_EFFICIENT = 1 << 5, 1 << 6, 1 << 7
WORKER_COMM = "kworker/0:1"
QUEUE_CHANNEL = "workqueue"  # the worker sleeps on it while nothing is due
WORKER_START_GRACE = 10.0  # seconds a worker being started may take to say its pid


class work_struct:
    """struct work_struct: the function to run, given the work itself (container_of() finds
    the struct it is part of)."""

    __slots__ = ("func", "wid", "dwork")

    def __init__(self, func: Callable | None = None) -> None:
        self.func = func
        self.wid = 0  # the kernel's handle on it (0: never initialised)
        self.dwork: delayed_work | None = None  # the delayed_work it is part of, if any

    def __repr__(self) -> str:
        return f"<work_struct {self.wid}>"


class delayed_work:
    """struct delayed_work: a work_struct queued once a delay has passed (`.work`)."""

    __slots__ = ("work",)

    def __init__(self, func: Callable | None = None) -> None:
        self.work = work_struct(func)
        self.work.dwork = self


class workqueue_struct:
    __slots__ = ("name", "flags", "max_active")

    def __init__(self, name: str, flags: int = 0, max_active: int = 0) -> None:
        self.name = name
        self.flags = flags
        self.max_active = max_active

    def __repr__(self) -> str:
        return f"<workqueue_struct {self.name}>"


system_wq = workqueue_struct("events")
system_long_wq = workqueue_struct("events_long")
system_unbound_wq = workqueue_struct("events_unbound", WQ_UNBOUND)
system_highpri_wq = workqueue_struct("events_highpri", WQ_HIGHPRI)


class WorkState(State):
    """The queue ([handle, module, workqueue, due usec since boot, the module's load_order]
    in queueing order), the handle running now, and the worker's pid."""

    PREFIX = "workqueue"

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.queue: list[list] = json.loads(str(self.var("queue", "[]")))
        self.running = self.int_var("running")
        self.worker: dict = json.loads(str(self.var("worker", "{}")))

    def _store(self) -> None:
        self.set_var("queue", json.dumps(self.queue))
        self.set_var("running", self.running)
        self.set_var("worker", json.dumps(self.worker))

    def queued(self, wid: int) -> bool:
        return any(item[0] == wid for item in self.queue)

    def add(self, wid: int, module: str, wq: str, due: int, instance: int) -> None:
        self.queue.append([wid, module, wq, due, instance])
        self._store()

    def remove(self, wid: int) -> bool:
        kept = [item for item in self.queue if item[0] != wid]
        removed = len(kept) != len(self.queue)
        self.queue = kept
        if removed:
            self._store()
        return removed

    def due_now(self, wid: int, now: int) -> bool:
        """A pending delay ends now: the work is due at once. Whether it was queued."""
        for item in self.queue:
            if item[0] == wid:
                item[3] = min(item[3], now)
                self._store()
                return True
        return False

    def busy(self, wid: int) -> bool:
        """Queued, or running on a worker that is alive."""
        return self.queued(wid) or (self.running == wid and self.worker_alive())

    def wq_busy(self, wq: str, now: int, delayed_too: bool) -> bool:
        running = [item for item in self.queue if item[2] == wq
                   and (delayed_too or item[3] <= now)]
        return bool(running) or (self.running_wq() == wq and self.worker_alive())

    def running_wq(self) -> str:
        return str(self.worker.get("wq", "")) if self.running else ""

    def worker_task(self) -> str:
        """The worker's process as records name it (pidns.task_key); "" if it has none."""
        pid = int(self.worker.get("pid", 0))
        return str(self.worker.get("task", pid)) if pid else ""

    def worker_alive(self) -> bool:
        task = self.worker_task()
        if task:
            return is_kthread_process(task)
        return time.time() - float(self.worker.get("since", 0)) < WORKER_START_GRACE

    def need_worker(self) -> bool:
        """True if a worker must be started (and marks it being started)."""
        if self.worker and self.worker_alive():
            return False
        self.worker = {"pid": 0, "since": time.time()}
        self.running = 0
        self._store()
        return True

    def take_due(self, now: int) -> list | None:
        due = [item for item in self.queue if item[3] <= now]
        if not due:
            return None
        item = min(due, key=lambda i: i[3])
        self.queue.remove(item)
        self.running = item[0]
        self.worker["wq"] = item[2]
        self._store()
        return item

    def done(self) -> None:
        self.running = 0
        self._store()


def _state() -> WorkState:
    return _current.entry().state(WorkState)


def _now(k: Kernel) -> int:
    return k.state(TimeState).wall_usec()


def _register(work: work_struct) -> None:
    k = _current.entry()
    lm = _current.module()
    if not work.wid:
        state = k.state(WorkState)
        work.wid = state.int_var("next_id", 1)
        state.set_var("next_id", work.wid + 1)
    if lm is not None:
        lm.objects_of("work")[work.wid] = work


def INIT_WORK(work: work_struct, func: Callable) -> None:
    work.func = func
    _register(work)


def DECLARE_WORK(func: Callable) -> work_struct:
    """`static DECLARE_WORK(w, fn);` is `w = DECLARE_WORK(fn)`."""
    return work_struct(func)


def INIT_DELAYED_WORK(dwork: delayed_work, func: Callable) -> None:
    dwork.work.dwork = dwork
    INIT_WORK(dwork.work, func)


def DECLARE_DELAYED_WORK(func: Callable) -> delayed_work:
    return delayed_work(func)


def to_delayed_work(work: work_struct) -> delayed_work | None:
    return work.dwork


def alloc_workqueue(fmt: str, flags: int = 0, max_active: int = 0, *args: object
                    ) -> workqueue_struct:
    from kmodsim.kernel.cformat import format_c

    return workqueue_struct(format_c(fmt, args) if args else fmt, flags, max_active)


def create_workqueue(name: str) -> workqueue_struct:
    return alloc_workqueue(name, WQ_MEM_RECLAIM, 1)


def create_singlethread_workqueue(name: str) -> workqueue_struct:
    return alloc_workqueue(name, WQ_UNBOUND | WQ_MEM_RECLAIM, 1)


def _queue(wq: workqueue_struct, work: work_struct, delay_jiffies: int) -> bool:
    k = _current.entry()
    _register(work)
    state = k.state(WorkState)
    if state.queued(work.wid):
        return False  # already pending: queueing it again does nothing
    lm = _current.module()
    state.add(work.wid, lm.name if lm else "", wq.name,
              _now(k) + max(0, int(delay_jiffies)) * 1_000_000 // HZ,
              lm.load_order if lm else 0)
    if state.need_worker():
        k.task.spawns.append(0)  # 0: the worker, started once this task commits
    wake(k, QUEUE_CHANNEL)
    return True


def queue_work(wq: workqueue_struct, work: work_struct) -> bool:
    """Queue `work` on `wq`: True, or False if it was already pending."""
    return _queue(wq, work, 0)


def schedule_work(work: work_struct) -> bool:
    return _queue(system_wq, work, 0)


def queue_delayed_work(wq: workqueue_struct, dwork: delayed_work, delay: int) -> bool:
    """Queue the work once `delay` jiffies have passed."""
    return _queue(wq, dwork.work, delay)


def schedule_delayed_work(dwork: delayed_work, delay: int) -> bool:
    return _queue(system_wq, dwork.work, delay)


def mod_delayed_work(wq: workqueue_struct, dwork: delayed_work, delay: int) -> bool:
    pending = _state().remove(dwork.work.wid) if dwork.work.wid else False
    _queue(wq, dwork.work, delay)
    return pending


def work_pending(work: work_struct) -> bool:
    return bool(work.wid) and _state().queued(work.wid)


def delayed_work_pending(dwork: delayed_work) -> bool:
    return work_pending(dwork.work)


def _wait_until(k: Kernel, busy: Callable[[WorkState], bool], channel: str,
                what: str) -> bool:
    """Sleep (uninterruptibly, as the kernel's flush does) until busy() is false; whether
    there was anything to wait for. Work queued with no worker alive (it was killed) gets a
    new one."""
    from kmodsim.kernel.debug.atomic_sleep import might_sleep
    from kmodsim.kernel.debug.hung_task import wait_for_completion_of

    def idle() -> bool:
        state = k.state(WorkState)
        if not busy(state):
            return True
        if state.queue and state.need_worker():
            k.task.spawns.append(0)  # started once this task commits, as it goes to sleep
        return False

    if idle():
        return False
    might_sleep(k, "kernel/workqueue.c:3066")
    wait_for_completion_of(k, idle, channel, "__flush_work.isra.0+0x16a/0x230",
                           f"{what} waits for work that hasn't finished: a work function "
                           f"that never returns holds it up (kill -9 this command, or "
                           f"kmod reboot, to start over)")
    return True


def flush_work(work: work_struct) -> bool:
    """Wait until `work` has run (if it was queued or running); True if it waited."""
    if not work.wid:
        return False
    return _wait_until(_current.entry(), lambda s: s.busy(work.wid), f"work:{work.wid}",
                       "flush_work()")


def flush_delayed_work(dwork: delayed_work) -> bool:
    k = _current.entry()
    if k.state(WorkState).due_now(dwork.work.wid, _now(k)):
        wake(k, QUEUE_CHANNEL)
    return flush_work(dwork.work)


def flush_workqueue(wq: workqueue_struct) -> None:
    """Wait until every work queued on `wq` (and due) has run."""
    k = _current.entry()
    _wait_until(k, lambda s: s.wq_busy(wq.name, _now(k), False), f"wq:{wq.name}",
                f"flush_workqueue({wq.name})")


def drain_workqueue(wq: workqueue_struct) -> None:
    k = _current.entry()
    _wait_until(k, lambda s: s.wq_busy(wq.name, _now(k), True), f"wq:{wq.name}",
                f"destroy_workqueue({wq.name})")


def flush_scheduled_work() -> None:
    flush_workqueue(system_wq)


def cancel_work_sync(work: work_struct) -> bool:
    """Take `work` off its queue, and wait if it is running: True if it was pending."""
    if not work.wid:
        return False
    k = _current.entry()
    was = k.state(WorkState).remove(work.wid)
    _wait_until(k, lambda s: s.busy(work.wid), f"work:{work.wid}", "cancel_work_sync()")
    return was


def cancel_work(work: work_struct) -> bool:
    return bool(work.wid) and _state().remove(work.wid)


def cancel_delayed_work(dwork: delayed_work) -> bool:
    return cancel_work(dwork.work)


def cancel_delayed_work_sync(dwork: delayed_work) -> bool:
    return cancel_work_sync(dwork.work)


def destroy_workqueue(wq: workqueue_struct) -> None:
    """Run what is queued on `wq`, then it is gone."""
    drain_workqueue(wq)


# -- the worker ------------------------------------------------------------------------------

def run_worker(k: Kernel) -> None:
    """The body of the worker's process: run due work until nothing is queued."""
    task = k.task
    task.uid, task.pid, task.comm, task.kthread = 0, os.getpid(), WORKER_COMM, -1
    state = k.state(WorkState)
    me = task_key(task.pid)
    if state.worker_task() and state.worker_alive() and state.worker_task() != me:
        return  # another worker runs already
    state.worker = {"pid": task.pid, "task": me, "since": time.time()}
    state.running = 0
    state._store()
    while True:
        state = k.state(WorkState)
        now = _now(k)
        item = state.take_due(now)
        if item is None:
            if not state.queue:
                state.worker = {}
                state._store()
                return
            next_due = min(i[3] for i in state.queue)
            wait_on(k, (QUEUE_CHANNEL,), max(0.0, (next_due - now) / 1e6), False)
            continue
        wid, module, wq = item[:3]
        _run(k, wid, module, item[4] if len(item) > 4 else None)
        k.state(WorkState).done()
        wake(k, f"work:{wid}")
        wake(k, f"wq:{wq}")
        k.schedule((), 0, False)  # commit; others run between two items


def _run(k: Kernel, wid: int, module: str, instance: int | None) -> None:
    k.task.kind = "work"
    if not k.state(ModuleState).exists(module, instance):  # removed with its work queued
        code_gone(k, module, 0x150,
                  f"a work item of module {module} ran after the module was removed: its "
                  f"exit must cancel_work_sync() (or flush) every work it queued")
    lm = k.module(module)
    work = lm.objects_of("work").get(wid)
    if work is None or work.func is None:
        return
    k.call(lm, "work", work.func, work)
