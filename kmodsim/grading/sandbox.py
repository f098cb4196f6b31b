"""How a child process is contained: resource limits always, bubblewrap where it works.

Resource limits (setrlimit in the child, before it runs Python) bound what one student's
machine can take: CPU seconds, address space, the size of any file it writes. They contain
nothing else: a process with limits alone can still read and write whatever the grader's
user can.

bubblewrap (`bwrap`, Debian's package of that name) is what contains it: the child gets a
file system of its own made of read-only binds of what Python needs (the system's /usr and
libraries, the Python installation, the kmodsim package), the module files it loads and
the files they include() (each file alone, read-only), its machine's folder (the only
place it can write, with a scratch folder as its /tmp), no network, its own process, IPC
and user namespaces, and no capabilities. Nothing else of the host is there: not your
home, not the other students' folders, not the answer key. Where bwrap is missing or can't
make namespaces (unprivileged user namespaces turned off), kmodsim says so once (an
IsolationWarning) and runs the child with limits alone.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path


class IsolationWarning(UserWarning):
    """Isolation is weaker than asked: bubblewrap can't be used on this host."""


@dataclass(frozen=True)
class Limits:
    """What one child may use. None: no limit of that kind."""

    cpu_seconds: int | None = 60  # RLIMIT_CPU: then SIGXCPU ends it
    memory_bytes: int | None = 1 << 30  # RLIMIT_AS: then allocations fail (MemoryError)
    file_bytes: int | None = 64 << 20  # RLIMIT_FSIZE: its store, its output, any file it
    # writes; a write past it fails with EFBIG (Python ignores SIGXFSZ)
    output_bytes: int = 16 << 20  # the largest answer the grader reads from it
    call_seconds: float | None = 120.0  # wall-clock time one call may take (a task asleep
    # forever); then the child is killed. Not an rlimit: the grader's clock.
    open_files: int | None = 256  # RLIMIT_NOFILE

    def apply(self) -> None:
        """In the child, before exec: set the limits (soft = hard, so it can't raise them)."""
        def cap(which: int, value: int | None, extra: int = 0) -> None:
            if value is not None:
                resource.setrlimit(which, (value, value + extra))

        cap(resource.RLIMIT_CPU, self.cpu_seconds, 1)  # SIGXCPU at soft, SIGKILL at hard
        cap(resource.RLIMIT_AS, self.memory_bytes)
        cap(resource.RLIMIT_FSIZE, self.file_bytes)
        cap(resource.RLIMIT_NOFILE, self.open_files)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


_probe: tuple[bool, str] | None = None
_warned = False


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def bwrap_status() -> tuple[bool, str]:
    """(usable, why not): bwrap is on PATH and can make this sandbox here. Asked once."""
    global _probe
    if _probe is None:
        exe = bwrap_path()
        if exe is None:
            _probe = (False, "bubblewrap (bwrap) is not installed")
        else:
            cmd = bwrap_command(Path("/"), Path("/"), [], ["true"], probe=True)
            try:
                p = subprocess.run(cmd, capture_output=True, timeout=30,
                                   stdin=subprocess.DEVNULL)
                err = p.stderr.decode(errors="replace").strip()
                _probe = (p.returncode == 0, f"bwrap can't make a sandbox here: {err}")
            except (OSError, subprocess.TimeoutExpired) as e:
                _probe = (False, f"bwrap can't make a sandbox here: {e}")
    return _probe


def warn_unavailable(reason: str) -> None:
    """Say once per process that machines run with limits alone."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(f"kmodsim: {reason}; each student's machine runs in its own process "
                      f"with resource limits only: its module code can read and write "
                      f"what your user can (see docs/grading.md)", IsolationWarning,
                      stacklevel=4)


def kmodsim_dir() -> Path:
    """The kmodsim package's folder (the child finds it through PYTHONPATH=its parent)."""
    import kmodsim

    return Path(kmodsim.__file__).resolve().parent


def python_paths() -> list[Path]:
    """What the child's Python needs to see: its installation and kmodsim's code; not the
    rest of sys.path (pytest puts the teacher's test folders there)."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
             Path(sys.base_exec_prefix), Path(os.path.realpath(sys.executable)).parent,
             kmodsim_dir()}
    for p in sys.path:  # site-packages outside the prefixes (user site, PYTHONPATH)
        if p and "site-packages" in p and Path(p).is_dir():
            paths.add(Path(p))
    return sorted(paths)


SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
                "/etc/passwd", "/etc/group", "/etc/nsswitch.conf"]


def bwrap_command(home: Path, scratch: Path, readable: list[Path], argv: list[str],
                  probe: bool = False) -> list[str]:
    """bwrap's command line around argv: the child's whole view of the host."""
    cmd = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
           "--cap-drop", "ALL", "--proc", "/proc", "--dev", "/dev"]
    for p in SYSTEM_PATHS:
        cmd += ["--ro-bind-try", p, p]
    if probe:
        return [*cmd, "--tmpfs", "/tmp", "--chdir", "/", *argv]
    # /tmp first: Python, kmodsim, the machine's folder and the module files may all be
    # under the host's /tmp (a venv in a fresh clone there), and a later bind shows them
    cmd += ["--bind", str(scratch), "/tmp"]
    for p in python_paths():
        cmd += ["--ro-bind", str(p), str(p)]
    cmd += ["--bind", str(home), str(home)]
    for p in readable:
        cmd += ["--ro-bind", str(p), str(p)]
    return [*cmd, "--chdir", "/tmp", *argv]
