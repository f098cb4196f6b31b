"""User programs: open a /proc file and read, readline, write it through the module's handlers.

    from kmodsim import userspace
    f = userspace.open("/proc/helloworlddriver")
    print(f.readline())

Each system call is its own kernel entry (the program may run for a while between them);
the open file, with its position and private_data, stays with the program in between
(kmodsim.files).
"""

from __future__ import annotations

import os

from kmodsim.files import ProcFile
from kmodsim.machine import Machine


def open(path: str, mode: str = "r", home: str | os.PathLike[str] | None = None) -> ProcFile:  # noqa: A001
    """Like the built-in open(), for files under /proc of the simulated machine."""
    return ProcFile(Machine(home), path, mode)
