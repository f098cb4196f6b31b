"""User programs: open a file of the simulated machine (/proc, /dev, /sys, /sys/kernel/debug)
and read, readline, write, seek, ioctl and close it through the module's handlers.

    from kmodsim import userspace
    f = userspace.open("/proc/helloworlddriver")
    print(f.readline())
    with userspace.open("/dev/knob") as knob:
        knob.ioctl(KNOB_RESET)

Each system call is its own kernel entry (the program may run for a while between them);
in between, the open file, with its position and private_data, is kept in the kernel with
its module's memory (kmodsim.files).

Which machine: `home=` names its folder; otherwise the one a `with userspace.machine(m):`
block (or the pytest plugin's `kmachine` fixture) set; otherwise the default one
(KMODSIM_HOME, or your user data folder), as `kmod` uses. Inside a block that set several
machines, or none (`with userspace.machine():`), a call without `home=` is refused rather than
reaching the default machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from kmodsim.files import SimulatedFile
from kmodsim.machine import Machine

# The machines the caller set, innermost block last; None: none set (the default machine).
_MACHINES: ContextVar[tuple[Any, ...] | None] = ContextVar("kmodsim_userspace_machines",
                                                           default=None)


def _home_of(m: Any) -> Path:
    home = getattr(m, "home", None)
    if home is None:
        home = m.store.home  # a Machine
    return Path(os.path.abspath(home))


@contextmanager
def machine(*machines: Any) -> Iterator[None]:
    """Inside the block, open() uses `machines`: the one given, or with several, the one whose
    folder `home=` names. A Machine, or anything with Machine's open() and a `home`
    (IsolatedMachine, the pytest plugin's machines)."""
    token = _MACHINES.set(tuple(machines))
    try:
        yield
    finally:
        _MACHINES.reset(token)


def current_machines() -> tuple[Any, ...] | None:
    """The machines a `machine()` block set, or None outside any."""
    return _MACHINES.get()


def open(path: str, mode: str = "r",  # noqa: A001
         home: str | os.PathLike[str] | None = None, nonblock: bool = False) -> Any:
    """Like the built-in open(), for a file of the simulated machine: an absolute path under
    /proc, /dev, /sys or /sys/kernel/debug (a relative one is under /proc). The program runs
    as the machine's user (uid 1000 for a Machine made without uid=). `nonblock`: O_NONBLOCK,
    a handler that would sleep returns -EAGAIN. Besides read, readline, write and close, the
    file has seek/tell (the llseek handler) and ioctl(cmd, arg) (arg a number, or a
    bytearray the handler reaches with copy_from_user/copy_to_user)."""
    chosen = _MACHINES.get()
    if chosen is None:
        return SimulatedFile(Machine(home), path, mode, nonblock)
    if home is not None:
        want = Path(os.path.abspath(home))
        for m in chosen:
            if _home_of(m) == want:
                return m.open(path, mode, nonblock)
        return SimulatedFile(Machine(home), path, mode, nonblock)  # named: a machine of its own
    if len(chosen) == 1:
        return chosen[0].open(path, mode, nonblock)
    homes = ", ".join(str(_home_of(m)) for m in chosen) or "none"
    raise RuntimeError(f"userspace.open({path!r}): this code set {len(chosen)} machines "
                       f"({homes}): say which with home=")
