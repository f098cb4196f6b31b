"""The task a command runs as (include/linux/sched.h): who it is, what context it is in, and
sleeping and waking.

A command is a task, as in a kernel built without preemption on one CPU: it runs without
interruption until it sleeps. Sleeping (msleep, a held mutex, wait_event, a completion…)
commits what the task did and lets other tasks run; a task that sleeps on a wait channel is
woken when another task wakes that channel (and has committed). The task itself lives as long
as its command; which tasks wait on what is this subsystem's state (`sched.*`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.pidns import own_pid, split, task_key, world_exists

if TYPE_CHECKING:
    from kmodsim.kernel.debug.lockdep import Held
    from kmodsim.kernel.debug.watchdog import Watchdog

WOKEN, TIMED_OUT, SIGNALLED = "woken", "timeout", "signal"
SIGINT = 2
# rung when a timer is armed: a task asleep on a channel wakes (without returning) to see when
# it must fire the timer (runtime/schedule)
TIMERS_CHANNEL = "timers"


class Task:
    """struct task_struct, the little of it the kernel's reports and checks need."""

    __slots__ = ("pid", "comm", "uid", "kind", "irqs_disabled", "in_irq", "held", "watchdog",
                 "signal_pending", "wakes", "kthread", "spawns", "state", "tasklets", "ended",
                 "sigint_held")

    def __init__(self, comm: str = "sh", uid: int = 1000) -> None:
        self.pid = os.getpid()
        self.comm = comm  # the program's name, as reports print it (cat, insmod, sh)
        self.uid = uid  # 0: root (kmod sh, the tutorials' sudo); 1000: an ordinary user
        self.kind = ""  # the hook running: init, exit, read, write, open, release, timer
        self.irqs_disabled = 0  # local_irq_save() depth
        self.in_irq = False  # running a timer callback (softirq: may not sleep)
        self.held: list[Held] = []  # locks held, in the order taken (lockdep's held_locks)
        self.watchdog: Watchdog | None = None  # armed while module code runs
        self.signal_pending = False  # Ctrl-C arrived; acted on where the kernel would
        self.wakes: set[str] = set()  # wait channels this task woke (rung after it commits)
        self.kthread = 0  # the kthread this task is (its id), or 0 for a command
        self.spawns: list[int] = []  # kthreads it created: started once it commits
        self.state = 0  # set_current_state(): what the next schedule() is (TASK_RUNNING)
        self.tasklets: list = []  # (module, tasklet) scheduled: run when module code is left
        # why the task must end at once, whatever module code does (its machine rebooted while
        # it slept): raised again at every sleep and when module code returns
        self.ended: BaseException | None = None
        self.sigint_held = False  # SIGINT blocked since its first sleep (runtime.schedule)


class SchedState(State):
    """Which tasks sleep on which wait channels (pid -> channels)."""

    PREFIX = "sched"

    def waiters(self) -> dict[str, list[str]]:
        return self.json_var("waiters")

    def register(self, pid: int, channels: tuple[str, ...]) -> None:
        waiters = {p: c for p, c in self.waiters().items() if alive(p)}
        waiters[task_key(pid)] = list(channels)
        self.set_json_var("waiters", waiters)

    def unregister(self, pid: int) -> None:
        waiters = self.waiters()
        if waiters.pop(task_key(pid), None) is not None:
            self.set_json_var("waiters", waiters)

    def woken_by(self, channels: set[str]) -> set[int]:
        """The tasks of this pid namespace waiting on any of `channels` (another's have
        doorbells this process can't ring: the sandbox has a network namespace too)."""
        woken = (own_pid(key) for key, waits in self.waiters().items()
                 if channels & set(waits))
        return {pid for pid in woken if pid is not None}


def woken_by(k: Kernel, channels: set[str]) -> set[int]:
    """The tasks waiting on any of `channels` (a mutex unlocked, a queue woken: most often
    nobody waits, which the machine-wide value says without making the state)."""
    if k.meta.get(f"{SchedState.PREFIX}.waiters") in (None, "{}"):
        return set()
    return k.state(SchedState).woken_by(channels)


