"""Faults, Oopses and panics (kernel/panic.c, arch/x86/kernel/dumpstack.c, asm-generic/bug.h).

A learner's bug must never reach them as a Python traceback: any exception escaping module
code becomes the report the real kernel prints, then one line of kmodsim's hint naming the
module's file and line. A fault that kills the task makes the command die as a killed process
does (`Killed`, status 137); in interrupt context (a timer) the whole kernel panics.
"""

from __future__ import annotations

from kmodsim.errors import SIGKILL, SIGSEGV
from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.cformat import format_c
from kmodsim.kernel.module import TAINT_DIE, TAINT_WARN, Module, add_taint, modules_linked_in
from kmodsim.kernel.printk import hint, log_lines
from kmodsim.kernel.stacktrace import (
    HARDWARE,
    Frame,
    at,
    call_trace,
    cpu_line,
    kernel_regs,
    live_frames,
    module_base,
)
from kmodsim.kernel.stacktrace import dump_stack as stack_lines


class PanicState(State):
    """How many Oopses this boot has had, and whether it has panicked (and why)."""

    PREFIX = "panic"

    @property
    def panicked(self) -> str | None:
        return self.var("panicked")  # type: ignore[return-value]


class TaskDied(Exception):
    """The current task was killed in the kernel; the machine commits, then the command
    ends as killed by `signal`."""

    def __init__(self, signal: int = SIGKILL) -> None:
        super().__init__(signal)
        self.signal = signal


class KernelFault(BaseException):
    """A fault the kernel detects in module code. A BaseException, so that module code's
    `except Exception:` can't swallow it, just as C code can't catch a page fault."""

    kills = True  # the task dies after the report
    signal = SIGKILL  # ... by this signal (oops_end(): SIGKILL for a page fault)

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        oops(k, self, lm, frames)


def is_null_deref(exc: BaseException) -> bool:
    return isinstance(exc, (AttributeError, TypeError)) and "'NoneType'" in str(exc)


def oops(k: Kernel, exc: BaseException, lm: Module | None, frames: list[Frame],
         first_lines: list[tuple[int, str]] | None = None, trap: str | None = None,
         rip: str | None = None, address: int | None = None) -> None:
    """An Oops as 6.1 prints it: what happened, `TRAP: 0000 [#N]`, the task, the registers,
    the trace, then the summary again after `end trace`. `address`: a page fault's (CR2)."""
    module = lm.name if lm else "?"
    if first_lines is None:
        if is_null_deref(exc):
            address = 0
            first_lines = page_fault_lines(0, "read")
        else:  # any other error in module code: the kernel's BUG() trap
            where = f"{frames[0].filename}:{frames[0].lineno}" if frames else "?"
            first_lines = [(4, "------------[ cut here ]------------"),
                           (2, f"kernel BUG at {where}!")]
            trap = "invalid opcode"
    state = k.state(PanicState)
    number = state.int_var("oops_count") + 1
    state.set_var("oops_count", number)
    if rip is None:
        rip = frames[0].symbol(module) if frames else f"0x{module_base(module):x}"
    regs = kernel_regs(rip)
    lines = [*first_lines, (4, f"{trap or 'Oops'}: 0000 [#{number}] PREEMPT SMP NOPTI"),
             (4, cpu_line(k)), (4, f"Hardware name: {HARDWARE}")]
    lines += [(4, t) for t in regs + call_trace(k, frames[1:], module)]
    lines.append((4, f"Modules linked in: {modules_linked_in(k)}"))
    if address is not None:
        lines.append((4, f"CR2: {address:016x}"))
    lines.append((4, "---[ end trace 0000000000000000 ]---"))
    lines += [(4, t) for t in regs]
    if address is not None:  # the page fault handler ran with interrupts off
        lines.append((1, f"note: {k.task.comm}[{k.task.pid}] exited with irqs disabled"))
    log_lines(k, lines)
    add_taint(k, TAINT_DIE)


def page_fault_lines(address: int, access: str) -> list[tuple[int, str]]:
    if address < 4096:
        first = f"BUG: kernel NULL pointer dereference, address: {address:016x}"
        tables = "PGD 0 P4D 0 "  # nothing is mapped that low
    else:  # a module area address whose page was freed with the module
        first = f"BUG: unable to handle page fault for address: {address:016x}"
        tables = "PGD 2a15067 P4D 2a15067 PUD 2a17067 PMD 1eab3067 PTE 0"
    error = {"read": "0x0000", "write": "0x0002", "instruction fetch": "0x0010"}[access]
    what = access if access == "instruction fetch" else f"{access} access"
    return [(1, first), (1, f"#PF: supervisor {what} in kernel mode"),
            (1, f"#PF: error_code({error}) - not-present page"), (6, tables)]


def hint_for_exception(exc: BaseException, frames: list[Frame]) -> str:
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"kmodsim: hint: {what}{at(frames)}"


def signal_for(exc: BaseException) -> int:
    """make_task_dead()'s signal: a page fault kills (SIGKILL), a BUG()'s invalid opcode
    trap segfaults (SIGSEGV)."""
    if isinstance(exc, KernelFault):
        return exc.signal
    return SIGKILL if is_null_deref(exc) else SIGSEGV


