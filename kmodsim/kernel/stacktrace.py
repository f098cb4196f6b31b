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

# The kernel's own frames on the way into a module hook, innermost first (Linux 6.1).
KERNEL_PATHS = {
    "init": ["do_one_initcall+0x59/0x220", "do_init_module+0x4a/0x1f0",
             "__do_sys_finit_module+0xac/0x120"],
    "exit": ["__do_sys_delete_module.constprop.0+0x178/0x280"],
    "after_init": ["do_init_module.cold+0x21/0x26", "__do_sys_finit_module+0xac/0x120"],
    "read": ["proc_reg_read+0x56/0xa0", "vfs_read+0xab/0x300", "ksys_read+0x6b/0xf0"],
    "write": ["proc_reg_write+0x56/0xa0", "vfs_write+0xc7/0x3f0", "ksys_write+0x6b/0xf0"],
    "open": ["proc_reg_open+0x6d/0x190", "do_dentry_open+0x1e5/0x410",
             "path_openat+0xb7d/0x1260", "do_filp_open+0xaf/0x160",
             "do_sys_openat2+0xaf/0x170", "__x64_sys_openat+0x6a/0xa0"],
    "vfs_open": ["do_dentry_open+0x1e5/0x410", "path_openat+0xb7d/0x1260",
                 "do_filp_open+0xaf/0x160", "do_sys_openat2+0xaf/0x170",
                 "__x64_sys_openat+0x6a/0xa0"],
    "sysfs_read": ["kobj_attr_show+0x12/0x20", "sysfs_kf_seq_show+0xa3/0xe0",
                   "seq_read_iter+0x122/0x450", "vfs_read+0x23f/0x310", "ksys_read+0x6b/0xf0"],
    "sysfs_write": ["kobj_attr_store+0x12/0x20", "kernfs_fop_write_iter+0x11c/0x1e0",
                    "vfs_write+0x2be/0x3f0", "ksys_write+0x6b/0xf0"],
    # kobj_attr_show itself faulted (its attribute was in a module's freed memory)
    "sysfs_show_gone": ["sysfs_kf_seq_show+0xa3/0xe0", "seq_read_iter+0x122/0x450",
                        "vfs_read+0x23f/0x310", "ksys_read+0x6b/0xf0"],
    "sysfs_store_gone": ["kernfs_fop_write_iter+0x11c/0x1e0", "vfs_write+0x2be/0x3f0",
                         "ksys_write+0x6b/0xf0"],
    "param_read": ["param_attr_show+0x52/0x90", "module_attr_show+0x1c/0x30",
                   "sysfs_kf_seq_show+0xa3/0xe0", "seq_read_iter+0x122/0x450",
                   "vfs_read+0x23f/0x310", "ksys_read+0x6b/0xf0"],
    "param_write": ["param_attr_store+0x9d/0x100", "module_attr_store+0x1c/0x30",
                    "kernfs_fop_write_iter+0x11c/0x1e0", "vfs_write+0x2be/0x3f0",
                    "ksys_write+0x6b/0xf0"],
    "ioctl": ["proc_reg_unlocked_ioctl+0x5b/0xa0", "__x64_sys_ioctl+0x8d/0xd0"],
    "llseek": ["proc_reg_llseek+0x4e/0x90", "ksys_lseek+0x68/0xb0"],
    # a char device's handlers, called by the VFS itself (kmodsim.kernel.fs, vfs.KIND_PREFIX)
    "chr_read": ["vfs_read+0xab/0x300", "ksys_read+0x6b/0xf0"],
    "chr_write": ["vfs_write+0xc7/0x3f0", "ksys_write+0x6b/0xf0"],
    "chr_ioctl": ["__x64_sys_ioctl+0x8d/0xd0"],
    "chr_llseek": ["ksys_lseek+0x68/0xb0"],
    # debugfs's, through its full proxy
    "debugfs_read": ["full_proxy_read+0x5c/0x90", "vfs_read+0xab/0x300", "ksys_read+0x6b/0xf0"],
    "debugfs_write": ["full_proxy_write+0x5c/0x90", "vfs_write+0xc7/0x3f0",
                      "ksys_write+0x6b/0xf0"],
    "debugfs_ioctl": ["full_proxy_unlocked_ioctl+0x5c/0x90", "__x64_sys_ioctl+0x8d/0xd0"],
    "debugfs_llseek": ["full_proxy_llseek+0x5c/0x90", "ksys_lseek+0x68/0xb0"],
    "release": ["proc_reg_release+0x4d/0x70", "__fput+0x91/0x250", "task_work_run+0x59/0x90",
                "exit_to_user_mode_prepare+0x1f1/0x240", "syscall_exit_to_user_mode+0x17/0x40"],
}
SYSCALL_ENTRY = ["do_syscall_64+0x5d/0xb0", "entry_SYSCALL_64_after_hwframe+0x6e/0xd8"]
# the system call each hook is reached through (ORIG_RAX in the user-space frame)
SYSCALL_NR = {"init": 0x139, "after_init": 0x139, "exit": 0xB0, "read": 0x0, "write": 0x1,
              "sysfs_read": 0x0, "sysfs_write": 0x1, "param_read": 0x0, "param_write": 0x1,
              "sysfs_show_gone": 0x0, "sysfs_store_gone": 0x1,
              "open": 0x101, "vfs_open": 0x101, "ioctl": 0x10, "llseek": 0x8,
              "chr_read": 0x0, "chr_write": 0x1, "chr_ioctl": 0x10, "chr_llseek": 0x8,
              "debugfs_read": 0x0, "debugfs_write": 0x1, "debugfs_ioctl": 0x10,
              "debugfs_llseek": 0x8,
              "release": 0x3}
