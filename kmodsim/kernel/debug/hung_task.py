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

# A sleeping task's trace above the module's frames, as Debian's 6.1 prints it: every sleep
# ends in schedule(); schedule_timeout() returns at one place for a wait with no time limit
# and at another for a timed one.
SCHEDULE = ["__schedule+0x34d/0xa00", "schedule+0x5a/0xd0"]
SCHEDULE_FOREVER = "schedule_timeout+0x11a/0x150"
SCHEDULE_TIMED = "schedule_timeout+0x94/0x150"
WAIT_FOR_COMMON = "__wait_for_common+0x94/0x1e0"  # under every wait_for_completion*()
MUTEX_WAIT = ["schedule_preempt_disabled+0x11/0x20", "__mutex_lock.constprop.0+0x39d/0x720"]


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
            report_hung_wait(k, timeout, [SCHEDULE_FOREVER, WAIT_FOR_COMMON, waits_in], why)
    return waited


def report_hung_wait(k: Kernel, timeout: float, waits_in: list[str], why: str) -> None:
    """This task has waited `timeout` seconds asleep in the kernel functions `waits_in`
    (innermost first, under schedule()): khungtaskd's report, then a hint saying why."""
    lm = _current.module()
    frames = live_frames(lm.path) if lm else []
    lines = hung_task_lines(k, frames, lm.name if lm else "?", "", timeout,
                            SCHEDULE + waits_in)
    log_lines(k, [(3, line) for line in lines[:3]] + [(6, line) for line in lines[3:]])
    hint(k, f"kmodsim: hint: {why}{at(frames)}")


def hung_task_lines(k: Kernel, frames: list[Frame], module: str, lock_kind: str,
                    timeout: float = HUNG_TASK_TIMEOUT,
                    top: list[str] | None = None) -> list[str]:
    """khungtaskd's report for a task stuck in an uninterruptible wait (for a lock, or in
    the kernel functions `top`)."""
    if top is None:
        top = SCHEDULE + MUTEX_WAIT
        if lock_kind != "mutex":
            top = ["queued_spin_lock_slowpath+0x6b/0x2a0", "_raw_spin_lock+0x29/0x30"]
    task = k.task
    # the parent and thread-info flags 6.1 shows: a command has TIF_NOTIFY_RESUME, rmmod
    # TIF_NEED_FPU_LOAD too, a kthread (kthreadd's child) only the latter
    ppid, flags = (2, 0x4000) if task.kthread else (
        os.getppid(), 0x4002 if task.kind == "exit" else 0x2)
    # the registers of another task's user space are shown without its code bytes
    trace = [line for line in call_trace(k, frames, module, top) if not line.startswith("Code:")]
    return [
        f"INFO: task {task.comm}:{task.pid} blocked for more than {timeout:g} seconds.",
        f"      {tainted_text(k)} {KERNEL_IDENT}",
        '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
        f"task:{task.comm:<15.15} state:D stack:0     pid:{task.pid:<5} ppid:{ppid:<6} "
        f"flags:0x{flags:08x}",
        *trace,
    ]
