"""Which pid namespace ("world") a pid belongs to, and whether another world still exists.

A machine's store keeps pids: who holds a file open, who waits on what, which process a
kthread runs in. A pid means something only in the pid namespace it was taken in, and the
grading sandbox gives each child one of its own (bubblewrap's --unshare-pid: the child is
pid 2 there, while the host's pid 2 is the kernel's kthreadd). So a pid recorded outside
the initial namespace is recorded as `PID@WORLD`; a world is named by its namespace's inode
and the start time of its pid 1, since the kernel gives a freed namespace inode to the next
one made. A process of another world can't ask after that world's pids one by one; it can
see whether the world still exists when the world is nested in its own (the host sees a
sandbox's processes: every process of a sandbox dies with the sandbox). A world it can't
see (a sandbox looking at the host's records, or another sandbox's) may still be running:
its tasks count as alive.
"""

from __future__ import annotations

import os

INITIAL_PID_NS = 0xEFFFFFFC  # PROC_PID_INIT_INO (include/linux/proc_ns.h)
_world: str | None = None
_gone: set[str] = set()  # worlds found ended (an ended world never comes back)


def world() -> str:
    """This process's world: "" for the initial pid namespace (its pids need no name, and
    stores made before worlds were named hold them so), or when /proc can't say."""
    global _world
    if _world is None:
        _world = ""
        try:
            ino = os.stat("/proc/self/ns/pid").st_ino
            if ino != INITIAL_PID_NS:
                _world = f"{ino}.{_start_time(1)}"
        except (OSError, ValueError, IndexError):
            pass
    return _world


def task_key(pid: int) -> str:
    """How a record names task `pid` of this process."""
    here = world()
    return f"{pid}@{here}" if here else str(pid)


def split(key: int | str) -> tuple[int, str]:
    """(pid, world) of a recorded task ("": the initial namespace)."""
    pid, _, of = str(key).partition("@")
    return int(pid), of


def own_pid(key: int | str) -> int | None:
    """The pid of a recorded task in this process's namespace; None for another world's."""
    pid, of = split(key)
    return pid if of == world() else None


def world_exists(of: str) -> bool:
    """Whether world `of` (not this process's) may still have processes. The initial
    namespace sees every world nested in it; a sandbox sees neither the host nor another
    sandbox, and takes their tasks for alive: it must not release another live process's
    files (the host, which sees the sandbox end, does that)."""
    if of in _gone:
        return False
    if world():
        return True  # out of sight: not known to be gone
    ino, _, start = of.partition(".")
    if any(_is_init_of(pid, int(ino), start) for pid in _pids()):
        return True
    _gone.add(of)
    return False


def _pids() -> list[str]:
    try:
        return [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def _is_init_of(pid: str, ino: int, start: str) -> bool:
    """Whether process `pid` is the running pid 1 of namespace `ino`, started at `start`.
    (Once it died, a zombie until reaped, the kernel has killed the rest of its world.)"""
    try:
        if os.stat(f"/proc/{pid}/ns/pid").st_ino != ino:
            return False
        with open(f"/proc/{pid}/status", "rb") as f:
            nspid = next((line for line in f if line.startswith(b"NSpid:")), b"")
        fields = _stat_fields(int(pid))
        return nspid.split()[-1:] == [b"1"] and fields[0] != b"Z" and \
            fields[19].decode() == start
    except (OSError, ValueError, IndexError):
        return False


def _start_time(pid: int) -> int:
    """When process `pid` started, in clock ticks after boot (/proc/PID/stat field 22)."""
    return int(_stat_fields(pid)[19])


def _stat_fields(pid: int) -> list[bytes]:
    """/proc/PID/stat's fields from the state (field 3) on."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rpartition(b")")[2].split()
