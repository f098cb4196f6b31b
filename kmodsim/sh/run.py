"""The shell: lists (`;`, `&&`, `||`), pipelines, redirections and `$?`, as dash runs them,
with dash's messages (`sh: 1: cannot create /proc/x: Directory nonexistent`).
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from kmodsim.errors import SIGNAL_TEXT, Killed, KmodError, strerror
from kmodsim.sh import words
from kmodsim.sh.files import FileError, Writer, is_simulated, open_file
from kmodsim.sh.programs import SHELL_BUILTINS, Context, ShellDied, program_for

if TYPE_CHECKING:
    import bashlex.ast

    from kmodsim.machine import Machine

# dash's errmsg(): what `cannot create`/`cannot open` say for these
_CREATE_TEXT = {errno.ENOENT: "Directory nonexistent"}
_OPEN_TEXT = {errno.ENOENT: "No such file"}


class Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            return
        yield chunk


class _Redirected:
    """Where one command's streams go, after its redirections."""

    def __init__(self, shell: Shell) -> None:
        self.stdin_path: str | None = None
        self.stdout_path: str | None = None
        self.stdout_mode = "wb"
        self.stdout_to_stderr = False
        self.stderr: BinaryIO = shell.stderr
        self.stderr_to_stdout = False


class Shell:
    def __init__(self, machine: Machine, stdin: BinaryIO, stdout: BinaryIO, stderr: BinaryIO,
                 name: str = "sh") -> None:
        self.machine = machine
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.name = name  # `sh`, or the script's name: dash's messages start with it
        self.lineno = 0
        self.status = 0
        self.variables: dict[str, str] = {}
        self.jobs: list[int] = []  # pids of the `&` jobs, for `wait`

    # -- messages -----------------------------------------------------------------------
    def error(self, text: str) -> None:
        self.stderr.write(os.fsencode(f"{self.name}: {self.lineno}: {text}\n"))
        self.stderr.flush()

    # -- lines --------------------------------------------------------------------------
    def run_line(self, line: str) -> int:
        """Run one line; returns $?. Raises Exit when the shell ends (exit, or killed)."""
        self.lineno += 1
        if not line.strip() or line.lstrip().startswith("#"):
            return self.status
        try:
            nodes = words.parse(line)
        except words.ParseError as e:
            self.error(f"Syntax error: {e.message if hasattr(e, 'message') else e}")
            self.status = 2
            return 2
        except NotImplementedError as e:
            self.error(f"not supported by kmod sh: {e}")
            self.status = 2
            return 2
        try:
            for node in nodes:
                self._node(line, node)
        except ShellDied as e:
            raise Exit(e.status) from None
        return self.status

    def _node(self, line: str, node: bashlex.ast.node) -> None:
        kind = node.kind
        if kind == "list":
            parts = node.parts
            op = ""
            for i, part in enumerate(parts):
                if part.kind == "operator":
                    op = part.op
                    continue
                if (op == "&&" and self.status != 0) or (op == "||" and self.status == 0):
                    continue
                after = parts[i + 1] if i + 1 < len(parts) else None
                if after is not None and after.kind == "operator" and after.op == "&":
                    self._background(line, part)
                    continue
                self._node(line, part)
        elif kind == "pipeline":
            self._pipeline(line, [p for p in node.parts if p.kind != "pipe"])
        elif kind == "command":
            self._pipeline(line, [node])
        else:
            self.error(f"not supported by kmod sh: {kind}")
            self.status = 2

    def _background(self, line: str, node: bashlex.ast.node) -> None:
        """`CMD &`: CMD runs at the same time as the lines that follow, as a task of its own:
        a child of this shell, forked as a shell forks (in a millisecond, so that two writers
        started together do race). `wait` waits for it."""
        self.stdout.flush()
        self.stderr.flush()
        pid = os.fork()  # (the store's idle connection is closed first: kmodsim.open_stores)
        if pid == 0:  # the child: its own store connection, opened on first use
            status = 1
            try:
                self.jobs = []
                self._node(line, node)
                status = self.status
            except ShellDied as e:
                status = e.status
            except BaseException:  # noqa: BLE001 - a child must never return into the parent
                status = 1
            finally:
                try:
                    self.stdout.flush()
                    self.stderr.flush()
                finally:
                    os._exit(status)
        self.jobs.append(pid)
        self.variables["!"] = str(pid)
        self.status = 0

    def wait_jobs(self) -> int:
        """`wait`: every background job, done; the status of the last."""
        status = 0
        for pid in self.jobs:
            _, code = os.waitpid(pid, 0)
            status = os.waitstatus_to_exitcode(code)
            status = 128 - status if status < 0 else status
        self.jobs = []
        return status

    # -- commands -------------------------------------------------------------------------
    def _value(self, line: str, part: bashlex.ast.node) -> str:
        if part.kind == "commandsubstitution":
            out = io.BytesIO()
            sub = Shell(self.machine, self.stdin, out, self.stderr, self.name)
            sub.lineno, sub.variables = self.lineno, dict(self.variables)
            sub._node(line, part.command)
            return os.fsdecode(out.getvalue()).rstrip("\n")
        name = part.value
        if name == "?":
            return str(self.status)
        if name == "$":
            return str(os.getpid())
        if name == "0":
            return self.name
        return self.variables.get(name, os.environ.get(name, ""))

    def _argv(self, line: str, node: bashlex.ast.node) -> tuple[list[str], list, list]:
        argv: list[str] = []
        redirects = []
        assignments = []
        for part in node.parts:
            if part.kind == "word":
                argv.extend(words.expand(line, part, lambda p: self._value(line, p)))
            elif part.kind == "redirect":
                redirects.append(part)
            elif part.kind == "assignment":
                name, _, value = part.word.partition("=")
                assignments.append((name, value))
        while argv and argv[0] == "sudo":  # you are root already
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                argv = argv[1:]
        return argv, redirects, assignments

    def _redirect(self, line: str, redirects: list) -> _Redirected | None:
        r = _Redirected(self)
        for node in redirects:
            kind = node.type
            fd = node.input if isinstance(node.input, int) else (0 if kind == "<" else 1)
            target = node.output
            if isinstance(target, int) or kind in (">&", "<&"):
                dest = target if isinstance(target, int) else int(target.word)
                if fd == 2 and dest == 1:
                    r.stderr_to_stdout = True
                elif fd == 1 and dest == 2:
                    r.stdout_to_stderr = True
                continue
            path = words.expand(line, target, lambda p: self._value(line, p))
            path_text = path[0] if path else ""
            if kind == "<":
                if not is_simulated(path_text, self.machine) and \
                        not os.path.exists(path_text):
                    self.error(f"cannot open {path_text}: "
                               f"{_OPEN_TEXT.get(errno.ENOENT)}")
                    return None
                r.stdin_path = path_text
            elif fd == 2:
                try:
                    r.stderr = open(path_text, "ab" if kind == ">>" else "wb")  # noqa: SIM115
                except OSError as e:
                    self.error(f"cannot create {path_text}: {_create_text(e.errno)}")
                    return None
            else:
                r.stdout_path, r.stdout_mode = path_text, "ab" if kind == ">>" else "wb"
        return r

    def _pipeline(self, line: str, commands: list) -> None:
        stages = []
        for node in commands:
            argv, redirects, assignments = self._argv(line, node)
            if not argv:  # NAME=value alone sets a shell variable
                self.variables.update(assignments)
                if not redirects:
                    self.status = 0
                    continue
            stages.append((argv, redirects, assignments))
        if not stages:
            return
        if len(stages) == 1 and stages[0][0] and stages[0][0][0] in ("exit", "cd", "wait"):
            self._special(stages[0][0])
            return
        self.status = _Pipeline(self, line, stages).run()

    def _special(self, argv: list[str]) -> None:
        if argv[0] == "wait":
            self.status = self.wait_jobs()
            return
        if argv[0] == "exit":
            raise Exit(int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else self.status)
        target = argv[1] if len(argv) > 1 else os.environ.get("HOME", "/")
        try:
            os.chdir(target)
            self.status = 0
        except OSError:
            self.error(f"cd: can't cd to {target}")
            self.status = 2


