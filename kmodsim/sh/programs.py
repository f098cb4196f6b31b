"""The programs `kmod sh` runs in-process: the kernel tools, and the file tools a tutorial uses
on /proc and /sys. Each is a generator: it yields its output in chunks (so `cat | head -n 3`
stops cat once head has had enough, as SIGPIPE would) and returns its exit status. Errors go
straight to `stderr`, in the real program's words.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, BinaryIO

from kmodsim.errors import Killed, KmodError, strerror
from kmodsim.getopt import GetoptError, getopt_long
from kmodsim.kernel.cformat import format_c
from kmodsim.sh.files import FileError, is_dir, is_simulated, list_dir, open_file
from kmodsim.tools import Stdio

if TYPE_CHECKING:
    from kmodsim.machine import Machine

Output = Generator[bytes, None, int]
CHUNK = 128 * 1024  # coreutils reads with a 128 KiB buffer
RUNAWAY_BYTES = 1024 * 1024
RUNAWAY_CALLS = 10_000


class Context:
    """What a program gets: the machine, its arguments, its input and its stderr."""

    def __init__(self, machine: Machine, argv: list[str], stdin: Iterator[bytes],
                 stderr: BinaryIO) -> None:
        self.machine = machine
        self.argv = argv
        self.stdin = stdin
        self.stderr = stderr

    def error(self, text: str) -> None:
        self.stderr.write(os.fsencode(text + "\n"))
        self.stderr.flush()


class ShellDied(Exception):
    """The shell process itself was killed in the kernel (its builtin echo wrote to a file
    whose handler Oopsed): it ends there, with status 128 + signal."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _text(data: bytes | str) -> bytes:
    return data if isinstance(data, bytes) else os.fsencode(data)


# -- the kernel's tools -------------------------------------------------------------------------

def _tool(main: Callable, name: str) -> Callable[[Context], Output]:
    def run(ctx: Context) -> Output:
        out = io.BytesIO()
        status = main(ctx.argv[1:], Stdio(io.BytesIO(), out, ctx.stderr), ctx.machine)
        if out.getvalue():
            yield out.getvalue()
        return status
    run.__name__ = name
    return run


def _insmod(ctx: Context) -> Output:
    from kmodsim.tools.insmod import main
    return (yield from _tool(main, "insmod")(ctx))


def _rmmod(ctx: Context) -> Output:
    from kmodsim.tools.rmmod import main
    return (yield from _tool(main, "rmmod")(ctx))


def _lsmod(ctx: Context) -> Output:
    from kmodsim.tools.lsmod import main
    return (yield from _tool(main, "lsmod")(ctx))


def _modinfo(ctx: Context) -> Output:
    from kmodsim.tools.modinfo import main
    return (yield from _tool(main, "modinfo")(ctx))


def _modprobe(ctx: Context) -> Output:
    from kmodsim.tools.modprobe import main
    return (yield from _tool(main, "modprobe")(ctx))


def _depmod(ctx: Context) -> Output:
    from kmodsim.tools.depmod import main
    return (yield from _tool(main, "depmod")(ctx))


def _uname(ctx: Context) -> Output:
    from kmodsim.tools.uname import main
    return (yield from _tool(main, "uname")(ctx))


def _module_tree_program(name: str) -> Callable[[Context], Output]:
    """mkdir or cp of a path in /lib/modules (kmodsim.tools.modtree)."""
    def run(ctx: Context) -> Output:
        from kmodsim.tools import modtree
        main = modtree.mkdir_main if name == "mkdir" else modtree.cp_main
        return (yield from _tool(main, name)(ctx))
    return run


def _dmesg(ctx: Context) -> Output:
    from kmodsim.dmesg.main import run

    out = io.BytesIO()
    with ctx.machine.as_program("dmesg"):
        status = run(ctx.argv[1:], stdout=out, stderr=ctx.stderr, machine=lambda: ctx.machine)
    if out.getvalue():
        yield out.getvalue()
    return status


# -- the shell's own builtins (dash) ----------------------------------------------------------

def _unescape(text: str) -> tuple[str, bool]:
    """dash's echo/printf %b escapes: \\n, \\t, \\\\, \\0NNN…; True if \\c stopped output."""
    out = []
    i = 0
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\"}
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "c":
                return "".join(out), True
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            if nxt == "0":
                digits = ""
                j = i + 2
                while j < len(text) and len(digits) < 3 and text[j] in "01234567":
                    digits += text[j]
                    j += 1
                out.append(chr(int(digits or "0", 8)))
                i = j
                continue
        out.append(c)
        i += 1
    return "".join(out), False


def _echo(ctx: Context) -> Output:
    args = ctx.argv[1:]
    newline = True
    if args[:1] == ["-n"]:
        newline, args = False, args[1:]
    text, stopped = _unescape(" ".join(args))
    yield _text(text + ("" if stopped or not newline else "\n"))
    return 0