TIMER_PATH = ["call_timer_fn+0x27/0x130", "__run_timers.part.0+0x1e9/0x270",
              "run_timer_softirq+0x3b/0x80", "__do_softirq+0xf6/0x2f8",
              "__irq_exit_rcu+0xc7/0x130", "sysvec_apic_timer_interrupt+0x9e/0xc0"]
IRQ_ENTRY = [" asm_sysvec_apic_timer_interrupt+0x16/0x20"]
TASKLET_PATH = ["tasklet_action_common.constprop.0+0xba/0xf0", "__do_softirq+0xf6/0x2f8",
                "__irq_exit_rcu+0xc7/0x130", "sysvec_apic_timer_interrupt+0x9e/0xc0"]
# kernel threads have no system call under them: they start at ret_from_fork
KTHREAD_PATHS = {
    "kthread": ["kthread+0xe6/0x110", "ret_from_fork+0x1f/0x30"],
    "work": ["process_one_work+0x1c7/0x380", "worker_thread+0x4d/0x380",
             "kthread+0xe6/0x110", "ret_from_fork+0x1f/0x30"],
}


def kernel_regs(rip: str) -> list[str]:
    """The register dump after `RIP: 0010:…` (plausible, stable values: module text cannot
    be read back, as the reference kernel says of a module's code)."""
    return [f"RIP: 0010:{rip}",
            "Code: Unable to access opcode bytes at 0xffffffffc0200fe2.",
            "RSP: 0018:ffffc9000059bc40 EFLAGS: 00000246",
            "RAX: 0000000000000018 RBX: ffffffffc0206000 RCX: c0000000ffffefff",
            "RDX: 0000000000000000 RSI: 00000000ffffefff RDI: 0000000000000001",
            "RBP: ffff888005f54860 R08: 0000000000000000 R09: ffffc9000059bc38",
            "R10: 0000000000000003 R11: ffffffff82ad4448 R12: ffffc9000059bc48",
            "R13: 0000000000000000 R14: 0000000000000000 R15: 0000000000000000",
            "FS:  00007f466bcaf040(0000) GS:ffff88801e000000(0000) knlGS:0000000000000000",
            "CS:  0010 DS: 0000 ES: 0000 CR0: 0000000080050033",
            "CR2: ffffffffc0200fe2 CR3: 00000000060f2000 CR4: 0000000000750ef0",
            "PKRU: 55555554"]


def user_regs(kind: str) -> list[str]:
    """The user-space frame a 6.1 trace ends with: where the system call came from."""
    return ["RIP: 0033:0x7f466bdb1829",
            "Code: 08 89 e8 5b 5d c3 66 2e 0f 1f 84 00 00 00 00 00 90 48 89 f8 48 89 f7 48 89 "
            "d6 48 89 ca 4d 89 c2 4d 89 c8 4c 8b 4c 24 08 0f 05 <48> 3d 01 f0 ff ff 73 01 c3 "
            "48 8b 0d a7 15 0d 00 f7 d8 64 89 01 48",
            f"RSP: 002b:00007fff14b774c8 EFLAGS: 00000246 ORIG_RAX: "
            f"{SYSCALL_NR.get(kind, 0):016x}",
            "RAX: ffffffffffffffda RBX: 00005573f87e74b0 RCX: 00007f466bdb1829",
            "RDX: 0000000000000000 RSI: 00005573c91664a0 RDI: 0000000000000005",
            "RBP: 00005573c91664a0 R08: 0000000000000000 R09: 00007f466be8b2a0",
            "R10: 0000000000000005 R11: 0000000000000246 R12: 0000000000000000",
            "R13: 0000000000000000 R14: 00005573f87e7490 R15: 0000000000000000"]


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
    irq = k.task.kind in ("timer", "tasklet")  # softirqs run on an interrupt stack
    lines = ["Call Trace:", " <IRQ>" if irq else " <TASK>"]
    lines += [f" {t}" for t in top]
    lines += [f" {f.symbol(module)}" for f in frames]
    if irq:
        path = TIMER_PATH if k.task.kind == "timer" else TASKLET_PATH
        lines += [f" {t}" for t in path] + [" </IRQ>", " <TASK>", *IRQ_ENTRY]
    elif k.task.kind in KTHREAD_PATHS:
        lines += [f" {t}" for t in KTHREAD_PATHS[k.task.kind]]
    else:
        lines += [f" {t}" for t in KERNEL_PATHS.get(k.task.kind, []) + SYSCALL_ENTRY]
        lines += user_regs(k.task.kind)
    lines.append(" </TASK>")
    return lines


def dump_stack(k: Kernel, frames: list[Frame], module: str,
               top: list[str] = ("dump_stack_lvl+0x44/0x5c",)  # type: ignore[assignment]
               ) -> list[str]:
    return [cpu_line(k), f"Hardware name: {HARDWARE}", *call_trace(k, frames, module, top)]


def at(frames: list[Frame]) -> str:
    """` at FILE:LINE in fn()` for the innermost module frame, for hint lines ('' if none)."""
    return f" at {frames[0].where}" if frames else ""
