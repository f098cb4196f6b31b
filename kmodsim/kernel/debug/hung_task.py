"""The hung-task detector (kernel/hung_task.c): a task in an uninterruptible wait for longer
than hung_task_timeout_secs gets this report.
"""

from __future__ import annotations

from kmodsim.kernel._current import Kernel
from kmodsim.kernel.module import tainted_text
from kmodsim.kernel.stacktrace import Frame, call_trace
from kmodsim.kernel.version import KERNEL_IDENT

HUNG_TASK_TIMEOUT = 120


def hung_task_lines(k: Kernel, frames: list[Frame], module: str, lock_kind: str) -> list[str]:
    """khungtaskd's report for a task stuck in an uninterruptible wait (here: for a lock)."""
    top = ["__schedule+0x3e4/0x1540", "schedule+0x27/0xf0",
           "schedule_preempt_disabled+0x15/0x30", "__mutex_lock.constprop.0+0x3ef/0x7a0",
           "__mutex_lock_slowpath+0x13/0x20", "mutex_lock+0x3c/0x50"]
    if lock_kind != "mutex":
        top = ["queued_spin_lock_slowpath+0x6b/0x2a0", "_raw_spin_lock+0x29/0x30"]
    return [
        f"INFO: task {k.task.comm}:{k.task.pid} blocked for more than {HUNG_TASK_TIMEOUT} "
        f"seconds.",
        f"      {tainted_text(k)} {KERNEL_IDENT}",
        '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
        f"task:{k.task.comm:<15.15} state:D stack:0     pid:{k.task.pid:<5} "
        f"tgid:{k.task.pid:<5} ppid:1      flags:0x00004002",
        *call_trace(k, frames, module, top),
    ]