def _printf(ctx: Context) -> Output:
    if len(ctx.argv) < 2:
        ctx.error("printf: usage: printf format [arg ...]")
        return 2
    fmt, args = ctx.argv[1], ctx.argv[2:]
    fmt = fmt.replace("%b", "%s")
    out = []
    while True:  # the format is reused while arguments remain, as printf(1) does
        need = fmt.count("%") - 2 * fmt.count("%%")
        taken, args = args[:need], args[need:]
        values: list[object] = []
        for a in taken:
            values.append(int(a, 0) if a.lstrip("-").isdigit() else a)
        values += [""] * (need - len(values))
        try:
            out.append(_unescape(format_c(fmt, tuple(values)))[0])
        except (TypeError, ValueError):
            ctx.error(f"printf: {fmt}: invalid format")
            return 1
        if not args or not need:
            break
    yield _text("".join(out))
    return 0


def _true(ctx: Context) -> Output:
    return 0
    yield b""


def _false(ctx: Context) -> Output:
    return 1
    yield b""


# -- coreutils ------------------------------------------------------------------------------

def _read_all(ctx: Context, prog: str, path: str) -> Iterator[bytes]:
    """The chunks of one file (or stdin for '-'), reading as cat does; FileError on failure."""
    if path == "-":
        yield from ctx.stdin
        return
    with ctx.machine.as_program(prog):
        f = open_file(ctx.machine, path, "rb")
    simulated = is_simulated(path, ctx.machine)
    calls = total = 0
    try:
        while True:
            with ctx.machine.as_program(prog):
                chunk = f.read1(CHUNK)  # type: ignore[union-attr]
            if not chunk:
                break
            yield chunk
            calls += 1
            total += len(chunk)
            if simulated and (total > RUNAWAY_BYTES or calls >= RUNAWAY_CALLS):
                bound = "more than 1 MiB" if total > RUNAWAY_BYTES else f"{calls} read calls"
                raise FileError(0, [f"kmodsim: stopped reading {path} after {bound}: the read "
                                    f"handler never returned 0 (end of file). Does it advance "
                                    f"*ppos (ppos.value) and return 0 once ppos.value is past "
                                    f"the end?"])
    finally:
        f.close()


def _files(ctx: Context, prog: str, shortopts: str) -> tuple[list[tuple[str, str | None]],
                                                                list[str]] | None:
    opts, paths = [], []
    try:
        for opt, arg in getopt_long(ctx.argv[1:], shortopts):
            if opt:
                opts.append((opt, arg))
            else:
                paths.append(arg or "")
    except GetoptError as e:
        ctx.error(f"{prog}: {e.message}")
        ctx.error(f"Try '{prog} --help' for more information.")
        return None
    return opts, paths or ["-"]


def _report(ctx: Context, prog: str, path: str, e: FileError) -> None:
    if e.errno:
        ctx.error(f"{prog}: {path}: {strerror(e.errno)}")
    for line in e.lines:
        ctx.error(line)


def _cat(ctx: Context) -> Output:
    parsed = _files(ctx, "cat", SHORTOPTS["cat"])
    if parsed is None:
        return 1
    status = 0
    for path in parsed[1]:
        try:
            yield from _read_all(ctx, "cat", path)
        except FileError as e:
            _report(ctx, "cat", path, e)
            status = 1
    return status


def _count(opts: list[tuple[str, str | None]], default: int = 10) -> tuple[str, int]:
    unit, n = "n", default
    for opt, arg in opts:
        if opt in "nc":
            unit, n = opt, int(arg or "0")
        elif opt.isdigit():
            n = int(opt + (arg or ""))
    return unit, n


def _head(ctx: Context) -> Output:
    parsed = _files(ctx, "head", SHORTOPTS["head"])
    if parsed is None:
        return 1
    unit, n = _count(parsed[0])
    status = 0
    for path in parsed[1]:
        left = n
        try:
            for chunk in _read_all(ctx, "head", path):
                if left <= 0:
                    break
                if unit == "c":
                    piece = chunk[:left]
                    left -= len(piece)
                else:
                    lines = chunk.split(b"\n")
                    if len(lines) - 1 >= left:
                        piece = b"\n".join(lines[:left]) + b"\n"
                        left = 0
                    else:
                        piece = chunk
                        left -= len(lines) - 1
                yield piece
                if left <= 0:
                    break
        except FileError as e:
            _report(ctx, "head", path, e)
            status = 1
    return status


def _tail(ctx: Context) -> Output:
    parsed = _files(ctx, "tail", SHORTOPTS["tail"])
    if parsed is None:
        return 1
    unit, n = _count(parsed[0])
    status = 0
    for path in parsed[1]:
        try:
            data = b"".join(_read_all(ctx, "tail", path))
        except FileError as e:
            _report(ctx, "tail", path, e)
            status = 1
            continue
        if unit == "c":
            yield data[-n:] if n else b""
            continue
        lines = data.split(b"\n")
        ended = data.endswith(b"\n")
        if ended:
            lines = lines[:-1]
        kept = lines[-n:] if n else []
        if kept:
            yield b"\n".join(kept) + (b"\n" if ended else b"")
    return status


