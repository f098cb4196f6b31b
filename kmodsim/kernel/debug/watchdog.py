"""The soft-lockup watchdog (kernel/watchdog.c): module code that runs too long without
sleeping is stopped with the kernel's report, instead of hanging the learner's shell.

Armed only while module code runs; sleeping (msleep and friends) pauses it, as a context
switch touches the real watchdog. In the main thread it is a real-time interval timer
(SIGALRM); in any other thread (the Python API used from one), a timer thread that raises
in the module's thread (PyThreadState_SetAsyncExc), since signals reach only the main one.

Module code can't defeat it. A lockup swallowed by `try: … except: pass` is raised again:
at once, at the module's next line (the exception, when dropped, turns on a line tracer that
raises it; raising from the handler itself leaves that `try`), and at every tick after.

The watchdog also keeps the process's own signal handling intact for a caller (a grader's
pytest-timeout, Ctrl-C): the caller's SIGALRM handler and the time left on its timer are
put back when module code ends (and while it sleeps), its alarm still goes off on time, and
what the caller's SIGALRM or SIGINT handler raises passes through module code untouched
(`passthrough`), never reported as the module's fault.
"""

from __future__ import annotations

import _signal  # the C module: `signal` builds enums at import, which costs a command
import _thread
import os
import sys
import time
from collections.abc import Callable
from types import FrameType

from kmodsim.kernel._current import Kernel
from kmodsim.kernel.module import TAINT_SOFTLOCKUP, Module, add_taint, modules_linked_in
from kmodsim.kernel.panic import KernelFault
from kmodsim.kernel.printk import hint, log_lines
from kmodsim.kernel.stacktrace import HARDWARE, Frame, call_trace, cpu_line

DEFAULT_THRESH_S = 5.0
TICK_S = 0.1  # after a lockup, how often it is raised again while module code goes on
TINY_S = 1e-6  # "at once", for setitimer (0 would disarm)


def threshold() -> float:
    try:
        value = float(os.environ.get("KMODSIM_WATCHDOG_THRESH", DEFAULT_THRESH_S))
    except ValueError:
        value = DEFAULT_THRESH_S
    return value if value > 0 else DEFAULT_THRESH_S


class SoftLockup(KernelFault):
    def __init__(self, seconds: float | None = None) -> None:
        # made with no argument when raised in another thread (SetAsyncExc takes a class)
        watchdog = active()
        if seconds is None:
            seconds = watchdog.running_for() if watchdog is not None else threshold()
        super().__init__(f"stuck for {seconds:.0f}s")
        self.seconds = seconds
        self.watchdog = watchdog
        if watchdog is not None and watchdog.lockup is not None:
            # raised before and caught: raising it again in the catcher leaves its `try`
            watchdog.trace_module_lines()

    def __del__(self) -> None:
        # dropped while its watchdog still runs: module code caught it and went on
        watchdog = self.watchdog
        if watchdog is not None and not watchdog.stopping:
            watchdog.trace_module_lines()

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        module = lm.name if lm else "?"
        rip = frames[0].symbol(module) if frames else "?"
        lines = [(0, f"watchdog: BUG: soft lockup - CPU#0 stuck for {int(self.seconds)}s! "
                     f"[{k.task.comm}:{k.task.pid}]"),
                 (4, f"Modules linked in: {modules_linked_in(k)}"),
                 (4, cpu_line(k)), (4, f"Hardware name: {HARDWARE}"), (4, f"RIP: 0010:{rip}"),
                 *[(4, t) for t in call_trace(k, frames[1:], module)]]
        log_lines(k, lines)
        add_taint(k, TAINT_SOFTLOCKUP)
        hint(k, "kmodsim: hint: module code ran for more than "
               f"{threshold():g} s without sleeping or returning"
               + (f"; it was at {frames[0].where}" if frames else "")
               + " (a loop whose condition never changes?)")


# The watchdogs armed in each thread (by thread id), innermost last: module code may enter
# the kernel again, say a top level run while a hook runs.
_STACKS: dict[int, list[Watchdog]] = {}


def active() -> Watchdog | None:
    """The watchdog of the module code running in this thread, if any."""
    stack = _STACKS.get(_thread.get_ident())
    return stack[-1] if stack else None


