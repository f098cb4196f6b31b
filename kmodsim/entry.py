"""The `kmod` executable's entry point (installed as `kmodsim` too), kept free of imports.

`kmod dmesg` parses its own options (util-linux's), so it is run without importing click at
all: that is a third of a command's start-up. Everything else goes to the click CLI.

A relative KMODSIM_HOME is refused before anything else: it would name a different machine
in each folder a command is typed in.

However a command ends, it ends as a program does: Ctrl-C (at any moment, start-up included)
makes the process die of SIGINT, with no traceback; a thread that module code started does
not keep it alive.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

INTERNAL_ERROR = 70  # EX_SOFTWARE
SIGINT = 2


def main() -> NoReturn:
    from kmodsim.startup import pause_gc

    pause_gc()  # until the machine is opened (kmodsim/startup.py: a sixth of a command)
    try:
        status = _run(sys.argv[1:])
        _flush()
    except KeyboardInterrupt:
        _die_of_sigint()
    import _signal  # the C module: `signal` builds enums at import

    # all said and done: a Ctrl-C from now on (Python's exit) just ends the process
    _signal.signal(SIGINT, _signal.SIG_DFL)
    _exit(status)


def _run(argv: list[str]) -> int:
    problem = _check_home()
    if problem:
        sys.stderr.write(problem)
        return 1
    if argv[:1] != ["dmesg"]:
        from kmodsim.cli import run

        return run(argv, prog=_prog())
    from kmodsim.dmesg.main import run as dmesg

    def machine():  # type: ignore[no-untyped-def]
        from kmodsim.machine import Machine

        return Machine()

    try:
        return dmesg(argv[1:], machine=machine)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - a user never sees a Python traceback
        if os.environ.get("KMODSIM_DEBUG"):
            raise
        sys.stderr.write(f"kmod: internal error: {_describe(e)} "
                         f"(set KMODSIM_DEBUG=1 to see where)\n")
        return INTERNAL_ERROR


def _prog() -> str:
    """The name the command was typed as: `kmodsim` or (anything else) `kmod`."""
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    return "kmodsim" if name == "kmodsim" else "kmod"


def _check_home() -> str:
    """KMODSIM_HOME made absolute (`~` expanded), or why it can't be used: a relative path
    would be a different machine in every folder, silently."""
    home = os.environ.get("KMODSIM_HOME")
    if not home:
        return ""
    if not os.path.isabs(home):
        expanded = os.path.expanduser(home)
        if not os.path.isabs(expanded):
            return (f"{_prog()}: KMODSIM_HOME must be an absolute path, not '{home}': a "
                    f"relative one would be another machine in each folder "
                    f"(use KMODSIM_HOME=\"$PWD/{home}\" for this folder's)\n")
        os.environ["KMODSIM_HOME"] = expanded
    return ""


def _describe(e: BaseException) -> str:
    try:
        text = str(e)
    except Exception:  # noqa: BLE001
        text = "<exception str() failed>"
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader left (`kmod dmesg | head`): as dmesg does
            try:  # point the stream at /dev/null, so that Python's own flush at exit is quiet
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, stream.fileno())
                os.close(devnull)
            except (OSError, ValueError):
                pass


def _exit(status: int) -> NoReturn:
    """Exit with `status`. Python would first wait for every non-daemon thread, so a thread
    started by module code (a module can't know better: the kernel has kthreads) would keep
    the command running for ever: with one alive, leave at once, output flushed."""
    threading = sys.modules.get("threading")
    if threading is not None and any(t.is_alive() and not t.daemon
                                     for t in threading.enumerate()
                                     if t is not threading.main_thread()):
        _flush()
        os._exit(status)
    sys.exit(status)


def _die_of_sigint() -> NoReturn:
    """End as a program interrupted by Ctrl-C does: killed by SIGINT (the shell's $? is
    130), no traceback. The machine is as before the command, or after it if the command
    had already committed."""
    import _signal  # the C module: `signal` builds enums at import

    _flush()
    _signal.signal(SIGINT, _signal.SIG_DFL)
    os.kill(os.getpid(), SIGINT)
    os._exit(128 + SIGINT)  # in case the signal is blocked
