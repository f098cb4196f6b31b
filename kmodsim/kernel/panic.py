"""panic(), BUG(), WARN() and dump_stack() (kernel/panic.c, include/asm-generic/bug.h)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kmodsim.faults import Frame, KernelFault, at, live_frames
from kmodsim.faults import dump_stack as _dump_stack
from kmodsim.kernel import _current
from kmodsim.kernel.cformat import format_c
from kmodsim.taint import TAINT_WARN

if TYPE_CHECKING:
    from kmodsim.runtime import KernelEntry, LoadedModule


class KernelPanic(KernelFault):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def report(self, k: KernelEntry, lm: LoadedModule | None, frames: list[Frame]) -> None:
        module = lm.name if lm else "?"
        line = f"Kernel panic - not syncing: {self.message}"
        stack = _dump_stack(k, frames, module, ["dump_stack_lvl+0x48/0x70", "panic+0x1a3/0x3a0"])
        k.log_lines([(0, line), *[(4, s) for s in stack], (0, "Kernel Offset: disabled"),
                     (0, f"---[ end {line} ]---")])
        k.set_meta("panicked", line)
        k.hint(f"kmodsim: hint: the module called panic(){at(frames)}; the machine is stopped "
               f"until `kmod reboot`")


def panic(fmt: str, *args: object) -> None:
    """Stop the machine: nothing but `kmod dmesg` and `kmod reboot` works afterwards."""
    raise KernelPanic(format_c(fmt, args).rstrip("\n"))


def BUG() -> None:
    from kmodsim.faults import KernelBugFault

    raise KernelBugFault("BUG() reached", "BUG() reached")


def BUG_ON(condition: object) -> None:
    if condition:
        from kmodsim.faults import KernelBugFault

        raise KernelBugFault("BUG_ON() condition is true", "BUG_ON() condition was true")


def _frames() -> tuple[KernelEntry, LoadedModule | None, list[Frame]]:
    k = _current.entry()
    lm = _current.module()
    return k, lm, (live_frames(lm.path) if lm else [])


def WARN(condition: object, fmt: str = "", *args: object) -> bool:
    """Log a warning with a stack trace when `condition` holds; returns the condition."""
    if not condition:
        return False
    k, lm, frames = _frames()
    module = lm.name if lm else "?"
    at = f"{frames[0].filename}:{frames[0].lineno} {frames[0].symbol(module)}" if frames else "?"
    lines = [(4, "------------[ cut here ]------------")]
    if fmt:
        lines.append((4, format_c(fmt, args).rstrip("\n")))
    lines += [(4, f"WARNING: CPU: 0 PID: {k.pid} at {at}"),
              (4, f"Modules linked in: {k.modules_linked_in()}")]
    lines += [(4, s) for s in _dump_stack(k, frames[1:], module, [])]
    lines.append((4, "---[ end trace 0000000000000000 ]---"))
    k.log_lines(lines)
    k.add_taint(TAINT_WARN)
    return True


def WARN_ON(condition: object) -> bool:
    return WARN(condition)


def WARN_ON_ONCE(condition: object) -> bool:
    return WARN(condition)


def dump_stack() -> None:
    k, lm, frames = _frames()
    k.log_lines([(4, s) for s in _dump_stack(k, frames, lm.name if lm else "?")])