class Watchdog:
    """Counts the time module code runs; pauses while it sleeps. One per run of module code:
    `run()` it, or arm()…disarm() around it."""

    # what a fresh one holds (class attributes: a watchdog is made for every run of module
    # code, so its constructor sets only what differs)
    used = 0.0  # seconds run before the current stretch
    started = 0.0
    running = False  # module code runs (not asleep)
    stopping = False  # set before disarm(); from then on nothing is raised
    lockup: SoftLockup | None = None  # the first lockup raised
    next_tick = 0.0  # once raised, when it is raised again
    passthrough: BaseException | None = None  # the caller's signal handler raised it
    forked = ""  # where module code forked a process
    boundary: FrameType | None = None  # the frame that called module code
    _timer: _SignalTimer | _ThreadTimer | None = None
    _saved_trace: Callable | None = None
    _tracing = False

    def __init__(self, path: str = "", limit: float | None = None) -> None:
        self.path = path  # the module file: its frames are the ones traced after a lockup
        self.limit = threshold() if limit is None else limit
        self.faults: list[BaseException] = []  # raised where module code couldn't catch them

    # -- running module code ----------------------------------------------------------------
    def run(self, fn: Callable, *args: object) -> tuple[object, BaseException | None]:
        """Call module code under the watchdog: (what it returned, what it raised). A lockup
        delivered just as it ended (from another thread, or a signal already pending) is
        caught here too, never let loose in the kernel's own code."""
        self.boundary = sys._getframe(0)
        self.arm()
        result: object = None
        error: BaseException | None = None
        try:
            try:
                result = fn(*args)
            finally:
                self.stopping = True  # an attribute, not a call: nothing is delivered before it
        except BaseException as exc:  # noqa: BLE001 - the caller sorts it out
            error = exc
        try:
            self.disarm()  # the first call after module code: where a late lockup lands
        except SoftLockup as late:
            self.disarm()
            error = error or late
        return result, error

    def running_for(self) -> float:
        return self.used + (time.monotonic() - self.started if self.running else 0.0)

    def arm(self) -> None:
        ident = _thread.get_ident()
        stack = _STACKS.get(ident)
        if stack is None:
            stack = _STACKS[ident] = []
        stack.append(self)
        self.started = time.monotonic()
        self.running = True
        try:
            self._timer = _SignalTimer(self)  # it schedules itself
        except ValueError:  # not the main thread: signals can't be used here
            self._timer = _ThreadTimer(self)
            self._timer.schedule()

    def pause(self) -> None:
        if self.running:
            self.used += time.monotonic() - self.started
            self.running = False
            if self._timer is not None:
                self._timer.schedule()

    def resume(self) -> None:
        if not self.running:
            self.started = time.monotonic()
            self.running = True
            if self._timer is not None:
                self._timer.schedule()

    def disarm(self) -> None:
        self.stopping = True
        self.running = False
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.close()
        if self._tracing:
            self._tracing = False
            sys.settrace(self._saved_trace)
        ident = _thread.get_ident()
        stack = _STACKS.get(ident)
        if stack:
            if stack[-1] is self:
                stack.pop()
            elif self in stack:
                stack.remove(self)
            if not stack:
                del _STACKS[ident]

    # -- the lockup ---------------------------------------------------------------------------
    def deadline(self) -> float | None:
        """When the lockup (or, once raised, the next tick) is due; None while asleep."""
        if not self.running or self.stopping:
            return None
        if self.lockup is not None:
            return self.next_tick
        return self.started + self.limit - self.used

    def fire_due(self) -> bool:
        """Whether the lockup is due now; if so, the next tick is counted from now."""
        deadline = self.deadline()
        if deadline is None or time.monotonic() < deadline - 1e-3:
            return False
        self.next_tick = time.monotonic() + TICK_S
        return True

    def trace_module_lines(self) -> None:
        """Raise the lockup again at the next line of module code (in this thread)."""
        if self.stopping:
            return
        if not self._tracing:
            self._saved_trace = sys.gettrace()
            self._tracing = True
        sys.settrace(self._trace_call)
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and frame is not self.boundary:
            if self._is_module(frame):
                frame.f_trace = self._trace_line
            frame = frame.f_back

    def _is_module(self, frame: FrameType) -> bool:
        return frame.f_globals.get("__kmod_source__") == self.path

    def _trace_call(self, frame: FrameType, event: str, arg: object) -> Callable | None:
        if self.stopping or not self._is_module(frame):
            return None
        return self._trace_line

    def _trace_line(self, frame: FrameType, event: str, arg: object) -> Callable | None:
        if self.stopping:
            return None
        if event == "line":  # Python turns tracing off as this leaves: the next catch re-arms
            raise SoftLockup(self.running_for())
        return self._trace_line

    # -- the caller's signal handlers -----------------------------------------------------------
    def call_theirs(self, handler: Callable, signum: int, frame: object) -> None:
        """Run the caller's signal handler; what it raises is the caller's, not the module's."""
        try:
            handler(signum, frame)
        except BaseException as exc:
            self.passthrough = exc
            raise