def die(k: Kernel, signal: int = SIGKILL) -> None:
    """The task dies; in interrupt context (a timer) the whole kernel does."""
    state = k.state(PanicState)
    if k.task.kind in ("timer", "tasklet") and not state.panicked:
        line = "Kernel panic - not syncing: Fatal exception in interrupt"
        log_lines(k, [(0, line), (0, "Kernel Offset: disabled"), (0, f"---[ end {line} ]---")])
        state.set_var("panicked", line)
    raise TaskDied(signal) from None


class PageFault(KernelFault):
    """Code or data that is no longer there (a module unloaded under a /proc entry).
    `rip`: the kernel function that touched it (its address itself, for a jump into it)."""

    def __init__(self, address: int, why: str, access: str = "instruction fetch",
                 rip: str | None = None) -> None:
        super().__init__(why)
        self.address = address
        self.why = why
        self.access = access
        self.rip = rip or f"0x{address:x}"

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        oops(k, self, lm, frames, page_fault_lines(self.address, self.access), rip=self.rip,
             address=self.address)
        hint(k, f"kmodsim: hint: {self.why}")


def code_gone(k: Kernel, module: str, offset: int, why: str) -> None:
    """Module code called after its module was removed (a timer, work item or kthread it
    left behind): the page fault of a jump into its freed text, `why` as the hint, and the
    task dies."""
    PageFault(module_base(module) + offset, why).report(k, None, [])
    die(k)


class KernelBugFault(KernelFault):
    """BUG()/BUG_ON() in module code, or an API misuse the kernel would BUG on."""

    signal = SIGSEGV

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        oops(k, self, lm, frames)
        hint(k, f"kmodsim: hint: {self.hint or self}{at(frames)}")


class KernelPanic(KernelFault):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        module = lm.name if lm else "?"
        line = f"Kernel panic - not syncing: {self.message}"
        stack = stack_lines(k, frames, module, ["dump_stack_lvl+0x48/0x70", "panic+0x1a3/0x3a0"])
        log_lines(k, [(0, line), *[(4, s) for s in stack], (0, "Kernel Offset: disabled"),
                      (0, f"---[ end {line} ]---")])
        k.state(PanicState).set_var("panicked", line)
        hint(k, f"kmodsim: hint: the module called panic(){at(frames)}; the machine is stopped "
                f"until `kmod reboot`")


def warning(k: Kernel, lm: Module | None, frames: list[Frame], message: str, where: str,
            rip: str) -> None:
    """__warn() as 6.1 prints it: `cut here`, the message, where, the modules, the task and
    its registers, the trace; the kernel is tainted W and the code goes on."""
    lines = ["------------[ cut here ]------------", *([message] if message else []),
             f"WARNING: CPU: 0 PID: {k.task.pid} at {where}",
             f"Modules linked in: {modules_linked_in(k)}", cpu_line(k),
             f"Hardware name: {HARDWARE}", *kernel_regs(rip),
             *call_trace(k, frames, lm.name if lm else "?"),
             "---[ end trace 0000000000000000 ]---"]
    log_lines(k, [(4, line) for line in lines])
    add_taint(k, TAINT_WARN)


def warn(k: Kernel, lm: Module | None, at_: str, message: str) -> None:
    """WARN() in the kernel's own code (`at_`: `file.c:LINE function+off/size`), reached
    from module code."""
    warning(k, lm, live_frames(lm.path) if lm else [], message, at_, at_.split(" ", 1)[1])


# -- the API modules call ---------------------------------------------------------------------

def panic(fmt: str, *args: object) -> None:
    """Stop the machine: nothing but `kmod dmesg` and `kmod reboot` works afterwards."""
    raise KernelPanic(format_c(fmt, args).rstrip("\n"))


def BUG() -> None:
    raise KernelBugFault("BUG() reached", "BUG() reached")


def BUG_ON(condition: object) -> None:
    if condition:
        raise KernelBugFault("BUG_ON() condition is true", "BUG_ON() condition was true")


def _frames() -> tuple[Kernel, Module | None, list[Frame]]:
    k = _current.entry()
    lm = _current.module()
    return k, lm, (live_frames(lm.path) if lm else [])


def WARN(condition: object, fmt: str = "", *args: object) -> bool:
    """Log a warning with a stack trace when `condition` holds; returns the condition."""
    if not condition:
        return False
    k, lm, frames = _frames()
    module = lm.name if lm else "?"
    rip = frames[0].symbol(module) if frames else "?"
    where = f"{frames[0].filename}:{frames[0].lineno} {rip}" if frames else "?"
    warning(k, lm, frames[1:], format_c(fmt, args).rstrip("\n") if fmt else "", where, rip)
    return True


def WARN_ON(condition: object) -> bool:
    return WARN(condition)


def WARN_ON_ONCE(condition: object) -> bool:
    return WARN(condition)


def dump_stack() -> None:
    k, lm, frames = _frames()
    log_lines(k, [(4, s) for s in stack_lines(k, frames, lm.name if lm else "?")])