def alive(task: int | str) -> bool:
    """Whether recorded task `task` (a pid of this process's namespace, or a task_key())
    still runs (a task that was killed left its waits behind). A zombie is dead: a
    kthread's process is nobody's child, and where no init reaps orphans (a container) it
    would stay one. Another pid namespace's task lives as long as its world does."""
    pid = own_pid(task)
    if pid is None:
        return world_exists(split(task)[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2][:3] != b" Z "
    except OSError:
        return True  # no /proc to ask: it answered the signal


def is_kthread_process(task: int | str) -> bool:
    """Whether recorded task `task` is alive and still a kthread's process (a pid the system
    gave to another program since is not: reboot must not kill it, kthread_stop not wait on
    it)."""
    if not alive(task):
        return False
    pid = own_pid(task)
    if pid is None:
        return True  # another world's, which still exists: its /proc isn't ours to read
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"kmodsim.kthreadd" in f.read().split(b"\0")
    except OSError:
        return True  # no /proc to ask: it answered the signal


def kthread_channel(tid: int) -> str:
    """What a kthread sleeps on besides its own waits: wake_up_process() and kthread_stop()
    ring it (a thread asleep in wait_event sees kthread_should_stop() once woken)."""
    return f"kthread:{tid}"


def wait_on(k: Kernel, channels: tuple[str, ...], timeout: float | None,
            interruptible: bool) -> str:
    """Sleep until a task wakes one of `channels`, `timeout` seconds pass (None: no limit),
    or, if `interruptible`, a signal arrives: WOKEN, TIMED_OUT or SIGNALLED. Other tasks run
    meanwhile; module memory is up to date when it returns. A kthread's wait also ends at
    wake_up_process() (kthread_stop()'s): as in the kernel, every waiter looks at its
    condition again and sleeps on if it doesn't hold."""
    if k.task.kthread > 0 and kthread_channel(k.task.kthread) not in channels:
        channels = (*channels, kthread_channel(k.task.kthread))
    return k.schedule(channels, timeout, interruptible)


def wake(k: Kernel, channel: str) -> None:
    """Wake the tasks sleeping on `channel` (once this task's work is committed)."""
    k.task.wakes.add(channel)


def sleep(k: Kernel, seconds: float, interruptible: bool = False) -> str:
    """The task sleeps `seconds`: others run meanwhile; the watchdog is not counting."""
    return k.schedule((), seconds, interruptible)


def channel(kind: str, obj: object) -> str:
    """A wait channel for a kernel object in module memory: its module and its name."""
    lm = _current.module()
    return f"{kind}:{lm.name if lm else ''}:{getattr(obj, 'name', '')}"


class _CurrentTask:
    """`current`: the task running this module code (`current->pid`: `current.pid`)."""

    @property
    def pid(self) -> int:
        return _current.entry().task.pid

    @property
    def comm(self) -> str:
        return _current.entry().task.comm

    def __reduce__(self) -> str:
        return "current"

    def __repr__(self) -> str:
        return "current"


current = _CurrentTask()


def signal_pending(task: object = None) -> int:
    """`signal_pending(current)`: 1 if a signal (Ctrl-C) waits for this task."""
    task = _current.entry().task
    if not task.signal_pending and task.sigint_held:  # held back, not yet seen
        import _signal

        task.signal_pending = SIGINT in _signal.sigpending()
    return int(task.signal_pending)


def local_irq_save(k: Kernel) -> int:
    task = k.task
    flags = 0 if task.irqs_disabled else 0x200  # X86_EFLAGS_IF
    task.irqs_disabled += 1
    return flags


def local_irq_restore(k: Kernel, flags: int) -> None:
    task = k.task
    task.irqs_disabled = max(0, task.irqs_disabled - 1)