class _SignalTimer:
    """The main thread's watchdog: SIGALRM, shared with the caller's timer, whose handler and
    time left are restored when module code ends."""

    # what is known of the caller's timer until setitimer() says (an alarm in between finds
    # these, not a missing attribute)
    their_deadline: float | None = None
    their_interval = 0.0

    def __init__(self, watchdog: Watchdog) -> None:
        self.watchdog = watchdog
        # ValueError here, in another thread: the caller falls back to _ThreadTimer
        self.their_alarm = _signal.signal(_signal.SIGALRM, self._on_alarm)
        self.their_sigint = _signal.getsignal(_signal.SIGINT)
        if callable(self.their_sigint):  # Python's KeyboardInterrupt, or the caller's own
            _signal.signal(_signal.SIGINT, self._on_sigint)
        # ours armed at once; setitimer() says what was left of theirs, which goes first if
        # it is due sooner
        now = time.monotonic()
        ours = (watchdog.deadline() or now) - now
        left, self.their_interval = _signal.setitimer(_signal.ITIMER_REAL, max(TINY_S, ours))
        if left > 0:
            self.their_deadline = now + left
            if left < ours:
                _signal.setitimer(_signal.ITIMER_REAL, left)

    def schedule(self) -> None:
        due = self.watchdog.deadline()
        theirs = self.their_deadline
        if due is None or (theirs is not None and theirs < due):
            due = theirs
        _signal.setitimer(_signal.ITIMER_REAL,
                          0.0 if due is None else max(TINY_S, due - time.monotonic()))

    def _on_alarm(self, signum: int, frame: object) -> None:
        watchdog = self.watchdog
        if watchdog.stopping:
            return  # close() gives the caller its alarm back
        now = time.monotonic()
        if self.their_deadline is not None and now >= self.their_deadline - 1e-3:
            self.their_deadline = now + self.their_interval if self.their_interval else None
            self._deliver_theirs(signum, frame)
        if not watchdog.fire_due():
            self.schedule()
            return
        lockup = SoftLockup(watchdog.running_for())
        if watchdog.lockup is None:
            watchdog.lockup = lockup
        self.schedule()
        raise lockup

    def _deliver_theirs(self, signum: int, frame: object) -> None:
        handler = self.their_alarm
        if callable(handler):
            self.schedule()  # ours goes on, should theirs return
            self.watchdog.call_theirs(handler, signum, frame)
        elif handler != _signal.SIG_IGN:  # SIG_DFL: the caller asked to be killed by it
            _signal.signal(_signal.SIGALRM, _signal.SIG_DFL)
            _signal.raise_signal(_signal.SIGALRM)

    def _on_sigint(self, signum: int, frame: object) -> None:
        self.watchdog.call_theirs(self.their_sigint, signum, frame)  # type: ignore[arg-type]

    def close(self) -> None:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        _signal.signal(_signal.SIGALRM, self.their_alarm if self.their_alarm is not None
                       else _signal.SIG_DFL)
        if callable(self.their_sigint):
            _signal.signal(_signal.SIGINT, self.their_sigint)
        if self.their_deadline is not None:
            left = max(TINY_S, self.their_deadline - time.monotonic())
            _signal.setitimer(_signal.ITIMER_REAL, left, self.their_interval)


class _ThreadTimer:
    """Another thread's watchdog: a daemon thread that raises the lockup in the module's
    thread (between two bytecodes, as a signal handler would)."""

    def __init__(self, watchdog: Watchdog) -> None:
        self.watchdog = watchdog
        self.target = _thread.get_ident()
        self.lock = _thread.allocate_lock()
        self.generation = 0  # bumped by every schedule(): an older sleeper gives up
        self.closed = False

    def schedule(self) -> None:
        with self.lock:
            self.generation += 1
            deadline = self.watchdog.deadline()
            if deadline is not None and not self.closed:
                _thread.start_new_thread(self._sleep_until, (deadline, self.generation))

    def _sleep_until(self, deadline: float, generation: int) -> None:
        while True:
            time.sleep(max(0.0, deadline - time.monotonic()))
            with self.lock:
                watchdog = self.watchdog
                if self.closed or generation != self.generation or watchdog.stopping:
                    return
                if watchdog.fire_due():
                    if watchdog.lockup is None:
                        watchdog.lockup = SoftLockup(watchdog.running_for())
                    _async_raise(self.target, SoftLockup)
                next_deadline = watchdog.deadline()
                if next_deadline is None:
                    return
                deadline = next_deadline

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.generation += 1
            _async_raise(self.target, None)  # one set just before, not yet delivered


def _async_raise(thread_id: int, exc: type[BaseException] | None) -> None:
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc else None)
