"""A machine whose module code runs in a child process of its own: IsolatedMachine.

It has Machine's methods and raises Machine's errors, but every call goes over a pipe to a
child (`python -m kmodsim.grading.child`) that holds the real Machine; the grader's process
never runs module code. The child runs with resource limits and, where bubblewrap works, in
a sandbox that shows it nothing of the host but Python, kmodsim, the module files it loads
and its machine's folder (kmodsim.grading.sandbox).

What this does not do: keep a student's module from lying about its own machine. Its code
runs in the process that answers for that machine, so it can forge that machine's answers
(as it could in-process). It can't reach the grader's process, another student's machine or
(in the sandbox) any file of yours.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TextIO

from kmodsim.errors import (
    InsmodError,
    Killed,
    KmodError,
    ModuleMemoryError,
    ProcError,
    RmmodError,
    StoreError,
)
from kmodsim.grading import sandbox, wire
from kmodsim.grading.includes import included_files
from kmodsim.grading.sandbox import IsolationWarning, Limits

# pytest leaves this file's frames out of a test's traceback: the error is the module's
__tracebackhide__ = True

__all__ = ["IsolatedMachine", "IsolationError", "LimitExceeded", "Limits", "IsolationWarning",
           "RemoteFile"]


class IsolationError(KmodError):
    """The child process that runs a machine failed on its own account: it died, answered
    nonsense, or the sandbox that was asked for can't be had."""


class LimitExceeded(IsolationError):
    """The child went past one of its Limits and was stopped: `limit` is "cpu", "memory",
    "output" or "time". (Past the file size limit a write fails with EFBIG instead.)"""

    def __init__(self, limit: str, text: str) -> None:
        super().__init__(f"kmodsim: {text}")
        self.limit = limit


_ERRORS: dict[str, type[KmodError]] = {
    cls.__name__: cls for cls in (KmodError, InsmodError, RmmodError, ProcError, Killed,
                                  StoreError, ModuleMemoryError)}
_PLAIN = {"ValueError": ValueError, "TypeError": TypeError, "KeyError": KeyError}


def _rebuild(err: dict) -> BaseException:
    """The child's error as the grader's own exception object; never runs the child's code."""
    kind = err.get("type")
    if kind in _ERRORS:
        cls = _ERRORS[kind]
        e = cls.__new__(cls)
        KmodError.__init__(e, [str(x) for x in err["lines"]], int(err["errno"]))
        e.exit_code = int(err["exit_code"])
        if isinstance(e, ProcError):
            e.path = str(err["path"])
            if isinstance(err.get("partial"), bytes):  # what cat read before the error
                e.partial = err["partial"]  # type: ignore[attr-defined]
        if isinstance(e, Killed):
            e.signal = int(err["signal"])
        return e
    message = str(err.get("message", ""))
    if kind == "MemoryError":
        return LimitExceeded("memory", "the machine's process ran out of memory (its limit)")
    if kind == "KeyboardInterrupt":
        return KeyboardInterrupt()
    if kind in _PLAIN:
        return _PLAIN[kind](message)
    return IsolationError(f"kmodsim: the machine's process failed: {kind}: {message}")


