"""kthreadd: starts the processes kthreads (and the workqueue's worker) run in.

A kthread is started once the task that created it has committed, so that it finds itself in
the store. Its process is a grandchild in a session of its own: no command waits for it,
none is left a zombie, and Ctrl-C in the creator's terminal doesn't reach it.
It runs `python -m kmodsim.kthreadd HOME ID NAME`, so `ps` shows which thread it is.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmodsim.runtime.entry import KernelEntry


def home_of(k: KernelEntry) -> str:
    """The machine's folder: where its store file is."""
    row = k.db.execute("PRAGMA database_list").fetchone()
    return os.path.dirname(row[2])


def start_spawned(k: KernelEntry) -> None:
    """Once the task has committed: start the kthreads it created (0: the worker)."""
    spawns, k.task.spawns = k.task.spawns, []
    if not spawns:
        return
    home = home_of(k)
    for tid in spawns:
        start(home, tid)


def start(home: str, tid: int) -> None:
    """Start kthread `tid`'s process. The spawner may itself be asleep inside module code,
    where a fork() is refused (runtime/guard.py), so it is posix_spawn()ed: a shell in a new
    session that puts the thread's process in the background and leaves at once."""
    argv = ["/bin/sh", "-c", '"$0" -m kmodsim.kthreadd "$1" "$2" '
            '</dev/null >/dev/null 2>&1 &', sys.executable, home, str(tid)]
    # no signal blocked: the spawner may hold SIGINT back while it sleeps (runtime/schedule)
    pid = os.posix_spawn("/bin/sh", argv, os.environ, setsid=True, setsigmask=())
    os.waitpid(pid, 0)

def stop_all(k: KernelEntry) -> None:
    """Kill the processes of the boot's kthreads (reboot): what they committed is wiped with
    the rest of the boot."""
    import signal

    from kmodsim.kernel.kthread import KthreadState
    from kmodsim.kernel.pidns import own_pid
    from kmodsim.kernel.sched import is_kthread_process
    from kmodsim.kernel.workqueue import WorkState

    worker = k.state(WorkState).worker_task()
    own = own_pid(worker) if worker and is_kthread_process(worker) else None
    workers = [own] if own is not None else []  # (another pid namespace's isn't ours to kill)
    for pid in [*k.state(KthreadState).pids(), *workers]:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:  # gone already, or the pid is another user's now
            pass
