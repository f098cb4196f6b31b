"""What coreutils' `cat` and the shell's `echo DATA >` do with a file: the system calls they
make, in the order they make them.

Reading behaves like `cat`: read calls with a 128 KiB count until 0 or an error; a handler
that never advances `ppos` shows the runaway output a real cat would, until kmodsim stops it
with a note. Writing behaves like `echo DATA >`: one write, and a short write is retried with
the rest, as stdio does.
"""

from __future__ import annotations

from kmodsim.errors import ProcError
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.errno import EIO
from kmodsim.kernel.fs import OpenFile, open_file, read, release, write
from kmodsim.kernel.module import ModuleState
from kmodsim.kernel.panic import TaskDied
from kmodsim.kernel.vfs import O_CREAT, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY

CAT_COUNT = 128 * 1024  # coreutils cat reads with a 128 KiB buffer
RUNAWAY_BYTES = 1024 * 1024
RUNAWAY_CALLS = 10_000


def cat(k: Kernel, path: str, nonblock: bool = False) -> bytes:
    """`cat PATH` (absolute): read until 0. A ProcError carries what was read before it."""
    of = open_file(k, path, O_RDONLY | (O_NONBLOCK if nonblock else 0))
    out = bytearray()
    calls = 0
    try:
        while True:
            chunk = read(k, of, CAT_COUNT)
            if not chunk:
                break
            out += chunk
            calls += 1
            if len(out) > RUNAWAY_BYTES or calls >= RUNAWAY_CALLS:
                bound = ("more than 1 MiB" if len(out) > RUNAWAY_BYTES
                         else f"{RUNAWAY_CALLS} read calls")
                err = ProcError(path, EIO, [
                    f"kmod: stopped reading {path} after {bound}: the read handler never "
                    f"returned 0 (end of file). Does it advance *ppos (ppos.value) and return 0 "
                    f"once ppos.value is past the end?"])
                err.lines = err.lines[1:]  # cat itself saw no error: only kmodsim's note
                err.partial = bytes(out)  # type: ignore[attr-defined]
                raise err
    except ProcError as e:
        if not hasattr(e, "partial"):
            e.partial = bytes(out)  # type: ignore[attr-defined]
        close(k, of)
        raise
    except TaskDied:
        dropped(k, of)
        raise
    release(k, of)
    return bytes(out)


def echo(k: Kernel, path: str, data: bytes) -> int:
    """`echo DATA > PATH` (absolute): stdio keeps writing the rest until all is taken."""
    of = open_file(k, path, O_WRONLY | O_CREAT | O_TRUNC)  # the shell's `>`
    done = zero_runs = 0
    try:
        while done < len(data):  # nothing to write, no write(2): as stdio does
            n = write(k, of, data[done:])
            done += n
            zero_runs = zero_runs + 1 if n == 0 else 0
            if zero_runs >= RUNAWAY_CALLS:
                raise ProcError(path, EIO, [f"kmod: the write handler accepted 0 bytes "
                                            f"{RUNAWAY_CALLS} times in a row: it must return "
                                            f"how many bytes it took"])
    except ProcError:
        close(k, of)  # the program goes on to close the file (echo's shell does)
        raise
    except TaskDied:
        dropped(k, of)
        raise
    release(k, of)
    return done


def close(k: Kernel, of: OpenFile) -> None:
    """close() after a failed read or write: the release hook runs as at any close."""
    release(k, of)


def dropped(k: Kernel, of: OpenFile) -> None:
    """The task died in the kernel: its files are closed with it (the module put back)."""
    if of.lm is not None:
        k.state(ModuleState).file_closed(of.lm.name)
