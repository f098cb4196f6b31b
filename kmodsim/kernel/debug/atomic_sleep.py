"""Sleeping in atomic context (CONFIG_DEBUG_ATOMIC_SLEEP, kernel/sched/core.c __might_sleep):
something that may sleep, called with a spinlock held, interrupts off, or from a timer.
"""

from __future__ import annotations

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.debug.lockdep import held_lines
from kmodsim.kernel.module import TAINT_WARN, add_taint
from kmodsim.kernel.printk import hint, log_lines
from kmodsim.kernel.stacktrace import at, dump_stack, live_frames


def might_sleep(k: Kernel, where: str) -> None:
    """__might_sleep(): sleeping with a spinlock held or interrupts off is a bug."""
    task = k.task
    if not task.held and not task.irqs_disabled and not task.in_irq:
        return  # the usual case, first: this is called before everything that may sleep
    spin_held = [h for h in task.held if h.lock.kind == "spinlock"]
    if not spin_held and not k.task.irqs_disabled and not k.task.in_irq:
        return
    lm = _current.module()
    frames = live_frames(lm.path) if lm else []
    depth = len(spin_held)
    lines = [f"BUG: sleeping function called from invalid context at {where}",
             f"in_atomic(): {1 if depth or k.task.in_irq else 0}, irqs_disabled(): "
             f"{1 if k.task.irqs_disabled else 0}, non_block: 0, pid: {k.task.pid}, "
             f"name: {k.task.comm}",
             f"preempt_count: {depth:x}, expected: 0", "RCU nest depth: 0, expected: 0",
             *held_lines(k),
             *dump_stack(k, frames, lm.name if lm else "?",
                         ["dump_stack_lvl+0x48/0x70", "__might_resched+0x17d/0x1c0"])]
    log_lines(k, [(3, lines[0]), *[(3, line) for line in lines[1:4]],
                 *[(4, line) for line in lines[4:]]])
    add_taint(k, TAINT_WARN)
    where = at(frames)
    if spin_held or k.task.irqs_disabled:
        held = spin_held[-1].lock.name if spin_held else "interrupts disabled"
        hint(k, f"kmodsim: hint: something that may sleep was called while holding a spinlock "
               f"({held}){where}; use a mutex, or GFP_ATOMIC, or move it outside the lock")
    else:
        what = "a tasklet" if k.task.kind == "tasklet" else "a timer callback"
        hint(k, f"kmodsim: hint: {what} runs in interrupt context and must not "
               f"sleep{where}; use GFP_ATOMIC, a spinlock, or a workqueue")
