"""The fault catcher: Python errors in module code become the kernel's own reports.

A learner's bug must never reach them as a Python traceback: it becomes an Oops in the ring
buffer, laid out as x86-64 kernels print it, then one line of kmodsim's hint naming the
module's file and line. The task that hit it dies (the shell shows `Killed`).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmodsim.runtime import KernelEntry

KERNEL_RELEASE = "6.8.0-kmodsim"
HARDWARE = "kmodsim virtual machine, BIOS kmodsim 01/01/2024"

# The kernel's own frames on the way into a module hook, innermost first.
KERNEL_PATHS = {
    "init": ["do_one_initcall+0x41/0x300", "do_init_module+0x60/0x240",
             "load_module+0x2102/0x2290", "init_module_from_file+0x96/0x100",
             "idempotent_init_module+0x11c/0x2b0", "__x64_sys_finit_module+0x64/0xd0"],
    "exit": ["__do_sys_delete_module.isra.0+0x1a1/0x2f0", "__x64_sys_delete_module+0x12/0x20"],
    "read": ["proc_reg_read+0x5a/0xa0", "vfs_read+0xb0/0x3a0", "ksys_read+0x6b/0xf0",
             "__x64_sys_read+0x19/0x20"],
    "write": ["proc_reg_write+0x5a/0xa0", "vfs_write+0xd1/0x3c0", "ksys_write+0x6b/0xf0",
              "__x64_sys_write+0x19/0x20"],
    "open": ["proc_reg_open+0xd2/0x1b0", "do_dentry_open+0x220/0x570", "vfs_open+0x2d/0x40",
             "path_openat+0xac1/0x1220", "do_filp_open+0xa8/0x130", "do_sys_openat2+0x9f/0xd0",
             "__x64_sys_openat+0x55/0xa0"],
    "release": ["proc_reg_release+0x55/0x80", "__fput+0xf3/0x2b0", "task_work_run+0x5d/0x90",
                "syscall_exit_to_user_mode+0x1de/0x1f0"],
    "lseek": ["proc_reg_llseek+0x4a/0x70", "ksys_lseek+0x82/0xc0", "__x64_sys_lseek+0x18/0x20"],
}
SYSCALL_ENTRY = ["do_syscall_64+0x5d/0x90", "entry_SYSCALL_64_after_hwframe+0x6e/0xd8"]


class KernelBug(Exception):
    """A fault the kernel itself detects in module code (bad copy length, double unlock…)."""

    def __init__(self, message: str, kind: str = "bug", size: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.size = size


class TaskDied(Exception):
    """The current task was killed by an Oops; the machine commits and reports `Killed`."""


@dataclass
class Frame:
    function: str
    filename: str
    lineno: int
    offset: int
    size: int


def module_frames(tb: TracebackType | None, module_file: str) -> list[Frame]:
    """The module's own frames in the traceback, innermost first, with fake code offsets."""
    frames = []
    for frame, lineno in traceback.walk_tb(tb):
        code = frame.f_code
        if frame.f_globals.get("__kmod_source__") != module_file:
            continue
        lines = [ln for _, _, ln in code.co_lines() if ln is not None] or [code.co_firstlineno]
        first, last = min(lines + [code.co_firstlineno]), max(lines)
        offset = max(0, lineno - first) * 0x10 + 0x5
        size = max(0x20, (last - first + 2) * 0x10)
        frames.append(Frame(code.co_name, code.co_filename, lineno, offset, size))
    frames.reverse()
    return frames


def is_null_deref(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, (AttributeError, TypeError)) and "'NoneType'" in text


def oops_lines(entry: KernelEntry, exc: BaseException, module: str, path: str,
               frames: list[Frame], oops_number: int) -> list[tuple[int, str]]:
    """The Oops report as (level, line) records."""
    out: list[tuple[int, str]] = []
    rip = (f"{frames[0].function}+0x{frames[0].offset:x}/0x{frames[0].size:x} [{module}]"
           if frames else f"0x0 [{module}]")
    if is_null_deref(exc):
        out += [
            (1, "BUG: kernel NULL pointer dereference, address: 0000000000000000"),
            (1, "#PF: supervisor read access in kernel mode"),
            (1, "#PF: error_code(0x0000) - not-present page"),
            (6, "PGD 0 P4D 0 "),
            (4, f"Oops: 0000 [#{oops_number}] PREEMPT SMP NOPTI"),
        ]
    else:
        where = f"{frames[0].filename}:{frames[0].lineno}" if frames else path
        out += [
            (4, "------------[ cut here ]------------"),
            (2, f"kernel BUG at {where}!"),
            (4, f"Oops: invalid opcode: 0000 [#{oops_number}] PREEMPT SMP NOPTI"),
        ]
    out += [
        (4, f"CPU: 0 PID: {entry.pid} Comm: {entry.comm} {entry.tainted_text()} "
            f"{KERNEL_RELEASE} #1"),
        (4, f"Hardware name: {HARDWARE}"),
        (4, f"RIP: 0010:{rip}"),
        (4, "Call Trace:"),
        (4, " <TASK>"),
    ]
    for f in frames[1:]:
        out.append((4, f" {f.function}+0x{f.offset:x}/0x{f.size:x} [{module}]"))
    for line in KERNEL_PATHS.get(entry.hook_kind, []) + SYSCALL_ENTRY:
        out.append((4, f" {line}"))
    out += [
        (4, " </TASK>"),
        (4, f"Modules linked in: {entry.modules_linked_in()}"),
        (4, "---[ end trace 0000000000000000 ]---"),
    ]
    return out


def hint_line(exc: BaseException, frames: list[Frame]) -> str:
    where = f"{frames[0].filename}:{frames[0].lineno} in {frames[0].function}()" if frames else ""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"kmodsim: hint: {what}" + (f" at {where}" if where else "")