def _create_text(err: int | None) -> str:
    err = err or errno.EIO
    return _CREATE_TEXT.get(err) or strerror(err)


class _Pipeline:
    """One pipeline: its stages connected, output pulled through to its destination."""

    def __init__(self, shell: Shell, line: str, stages: list) -> None:
        self.shell = shell
        self.line = line
        self.stages = stages
        self.processes: list[subprocess.Popen] = []

    def run(self) -> int:
        sh = self.shell
        source: Iterator[bytes] | BinaryIO | None = None  # None: the shell's own stdin
        status = 0
        last = len(self.stages) - 1
        for i, (argv, redirects, assignments) in enumerate(self.stages):
            r = sh._redirect(self.line, redirects)
            if r is None:
                return 2
            if r.stdin_path is not None:
                source = self._open_input(r.stdin_path)
                if source is None:
                    return 1
            if i < last and r.stdout_path is None and not r.stdout_to_stderr:
                source = self._stage(argv, assignments, source, r, downstream=True)
                continue
            status = self._finish(argv, assignments, source, r)
        for p in self.processes:
            p.wait()
        return status

    def _open_input(self, path: str) -> Iterator[bytes] | None:
        try:
            f = open_file(self.shell.machine, path, "rb")
        except FileError as e:
            self.shell.error(f"cannot open {path}: {_OPEN_TEXT.get(e.errno) or strerror(e.errno)}")
            return None

        def chunks() -> Iterator[bytes]:
            try:
                while chunk := f.read1(65536):  # type: ignore[union-attr]
                    yield chunk
            finally:
                f.close()
        return chunks()

    def _stdin_for_program(self, source: Iterator[bytes] | BinaryIO | None) -> Iterator[bytes]:
        if source is None:
            return _chunks(self.shell.stdin)
        if hasattr(source, "read"):
            return _chunks(source)  # type: ignore[arg-type]
        return source  # type: ignore[return-value]

    def _stage(self, argv: list[str], assignments: list, source: object, r: _Redirected,
               downstream: bool) -> Iterator[bytes] | BinaryIO:
        """A stage whose output feeds the next: an iterator of chunks, or a pipe."""
        program = program_for(argv, self.shell.machine)
        if program is not None:
            ctx = Context(self.shell.machine, argv, self._stdin_for_program(source), r.stderr)
            return _Outcome(self, argv, program(ctx)).chunks()
        proc = self._spawn(argv, assignments, source, subprocess.PIPE, r)
        if proc is None:
            return iter(())
        return proc.stdout  # type: ignore[return-value]

    def _finish(self, argv: list[str], assignments: list, source: object,
                r: _Redirected) -> int:
        """The last stage: its output to the terminal, a file, or a simulated file."""
        sh = self.shell
        sink: Writer | None = None
        if r.stdout_path is not None:
            try:
                with sh.machine.as_program("sh"):  # the shell opens the redirection
                    sink = open_file(sh.machine, r.stdout_path, r.stdout_mode)
            except FileError as e:
                sh.error(f"cannot create {r.stdout_path}: {_create_text(e.errno)}")
                return 2
            except Killed as e:
                raise ShellDied(e.exit_code) from None
        program = program_for(argv, sh.machine)
        if program is None and (sink is None or
                                not is_simulated(r.stdout_path or "", sh.machine)):
            target = sh.stderr if r.stdout_to_stderr else (
                sink.f if sink is not None else sh.stdout)  # type: ignore[union-attr]
            proc = self._spawn(argv, assignments, source, target, r)
            status = 127 if proc is None else self._wait(proc)
            if sink is not None:
                sink.close()
            return status
        if program is not None:
            ctx = Context(sh.machine, argv, self._stdin_for_program(source), r.stderr)
            outcome = _Outcome(self, argv, program(ctx))
            chunks: Iterator[bytes] = outcome.chunks()
        else:
            proc = self._spawn(argv, assignments, source, subprocess.PIPE, r)
            if proc is None:
                return 127
            outcome = None
            chunks = _chunks(proc.stdout)  # type: ignore[arg-type]
        out = sh.stderr if r.stdout_to_stderr else sh.stdout
        try:
            for chunk in chunks:
                if sink is None:
                    out.write(chunk)
                    out.flush()
                    continue
                with sh.machine.as_program("sh" if argv[0] in SHELL_BUILTINS else argv[0]):
                    sink.write(chunk)
        except FileError as e:
            return self._write_failed(argv, e)
        except Killed as e:
            if argv[0] in SHELL_BUILTINS:
                raise ShellDied(e.exit_code) from None
            self.shell.stderr.write(os.fsencode("\n".join(e.lines[:1]) + "\n"))
            return e.exit_code
        finally:
            if sink is not None:
                try:
                    sink.close()
                except FileError:
                    pass
        if outcome is None:
            return self._wait(proc)
        return outcome.status

    def _write_failed(self, argv: list[str], e: FileError) -> int:
        name = argv[0]
        if name in SHELL_BUILTINS:  # dash's builtins report any failed write this way
            self.shell.error(f"{name}: {name}: I/O error")
        else:
            self.shell.stderr.write(os.fsencode(f"{name}: write error: {strerror(e.errno)}\n"))
        return 1

    def _spawn(self, argv: list[str], assignments: list, source: object, stdout: object,
               r: _Redirected) -> subprocess.Popen | None:
        """The host's program; its input from the shell, a pipe, or chunks we feed it."""
        sh = self.shell
        stdin: object = sh.stdin
        feed: bytes | None = None
        if source is not None:
            if hasattr(source, "read"):
                stdin = source
            else:
                feed = b"".join(source)  # type: ignore[arg-type]
                stdin = subprocess.PIPE
        env = dict(os.environ, **dict(assignments)) if assignments else None
        stderr = subprocess.STDOUT if r.stderr_to_stdout else r.stderr
        try:
            sys.stdout.flush()
            proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env)
        except FileNotFoundError:
            sh.error(f"{argv[0]}: not found")
            return None
        except PermissionError:
            sh.error(f"{argv[0]}: Permission denied")
            return None
        if feed is not None:
            threading.Thread(target=_feed, args=(proc, feed), daemon=True).start()
        self.processes.append(proc)
        return proc

    def _wait(self, proc: subprocess.Popen) -> int:
        code = proc.wait()
        if code < 0:  # killed by a signal: the shell says which, as dash does
            sig = -code
            if sig != 13:  # SIGPIPE is silent
                self.shell.stderr.write(os.fsencode(SIGNAL_TEXT.get(sig, f"Signal {sig}")
                                                    + "\n"))
            return 128 + sig
        return code


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    try:
        proc.stdin.write(data)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    except (BrokenPipeError, OSError):
        pass


class _Outcome:
    """A program's chunks, and its status once they are done (or it was cut off)."""

    def __init__(self, pipeline: _Pipeline, argv: list[str], gen: object) -> None:
        self.pipeline = pipeline
        self.argv = argv
        self.gen = gen
        self.status = 0

    def chunks(self) -> Iterator[bytes]:
        try:
            self.status = yield from self.gen  # type: ignore[misc]
        except KmodError as e:
            if isinstance(e, Killed) and self.argv[0] in SHELL_BUILTINS:
                raise ShellDied(e.exit_code) from None
            self.pipeline.shell.stderr.write(os.fsencode("\n".join(e.lines) + "\n"))
            self.status = e.exit_code
        finally:
            self.gen.close()  # type: ignore[attr-defined]
