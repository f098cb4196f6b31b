"""The fault catcher's verdicts: what module code did, reported as the kernel reports it, and
the task killed where the kernel would kill it."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, NoReturn

from kmodsim.errors import KmodError
from kmodsim.kernel.debug.watchdog import SoftLockup, Watchdog
from kmodsim.kernel.module import Module
from kmodsim.kernel.panic import (
    KernelFault,
    TaskDied,
    die,
    hint_for_exception,
    oops,
    signal_for,
)
from kmodsim.kernel.printk import hint
from kmodsim.kernel.stacktrace import frames_from_traceback
from kmodsim.runtime import guard

if TYPE_CHECKING:
    from kmodsim.runtime.entry import KernelEntry


def top_level_failed(k: KernelEntry, name: str, path: str, error: BaseException) -> NoReturn:
    """A loaded module's top level, run again for this command, failed (it depends on
    something that changed, or loops): the task dies in the module's code, reported as
    any fault of module code is."""
    stand_in = Module(name, path, "Live", "", True, types.ModuleType(name))
    frames = frames_from_traceback(error.__traceback__, path)
    lockup = guard.original(error)
    if isinstance(lockup, SoftLockup):
        lockup.report(k, stand_in, frames)
        die(k, lockup.signal)
    oops(k, error, stand_in, frames)
    hint(k, hint_for_exception(error, frames).replace(
        "kmodsim: hint: ", "kmodsim: hint: the module's top level, run again for this "
                           "command, raised ", 1))
    die(k, signal_for(error))
    raise AssertionError("die() returns only by raising")


def report_fault(k: KernelEntry, lm: Module, watchdog: Watchdog,
                 error: BaseException | None) -> None:
    """The kernel's report of what module code did; the task dies (TaskDied), unless the
    fault is one the kernel lives with (a WARN-like KernelFault)."""
    if isinstance(error, (KmodError, TaskDied)) and watchdog.lockup is None:
        raise error  # the kernel's own verdict, raised by an API call in module code
    if watchdog.lockup is not None:  # it was reported when it fired, whatever came after
        fault: BaseException = watchdog.lockup
        error = error if isinstance(error, SoftLockup) else fault
    else:
        fault = error if error is not None else watchdog.faults[0]
    frames = frames_from_traceback((error or fault).__traceback__, lm.path)
    if guard.is_kernel_fault(fault):
        assert isinstance(fault, KernelFault)
        fault.report(k, lm, frames)
        if fault.kills:
            die(k, fault.signal)
        return
    shown, _ = guard.printable(fault, lm.path)
    oops(k, shown, lm, frames)
    hint(k, hint_for_exception(shown, frames))
    die(k, signal_for(shown))
