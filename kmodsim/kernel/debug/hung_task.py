"""The hung-task detector (kernel/hung_task.c): a task in an uninterruptible wait for longer
than hung_task_timeout_secs gets this report.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.module import tainted_text
from kmodsim.kernel.printk import hint, log_lines
from kmodsim.kernel.sched import wait_on
from kmodsim.kernel.stacktrace import Frame, at, call_trace, live_frames
from kmodsim.kernel.version import KERNEL_IDENT

HUNG_TASK_TIMEOUT = 120.0


def report_hung_task(k: Kernel, lock: object, timeout: float) -> None:
    """This task has waited `timeout` seconds for a mutex: khungtaskd's report, then a hint
    saying who holds it (a live task, one that returned with it held, or one killed)."""
    lm = _current.module()
    frames = live_frames(lm.path) if lm else []
    lines = hung_task_lines(k, frames, lm.name if lm else "?", "mutex", timeout)
    log_lines(k, [(3, line) for line in lines[:3]] + [(6, line) for line in lines[3:]])
    owner = getattr(lock, "owner", None)
    holder = f"task {getattr(lock, 'owner_comm', '') or 'sh'}:{owner}"
    try:
        os.kill(int(owner), 0)  # type: ignore[arg-type]
        why = "which still holds it"
    except ProcessLookupError:
        why = ("which ended without unlocking it (it returned with it held, or was killed "
               "holding it): nothing will release it now; kmod reboot starts over")
    except (OSError, TypeError, ValueError):
        why = "which still holds it"
    name = getattr(lock, "name", "?")
    hint(k, f"kmodsim: hint: mutex_lock({name}) waits for a lock held by {holder}, {why}"
            f"{at(frames)}")


def hung_task_timeout() -> float:
    """hung_task_timeout_secs (KMODSIM_HUNG_TASK_TIMEOUT): 120 s, the kernel's default; 0
    turns the detector off, as `echo 0 > /proc/sys/kernel/hung_task_timeout_secs` does. The
    kernel refuses a negative value and keeps its own: so does an unreadable one here."""
    try:
        value = float(os.environ.get("KMODSIM_HUNG_TASK_TIMEOUT", "") or HUNG_TASK_TIMEOUT)
    except ValueError:
        return HUNG_TASK_TIMEOUT
    return value if 0 <= value < math.inf else HUNG_TASK_TIMEOUT


def wait_for_completion_of(k: Kernel, done: Callable[[], bool], channel: str, waits_in: str,
                           why: str) -> bool:
    """Sleep uninterruptibly, as wait_for_completion() does, until done() (asked again at
    each wake-up on `channel`, and every half second: the task that would wake it may have
    died); past the hung-task timeout, khungtaskd's report once, from `waits_in` (the kernel
    function that waits), and the hint `why`. Whether it had to wait."""
    waited = False
    timeout = hung_task_timeout()
    watched = timeout > 0  # until khungtaskd has reported this wait (0: it is off)
    start = time.monotonic()
    while not done():
        waited = True
        wait_on(k, (channel,), 0.5, interruptible=False)
        if watched and time.monotonic() - start >= timeout:
            watched = False
            report_hung_wait(k, timeout, waits_in, why)
    return waited


def report_hung_wait(k: Kernel, timeout: float, waits_in: str, why: str) -> None:
    """This task has waited `timeout` seconds in a kernel function that waits for a
    completion (kthread_stop, a flush): khungtaskd's report, then a hint saying why."""
    lm = _current.module()
    frames = live_frames(lm.path) if lm else []
    top = ["__schedule+0x3e4/0x1540", "schedule+0x27/0xf0", "schedule_timeout+0x115/0x150",
           "wait_for_completion+0x8a/0x160", waits_in]
    lines = hung_task_lines(k, frames, lm.name if lm else "?", "", timeout, top)
    log_lines(k, [(3, line) for line in lines[:3]] + [(6, line) for line in lines[3:]])
    hint(k, f"kmodsim: hint: {why}{at(frames)}")


def hung_task_lines(k: Kernel, frames: list[Frame], module: str, lock_kind: str,
                    timeout: float = HUNG_TASK_TIMEOUT,
                    top: list[str] | None = None) -> list[str]:
    """khungtaskd's report for a task stuck in an uninterruptible wait (for a lock, or in
    the kernel functions `top`)."""
    if top is None:
        top = ["__schedule+0x3e4/0x1540", "schedule+0x27/0xf0",
               "schedule_preempt_disabled+0x15/0x30", "__mutex_lock.constprop.0+0x3ef/0x7a0",
               "__mutex_lock_slowpath+0x13/0x20", "mutex_lock+0x3c/0x50"]
        if lock_kind != "mutex":
            top = ["queued_spin_lock_slowpath+0x6b/0x2a0", "_raw_spin_lock+0x29/0x30"]
    return [
        f"INFO: task {k.task.comm}:{k.task.pid} blocked for more than {timeout:g} "
        f"seconds.",
        f"      {tainted_text(k)} {KERNEL_IDENT}",
        '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
        f"task:{k.task.comm:<15.15} state:D stack:0     pid:{k.task.pid:<5} "
        f"tgid:{k.task.pid:<5} ppid:1      flags:0x00004002",
        *call_trace(k, frames, module, top),
    ]
