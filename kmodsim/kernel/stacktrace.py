"""Stack traces as x86-64 kernels print them: the module's own frames (from Python's frames,
with code offsets a trace would show), the kernel's frames on the way into a hook, and the
CPU line that heads every report.
"""

from __future__ import annotations

import sys
import zlib
from types import FrameType, TracebackType

from kmodsim.kernel._current import Kernel
from kmodsim.kernel.module import tainted_text
from kmodsim.kernel.version import HARDWARE, KERNEL_IDENT

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
}
SYSCALL_ENTRY = ["do_syscall_64+0x5d/0x90", "entry_SYSCALL_64_after_hwframe+0x6e/0xd8"]
TIMER_PATH = ["call_timer_fn+0x27/0x140", "__run_timers+0x24a/0x310",
              "run_timer_softirq+0x1d/0x40", "handle_softirqs+0xd3/0x2b0",
              "__irq_exit_rcu+0x6e/0x90", "sysvec_apic_timer_interrupt+0x72/0x90"]
IRQ_ENTRY = [" asm_sysvec_apic_timer_interrupt+0x1a/0x20"]


class Frame:
    """One module function on the stack, with the code offset a kernel trace would show."""

    __slots__ = ("function", "filename", "lineno", "offset", "size")

    def __init__(self, function: str, filename: str, lineno: int, offset: int,
                 size: int) -> None:
        self.function = function
        self.filename = filename
        self.lineno = lineno
        self.offset = offset
        self.size = size

    def symbol(self, module: str) -> str:
        return f"{self.function}+0x{self.offset:x}/0x{self.size:x} [{module}]"

    @property
    def where(self) -> str:
        return f"{self.filename}:{self.lineno} in {self.function}()"


def frame_at(code: object, lineno: int) -> Frame:
    lines = [ln for _, _, ln in code.co_lines() if ln is not None]  # type: ignore[attr-defined]
    first = min(lines + [code.co_firstlineno])  # type: ignore[attr-defined]
    last = max(lines or [first])
    return Frame(code.co_name, code.co_filename, lineno,  # type: ignore[attr-defined]
                 max(0, lineno - first) * 0x10 + 0x5, max(0x20, (last - first + 2) * 0x10))


def frames_from_traceback(tb: TracebackType | None, path: str) -> list[Frame]:
    """The module's own frames in a traceback, innermost first."""
    frames = []
    while tb is not None:  # what traceback.walk_tb does, without importing traceback
        if tb.tb_frame.f_globals.get("__kmod_source__") == path:
            frames.append(frame_at(tb.tb_frame.f_code, tb.tb_lineno))
        tb = tb.tb_next
    frames.reverse()
    return frames


def live_frames(path: str) -> list[Frame]:
    """The module's own frames on the current stack, innermost first."""
    frames = []
    f: FrameType | None = sys._getframe(1)
    while f is not None:
        if f.f_globals.get("__kmod_source__") == path:
            frames.append(frame_at(f.f_code, f.f_lineno))
        f = f.f_back
    return frames


def module_base(name: str) -> int:
    """Where module NAME's text would sit: stable per name, in the module area."""
    return 0xFFFFFFFFC0000000 + (zlib.crc32(name.encode()) & 0xFFFF) * 0x1000


def cpu_line(k: Kernel) -> str:
    return f"CPU: 0 PID: {k.task.pid} Comm: {k.task.comm} {tainted_text(k)} {KERNEL_IDENT}"


def call_trace(k: Kernel, frames: list[Frame], module: str, top: list[str] = ()) -> list[str]:  # type: ignore[assignment]
    irq = k.task.kind == "timer"  # timers run in the timer softirq, on an interrupt stack
    lines = ["Call Trace:", " <IRQ>" if irq else " <TASK>"]
    lines += [f" {t}" for t in top]
    lines += [f" {f.symbol(module)}" for f in frames]
    if irq:
        lines += [f" {t}" for t in TIMER_PATH] + [" </IRQ>", " <TASK>", *IRQ_ENTRY]
    else:
        lines += [f" {t}" for t in KERNEL_PATHS.get(k.task.kind, []) + SYSCALL_ENTRY]
    lines.append(" </TASK>")
    return lines


def dump_stack(k: Kernel, frames: list[Frame], module: str,
               top: list[str] = ("dump_stack_lvl+0x48/0x70", "dump_stack+0x10/0x20")  # type: ignore[assignment]
               ) -> list[str]:
    return [cpu_line(k), f"Hardware name: {HARDWARE}", *call_trace(k, frames, module, top)]


def at(frames: list[Frame]) -> str:
    """` at FILE:LINE in fn()` for the innermost module frame, for hint lines ('' if none)."""
    return f" at {frames[0].where}" if frames else ""
