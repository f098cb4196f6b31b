"""What module code can throw at the kernel besides an ordinary exception, made harmless: an
exception whose str() fails, one no `except Exception` would see (GeneratorExit,
KeyboardInterrupt raised by the module itself, a BaseException of its own), a value of the
wrong type returned, an error in a __del__ (Python could only say "Exception ignored"), a
fork().

The runtime runs module code through here (KernelEntry.call, a module's top level); the
process-wide hooks are installed the first time module code runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import FunctionType
from typing import Any

from kmodsim.kernel.debug.watchdog import SoftLockup, Watchdog, active
from kmodsim.kernel.panic import KernelFault
from kmodsim.kernel.sched import Task

UNPRINTABLE = "<exception str() failed>"  # what Python's own traceback says
# the C type a hook returns, by kind: init, open and release return int, the rest long
_INT_KINDS = frozenset({"init", "open", "release"})
_hooks_installed = False


def install_process_hooks() -> None:
    """Once per process: errors in module code's __del__ are the kernel's to report (or to
    drop, when kmodsim frees the object after the command), and a process forked by module
    code ends at once."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous = sys.unraisablehook

    def unraisable(u: Any) -> None:
        if not _from_module_code(u):
            previous(u)
            return
        watchdog = active()
        if watchdog is not None and not watchdog.stopping and u.exc_value is not None:
            watchdog.faults.append(u.exc_value)  # KernelEntry.call reports it: an Oops

    sys.unraisablehook = unraisable
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_forked_child, after_in_parent=_forked_parent)


def _from_module_code(u: Any) -> bool:
    if isinstance(u.object, FunctionType) and isinstance(u.object.__module__, str) \
            and u.object.__module__.startswith("kmodsim.live."):
        return True  # a __del__ of the module's (Python names the function)
    tb = u.exc_traceback
    while tb is not None:
        if "__kmod_source__" in tb.tb_frame.f_globals:
            return True
        tb = tb.tb_next
    return False


def _forked_child() -> None:
    # A kernel has no fork(): the child of module code would go on running kmodsim with the
    # parent's store connection. It ends here, before anything of it can be kept.
    if active() is not None:
        os._exit(0)


def _forked_parent() -> None:
    watchdog = active()
    if watchdog is None:
        return
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__kmod_source__") != watchdog.path:
        frame = frame.f_back  # type: ignore[assignment]
    where = f" at {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}()" \
        if frame is not None else ""
    watchdog.forked = watchdog.forked or where or " "


def forked_hint(watchdog: Watchdog) -> str:
    return (f"kmodsim: hint: module code forked a process{watchdog.forked.rstrip()}: a kernel "
            f"has no fork(); the child was stopped at once and its changes are discarded")


def is_kernel_fault(exc: BaseException) -> bool:
    """One of the kernel's own faults (a module may subclass KernelFault: that is its own
    exception, and its report() is module code)."""
    return isinstance(exc, KernelFault) and type(exc).__module__.startswith("kmodsim.kernel")


def printable(exc: BaseException, path: str) -> tuple[BaseException, str]:
    """`exc` and its text, or a stand-in of the same name when its str() fails (or never
    returns): the kernel's reports print it."""
    name = _type_name(exc)
    text, error = Watchdog(path).run(str, exc)
    if error is None and isinstance(text, str) and name is not None:
        return exc, text
    return _stand_in(name or "Exception", UNPRINTABLE, exc), UNPRINTABLE


def _type_name(exc: BaseException) -> str | None:
    name = type.__dict__["__name__"].__get__(type(exc))  # a metaclass can't fake it
    return name if isinstance(name, str) else None


_STAND_INS: dict[str, type[Exception]] = {}


def _stand_in(name: str, text: str, original: BaseException) -> Exception:
    """An exception named as `original`'s type, saying `text`, raised where it was: reports
    and insmod's message name the module's error as the module raised it."""
    name = name.replace("\0", "") or "Exception"
    cls = _STAND_INS.get(name)
    if cls is None:
        cls = _STAND_INS[name] = type(name, (Exception,), {"__str__": lambda self: self.text})
    stand_in = cls()
    stand_in.text = text  # type: ignore[attr-defined]
    stand_in.original = original  # type: ignore[attr-defined]
    return stand_in.with_traceback(original.__traceback__)


def original(exc: BaseException) -> BaseException:
    """What a stand-in stands for (or `exc` itself)."""
    found = exc.__dict__.get("original") if type(exc) in _STAND_INS.values() else None
    return found if isinstance(found, BaseException) else exc


def top_level_error(exc: BaseException, path: str) -> BaseException:
    """What a module's top level raised, as an exception insmod's loader reports (it catches
    Exception, SystemExit and the kernel's faults) with a message that can be printed."""
    if isinstance(exc, SoftLockup):
        return _stand_in("SoftLockup", f"the module's top level ran for more than "
                                       f"{exc.watchdog.limit if exc.watchdog else 5:g} s "
                                       f"without finishing (a loop that never ends?)", exc)
    shown, text = printable(exc, path)
    if shown is not exc or isinstance(exc, (Exception, SystemExit)) or is_kernel_fault(exc):
        return shown
    return _stand_in(_type_name(exc) or "BaseException", text, exc)


def c_value(kind: str, result: object, path: str) -> tuple[object, BaseException | None]:
    """A hook's return value as the kernel sees it: an int wraps to the hook's C type (int,
    or long for read/write/llseek/ioctl); anything else stays, once its repr() is known to
    work (the kernel's messages print it). (value, the error repr() raised)."""
    if result is None:
        return None, None
    if isinstance(result, int):
        bits = 32 if kind in _INT_KINDS else 64
        value = int.__int__(result)  # the number itself: an int subclass runs no code here
        return ((value + (1 << (bits - 1))) % (1 << bits)) - (1 << (bits - 1)), None
    text, error = Watchdog(path).run(repr, result)
    if error is None and not isinstance(text, str):
        error = TypeError(f"__repr__ returned non-string (type {type(text).__name__})")
    return result, error


def run_module_code(watchdog: Watchdog, fn: Callable, *args: object,
                    task: Task | None = None) -> tuple[object, BaseException | None]:
    """watchdog.run(), with the process hooks in place and the caller's own interruptions
    (Ctrl-C, its alarm) passed through, even when module code caught them; but a Ctrl-C the
    kernel took while `task` slept (its signal is pending: it gets it on return to user
    space, once its work is committed) is the kernel's to deliver."""
    install_process_hooks()
    result, error = watchdog.run(fn, *args)
    caught = watchdog.passthrough
    if caught is None:
        return result, error
    if task is not None and task.signal_pending and isinstance(caught, KeyboardInterrupt):
        return result, None if error is caught else error
    raise caught