class IsolatedMachine:
    """Machine(home, console, uid)'s methods, with module code run in a child process.

    `limits`: what the child may use (Limits()). `sandbox`: None (the default) uses
    bubblewrap when it works here and warns once (IsolationWarning) when it doesn't; True
    requires it (IsolationError without it); False never uses it. `readable`: more files
    the child may read in the sandbox (the module files insmod loads, and the files they
    include() by a literal name, are added by themselves). The child starts on the first
    call and again after it died; the machine itself lives in `home` and outlives any
    child.
    """

    def __init__(self, home: str | os.PathLike[str], console: TextIO | None = None,
                 uid: int = 1000, *, limits: Limits | None = None,
                 sandbox: bool | None = None,
                 readable: list[str | os.PathLike[str]] | tuple = ()) -> None:
        self.home = Path(os.path.abspath(home))
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.console = console
        self.uid = uid
        self.comm = "sh"
        self.limits = limits or Limits()
        self.readable = [Path(os.path.abspath(p)) for p in readable]
        if sandbox is False:
            self.sandboxed = False
        else:
            usable, why = sandbox_status()
            if not usable and sandbox:
                raise IsolationError(f"kmodsim: a sandbox was required, but {why}")
            if not usable:
                _warn(why)
            self.sandboxed = usable
        self._proc: subprocess.Popen[bytes] | None = None
        self._to_child = self._from_child = -1
        self._scratch: str | None = None
        self._output: IO[bytes] | None = None
        self._files: weakref.WeakSet[RemoteFile] = weakref.WeakSet()
        self._finalizer = weakref.finalize(self, _stop, None, -1, None)

    @property
    def isolation(self) -> str:
        """"bwrap" (sandboxed, with limits) or "process" (limits only)."""
        return "bwrap" if self.sandboxed else "process"

    # -- the child -----------------------------------------------------------------------
    def _start(self) -> None:
        self._scratch = tempfile.mkdtemp(prefix="kmodsim-scratch-")
        if self._output is not None:
            self._output.close()
        self._output = tempfile.TemporaryFile(prefix="kmodsim-child-output-")
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        package_parent = str(Path(sandbox.kmodsim_dir()).parent)
        env = {k: v for k, v in os.environ.items()
               if k.startswith("KMODSIM_") and k != "KMODSIM_HOME"}
        env.update(PATH="/usr/local/bin:/usr/bin:/bin", LANG="C.UTF-8",
                   PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=package_parent,
                   KMODSIM_HOME=str(self.home),
                   HOME="/tmp" if self.sandboxed else self._scratch,
                   TMPDIR="/tmp" if self.sandboxed else self._scratch)
        argv = [sys.executable, "-s", "-m", "kmodsim.grading.child", str(req_r), str(ans_w),
                str(self.home), str(self.uid)]
        if self.sandboxed:
            argv = sandbox.bwrap_command(self.home, Path(self._scratch), self.readable, argv)
        try:
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=self._output, stderr=self._output,
                pass_fds=(req_r, ans_w), env=env, start_new_session=True,
                cwd="/" if self.sandboxed else self._scratch, preexec_fn=self.limits.apply)
        finally:
            os.close(req_r)
            os.close(ans_w)
        self._to_child, self._from_child = req_w, ans_r
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _stop, self._proc, req_w, self._scratch)

    def _kill(self) -> None:
        """Stop the child now (it is mid-call, or must start again with another view)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self._forget()

    def _forget(self) -> None:
        self._finalizer.detach()
        for fd in (self._to_child, self._from_child):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._to_child = self._from_child = -1
        self._proc = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        for f in list(self._files):
            f.closed = True  # its open file lived in the child
        self._files.clear()

    def output(self) -> str:
        """What the child printed on its standard output and error (the last 64 KiB)."""
        if self._output is None:
            return ""
        self._output.seek(0, os.SEEK_END)
        size = self._output.tell()
        self._output.seek(max(0, size - 65536))
        return self._output.read().decode(errors="replace")

    def _death(self) -> IsolationError:
        """Why the child is gone, as the error to raise."""
        proc = self._proc
        assert proc is not None
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._kill()
            return IsolationError("kmodsim: the machine's process stopped answering")
        tail = self.output().strip().splitlines()[-5:]
        self._forget()
        if rc > 128 and self.sandboxed:  # bwrap exits 128+N when its child got signal N
            rc = 128 - rc
        if rc == -signal.SIGXCPU:
            return LimitExceeded("cpu", f"the machine's process used its "
                                        f"{self.limits.cpu_seconds} s of CPU time")
        what = f"killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
        return IsolationError([f"kmodsim: the machine's process {what}", *tail])

    def _exchange(self, message: dict) -> object:
        if self._proc is None:
            self._start()
        message["comm"] = self.comm
        request = wire.encode(message)
        limit = self.limits.call_seconds
        deadline = None if limit is None else time.monotonic() + limit
        try:
            try:
                wire.send(self._to_child, request)
            except BrokenPipeError:
                raise self._death() from None
            answer = wire.receive(self._from_child, self.limits.output_bytes, deadline)
        except TimeoutError:
            self._kill()
            raise LimitExceeded("time", f"a call took more than {limit} s: the machine's "
                                        f"process was stopped") from None
        except wire.FrameTooLarge as e:
            self._kill()
            raise LimitExceeded("output", f"the machine's process sent {e}: it was "
                                          f"stopped") from None
        except (ValueError, TypeError) as e:  # broken JSON, a frame that isn't an object
            self._kill()
            raise IsolationError(f"kmodsim: the machine's process answered nonsense: {e}"
                                 ) from None
        except BaseException:
            self._kill()  # Ctrl-C while it works: the conversation can't go on
            raise
        if answer is None:
            raise self._death()
        try:
            answer = wire.decode(answer)
            console = answer.get("console")  # type: ignore[union-attr]
            if console and self.console is not None:
                self.console.write(str(console))
                self.console.flush()
            if "error" in answer:  # type: ignore[operator]
                error = _rebuild(answer["error"])  # type: ignore[index]
            else:
                return answer["ok"]  # type: ignore[index]
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            self._kill()
            raise IsolationError(f"kmodsim: the machine's process answered nonsense: {e!r}"
                                 ) from None
        raise error

    def _call(self, method: str, *args: object, **kw: object) -> object:
        return self._exchange({"op": "call", "method": method, "args": list(args), "kw": kw})

    # -- Machine's methods ---------------------------------------------------------------
    @contextlib.contextmanager
    def as_program(self, comm: str) -> Iterator[IsolatedMachine]:
        saved, self.comm = self.comm, comm
        try:
            yield self
        finally:
            self.comm = saved

    def close(self) -> None:
        proc = self._proc
        if proc is not None:
            os.close(self._to_child)  # end of file: the child closes its machine and exits
            self._to_child = -1
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            self._kill()
        if self._output is not None:
            self._output.close()
            self._output = None

    def __enter__(self) -> IsolatedMachine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _expose(self, path: str) -> None:
        """Let the sandbox show the module file at `path` (starting the child again)."""
        p = Path(path)
        if not self.sandboxed or p in self.readable or not p.is_file():
            return
        if any(not f.closed for f in self._files):
            raise IsolationError(f"kmodsim: {path} isn't readable in the sandbox, and it can't "
                                 f"be added while files are open: pass readable=[...]")
        self.readable.append(p)
        if self._proc is not None:
            self.close()

    def insmod(self, path: str | os.PathLike[str], args: list[str] | tuple[str, ...] = (),
               typed: str | None = None) -> None:
        typed = typed or os.fspath(path)
        full = os.path.abspath(path)
        for shown in (full, *included_files(Path(full))):  # insmod reads them all
            self._expose(str(shown))
        self._call("insmod", full, list(args), typed)

    def rmmod(self, target: str, force: bool = False) -> None:
        self._call("rmmod", os.fspath(target), force)

    def modules(self) -> list:
        from kmodsim.machine import ModuleInfo

        return [ModuleInfo(str(n), int(s), int(r), [str(h) for h in hs], str(st), str(t))
                for n, s, r, hs, st, t in self._call("modules")]  # type: ignore[union-attr]

    def module_path(self, name: str) -> str | None:
        return self._call("module_path", name)  # type: ignore[return-value]

    def proc_list(self) -> list[str]:
        return [str(p) for p in self._call("proc_list")]  # type: ignore[union-attr]

    def proc_read(self, path: str, nonblock: bool = False) -> bytes:
        return _bytes(self._call("proc_read", path, bool(nonblock)))

    def proc_write(self, path: str, data: bytes) -> int:
        return int(self._call("proc_write", path, bytes(data)))  # type: ignore[arg-type]

    def read_file(self, path: str, nonblock: bool = False) -> bytes:
        return _bytes(self._call("read_file", path, bool(nonblock)))

    def write_file(self, path: str, data: bytes) -> int:
        return int(self._call("write_file", path, bytes(data)))  # type: ignore[arg-type]

    def ioctl(self, path: str, cmd: int, arg: int | bytes | bytearray = 0) -> int:
        with self.open(path, "rb") as f:
            return f.ioctl(cmd, arg)

    def list_dir(self, path: str) -> list[str] | None:
        names = self._call("list_dir", path)
        return None if names is None else [str(n) for n in names]  # type: ignore[union-attr]

    def stat(self, path: str) -> tuple[int, int, int, int] | None:
        found = self._call("stat", path)
        if found is None:
            return None
        mode, uid, gid, size = found  # type: ignore[misc]
        return int(mode), int(uid), int(gid), int(size)

    def kthreads(self) -> list[tuple[int, str, str]]:
        return [(int(pid), str(name), str(module))
                for pid, name, module in self._call("kthreads")]  # type: ignore[union-attr]

    def open(self, path: str, mode: str = "r", nonblock: bool = False) -> RemoteFile:
        fid = self._exchange({"op": "open", "args": [path, mode, bool(nonblock)]})
        f = RemoteFile(self, int(fid), path, mode)  # type: ignore[arg-type]
        self._files.add(f)
        return f

    def log_records(self, after_seq: int | None = None) -> list:
        from kmodsim.formats.kmsg import Record

        rows = self._call("log_records", after_seq)
        return [Record(int(seq), int(ts), int(level), str(text), int(fac), bool(cont),
                       None if caller is None else str(caller))
                for seq, ts, level, text, fac, cont, caller in rows]  # type: ignore[union-attr]

    def clear_log(self) -> None:
        self._call("clear_log")

    def read_clear_log(self) -> list:
        records = self.log_records()
        self.clear_log()
        return records

    def boot_time(self) -> float:
        return float(self._call("boot_time"))  # type: ignore[arg-type]

    def set_console_level(self, level: int) -> None:
        self._call("set_console_level", int(level))

    def set_console_enabled(self, on: bool) -> None:
        self._call("set_console_enabled", bool(on))

    def run_timers(self) -> None:
        self._call("run_timers")

    def advance_clock(self, seconds: float) -> None:
        self._call("advance_clock", float(seconds))

    def tainted(self) -> int:
        return int(self._call("tainted"))  # type: ignore[arg-type]

    def reboot(self, reset: bool = False, log_buf_len: int | str | None = None) -> None:
        self._call("reboot", bool(reset), log_buf_len)

    def leftover_proc_entries(self) -> list[list[str]]:
        """[path, module] of each /proc entry left behind by an unloaded module."""
        rows = self._exchange({"op": "leftover_proc"})
        return [[str(p), str(o)] for p, o in rows]  # type: ignore[union-attr]

    def __repr__(self) -> str:
        return f"IsolatedMachine({str(self.home)!r}, isolation={self.isolation!r})"


def _bytes(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise IsolationError(f"kmodsim: the machine's process answered a "
                             f"{type(value).__name__} where bytes were due")
    return value


class RemoteFile:
    """An open file (/proc, /dev, /sys) of a user program whose system calls run in the
    child."""

    def __init__(self, machine: IsolatedMachine, fid: int, path: str, mode: str) -> None:
        self._machine = machine
        self._fid = fid
        self.name = path
        self.mode = mode
        self.closed = False

    def _do(self, method: str, *args: object) -> object:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        return self._machine._exchange({"op": "file", "file": self._fid, "method": method,
                                        "args": list(args)})

    def _data(self, value: object) -> str | bytes:
        want = bytes if "b" in self.mode else str
        if not isinstance(value, want):
            raise IsolationError(f"kmodsim: the machine's process answered a "
                                 f"{type(value).__name__} where {want.__name__} was due")
        return value

    def read(self, size: int = -1) -> str | bytes:
        return self._data(self._do("read", size))

    def read1(self, size: int = 8192) -> bytes:
        return _bytes(self._do("read1", size))

    def readline(self) -> str | bytes:
        return self._data(self._do("readline"))

    def __iter__(self) -> RemoteFile:
        return self

    def __next__(self) -> str | bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def write(self, data: str | bytes) -> int:
        return int(self._do("write", data))  # type: ignore[arg-type]

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self._do("seek", int(offset), int(whence)))  # type: ignore[call-overload]

    def tell(self) -> int:
        return int(self._do("tell"))  # type: ignore[call-overload]

    def ioctl(self, cmd: int, arg: int | bytes | bytearray = 0) -> int:
        """As SimulatedFile.ioctl: a bytearray `arg` gets what the handler wrote."""
        buffer = isinstance(arg, (bytes, bytearray))
        answer = self._do("ioctl", int(cmd), bytes(arg) if buffer else int(arg))  # type: ignore[arg-type]
        if not isinstance(answer, list) or len(answer) != 2:
            raise IsolationError("kmodsim: the machine's process answered an ioctl oddly")
        ret, written = answer
        if isinstance(arg, bytearray) and isinstance(written, bytes):
            arg[:] = written
        return int(ret)

    def poll(self, events: int = 0x1 | 0x40, timeout: float | None = None) -> int:
        """As SimulatedFile.poll: the events ready, waiting up to `timeout` seconds."""
        return int(self._do("poll", int(events), timeout))  # type: ignore[call-overload]

    def close(self) -> None:
        if not self.closed:
            try:
                self._do("close")
            finally:
                self.closed = True

    def __enter__(self) -> RemoteFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stop(proc: subprocess.Popen[bytes] | None, fd: int, scratch: str | None) -> None:
    """At garbage collection or exit: the child and its scratch folder go."""
    if proc is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)


def sandbox_status() -> tuple[bool, str]:
    """(usable, why not): whether IsolatedMachine's default sandbox is bubblewrap here."""
    if os.environ.get("KMODSIM_NO_BWRAP"):
        return False, "KMODSIM_NO_BWRAP is set"
    return sandbox.bwrap_status()


def _warn(why: str) -> None:
    sandbox.warn_unavailable(why)