def _tee(ctx: Context) -> Output:
    parsed = _files(ctx, "tee", SHORTOPTS["tee"])
    if parsed is None:
        return 1
    opts, paths = parsed
    mode = "ab" if ("a", None) in opts else "wb"
    status = 0
    outputs = []
    for path in paths if paths != ["-"] else []:
        try:
            with ctx.machine.as_program("tee"):
                outputs.append((path, open_file(ctx.machine, path, mode)))
        except FileError as e:
            _report(ctx, "tee", path, e)
            status = 1
    for chunk in ctx.stdin:
        yield chunk
        for entry in list(outputs):
            path, f = entry
            try:
                with ctx.machine.as_program("tee"):
                    f.write(chunk)  # type: ignore[union-attr]
            except FileError as e:
                _report(ctx, "tee", path, e)
                outputs.remove(entry)
                status = 1
    for path, f in outputs:
        try:
            f.close()
        except FileError as e:
            _report(ctx, "tee", path, e)
            status = 1
    return status


def _ls(ctx: Context) -> Output:
    """ls's order: the files named (sorted), then each directory's names under a `DIR:`
    heading when more than one operand was given."""
    paths = [a for a in ctx.argv[1:] if not a.startswith("-")] or ["."]
    status = 0
    files, dirs = [], []
    for path in paths:
        try:
            names = list_dir(ctx.machine, path)
            if is_dir(ctx.machine, path):
                dirs.append((path, names))
            else:
                files.append(path)  # a file: ls names it as given
        except FileError as e:
            ctx.error(f"ls: cannot access '{path}': {strerror(e.errno)}")
            status = 2
    out = "".join(f + "\n" for f in sorted(files))
    for path, names in sorted(dirs):
        if len(paths) > 1:
            out += ("\n" if out else "") + f"{path}:\n"
        out += "".join(n + "\n" for n in names)
    if out:
        yield _text(out)
    return status


# The simulated machine has its trees mounted from boot, debugfs included (a tutorial's
# `mount -t debugfs none /sys/kernel/debug` then has nothing to do, and says nothing).
MOUNTED = {"/sys/kernel/debug": "debugfs", "/sys": "sysfs", "/proc": "proc"}


def _mount(ctx: Context) -> Output:
    try:
        opts = list(getopt_long(ctx.argv[1:], SHORTOPTS["mount"]))
    except GetoptError as e:
        ctx.error(f"mount: {e}")
        return 1
    fstype = next((arg for opt, arg in opts if opt == "t"), None)
    words = [str(arg) for opt, arg in opts if not opt]
    target = os.path.normpath(words[-1]) if words else ""
    if target in MOUNTED and fstype in (None, MOUNTED[target]):
        return 0
    ctx.error(f"mount: {target or '?'}: kmodsim mounts only debugfs on /sys/kernel/debug, "
              f"sysfs on /sys and proc on /proc (all mounted already)")
    return 32
    yield b""  # a generator, as every program is


# Programs that always run here; and those that run here only for a simulated path.
ALWAYS: dict[str, Callable[[Context], Output]] = {
    "insmod": _insmod, "rmmod": _rmmod, "lsmod": _lsmod, "modinfo": _modinfo,
    "modprobe": _modprobe, "depmod": _depmod, "uname": _uname, "dmesg": _dmesg, "echo": _echo,
    "printf": _printf, "true": _true, "false": _false,
    ":": _true,
}
FOR_SIMULATED: dict[str, Callable[[Context], Output]] = {
    "cat": _cat, "head": _head, "tail": _tail, "tee": _tee, "ls": _ls, "mount": _mount,
}
SHELL_BUILTINS = {"echo", "printf", "true", "false", ":"}  # dash's own: they run as `sh`
SHORTOPTS = {"cat": "uAbeEnstTv", "head": "n:c:qv0123456789", "tail": "n:c:qv0123456789",
             "tee": "ai", "ls": "1aAlFdhRrSt", "mount": "t:o:rwnv"}


def program_for(argv: list[str], machine: Machine | None = None
                ) -> Callable[[Context], Output] | None:
    """The in-process program for this command line, or None to run the host's (a /dev
    path is simulated when `machine` has that node)."""
    name = argv[0]
    if name in ALWAYS:
        return ALWAYS[name]
    if name in ("mkdir", "cp") and any(a.startswith("/lib/modules") for a in argv[1:]):
        return _module_tree_program(name)  # the machine's /lib/modules, not the host's
    if name in FOR_SIMULATED:
        try:
            paths = [arg for opt, arg in getopt_long(argv[1:], SHORTOPTS[name]) if not opt]
        except GetoptError:
            return FOR_SIMULATED[name]  # it says what is wrong, as the real one would
        if name in ("cat", "head", "tail") and not paths:
            return FOR_SIMULATED[name]  # reading a pipe: no need for the host's
        if any(is_simulated(p or "", machine) for p in paths):
            return FOR_SIMULATED[name]
    return None


__all__ = ["ALWAYS", "Context", "FOR_SIMULATED", "Killed", "KmodError", "ShellDied",
           "program_for"]
