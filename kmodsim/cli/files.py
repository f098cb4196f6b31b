"""kmod cat|write|ls|ioctl: any file of the simulated machine (/proc, /dev, /sys,
/sys/kernel/debug) as `cat`, `echo DATA >`, `ls` and a program's ioctl() reach it, run as an
ordinary user (uid 1000); `kmod sh` is root.

A refusal says how to act as root in kmodsim, in one `kmodsim: hint:` line (none with
--no-hints or KMODSIM_NO_HINTS=1).
"""

from __future__ import annotations

import os
import sys

import click

from kmodsim.cli import as_name, completer, get_machine
from kmodsim.errors import ProcError, strerror

EACCES = 13
SIMULATED_ROOTS = ("/dev", "/proc", "/sys")


def absolute(path: str) -> str:
    """A path as typed, made absolute as a program's open() would (relative: from here)."""
    return os.path.abspath(as_name(path))


def hints_wanted() -> bool:
    return os.environ.get("KMODSIM_NO_HINTS", "") in ("", "0")


def add_root_hint(e: ProcError, shell_line: str | None) -> None:
    """After a Permission denied of the file mode: one line on acting as root
    (`shell_line`: what to run in `kmod sh`, or None for a program's system call)."""
    denied = getattr(e, "denied_by", None)
    if e.errno != EACCES or denied is None or not hints_wanted():
        return
    from kmodsim.cli import PROG

    where, mode, uid = denied
    whose = "root's" if uid == 0 else f"uid {uid}'s"
    how = (f"{PROG} sh is root: {PROG} sh -c {_quoted(shell_line)}" if shell_line is not None
           else "as root, from Python: Machine(uid=0) (kmodsim.machine)")
    e.lines.append(f"kmodsim: hint: {where} is {whose} (mode {mode & 0o7777:04o}); {PROG} "
                   f"acts as uid 1000, {how}")


def _quoted(line: str) -> str:
    """One shell word for `line`, as a person would quote it."""
    if "'" not in line:
        return f"'{line}'"
    if not any(c in line for c in '"$`\\!'):
        return f'"{line}"'
    import shlex  # only a denial's hint needs it

    return shlex.quote(line)


def retyped(e: ProcError, typed: str) -> ProcError:
    """The error naming the file as the user typed it, as cat does."""
    e.lines[0] = f"kmod: {typed}: {strerror(e.errno)}"
    return e


def _out(data: bytes) -> None:
    out = sys.stdout.buffer
    out.write(data)
    out.flush()


@click.command("cat", short_help="Read files of the machine, as `cat PATH...`.")
@click.option("--nonblock", is_flag=True,
              help="Open with O_NONBLOCK: a read that would sleep fails with EAGAIN.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...",
                shell_complete=completer("complete_simulated_path"))
def cat(paths: tuple[str, ...], nonblock: bool) -> None:
    """Like `cat PATH...`: read each file until end of file, bytes to standard output.
    An error names the file and goes on to the next (exit 1 at the end)."""
    failed = None
    for typed in paths:
        try:
            with get_machine().as_program("cat") as machine:
                _out(machine.read_file(absolute(typed), nonblock))
        except ProcError as e:
            _out(getattr(e, "partial", b""))
            add_root_hint(e, f"cat {typed}")
            failed = retyped(e, typed)
            click.echo("\n".join(failed.lines), err=True)
    if failed is not None:
        sys.exit(1)


@click.command("write", short_help="Write a file of the machine, as `echo DATA > PATH`.")
@click.option("-n", "no_newline", is_flag=True, help="Do not add the trailing newline.")
@click.argument("path", shell_complete=completer("complete_simulated_path"))
@click.argument("data", nargs=-1)
def write(path: str, data: tuple[str, ...], no_newline: bool) -> None:
    """Like `echo DATA > PATH` (no DATA or `-`: standard input, as is)."""
    stdin = not data or data == ("-",)
    payload = sys.stdin.buffer.read() if stdin else (
        os.fsencode(" ".join(data)) + (b"" if no_newline else b"\n"))
    try:
        with get_machine().as_program("sh") as machine:  # the shell's echo makes the write
            machine.write_file(absolute(path), payload)
    except ProcError as e:
        add_root_hint(e, echo_line(path, data, no_newline, stdin))
        raise retyped(e, path) from None


def echo_line(path: str, data: tuple[str, ...], no_newline: bool, stdin: bool) -> str:
    """The shell line that writes the same, for kmod sh."""
    import shlex

    if stdin:
        return f"cat > {shlex.quote(path)}"
    echo = ["echo", "-n"] if no_newline else ["echo"]
    return f"{shlex.join([*echo, *data])} > {shlex.quote(path)}"


@click.command("ls", short_help="List directories of the machine, as `ls PATH...`.")
@click.argument("paths", nargs=-1, metavar="[PATH]...",
                shell_complete=completer("complete_simulated_path"))
def ls(paths: tuple[str, ...]) -> None:
    """Like `ls PATH...`: the names in each simulated directory, one a line (a file: its
    path). No PATH: the simulated machine's trees."""
    machine = get_machine()
    if not paths:
        for root in SIMULATED_ROOTS:
            if machine.stat(root) is not None:
                click.echo(root.lstrip("/"))
        return
    failed = None
    files, dirs = [], []
    for typed in paths:
        try:
            names = machine.list_dir(absolute(typed))
        except ProcError as e:
            add_root_hint(e, f"ls {typed}")
            failed = retyped(e, typed)
            click.echo("\n".join(failed.lines), err=True)
            continue
        if names is None:
            files.append(typed)
        else:
            dirs.append((typed, names))
    out = "".join(f + "\n" for f in sorted(files))  # as ls: the files, then each directory
    for typed, names in sorted(dirs):
        if len(paths) > 1:
            out += ("\n" if out else "") + f"{typed}:\n"
        out += "".join(n + "\n" for n in names)
    click.echo(out, nl=False)
    if failed is not None:
        sys.exit(1)


def c_number(text: str, what: str) -> int:
    """A number as C writes it (strtol base 0): decimal, 0x hex, 0 octal; a leading -."""
    s = text.strip()
    sign = -1 if s.startswith("-") else 1
    body = s.lstrip("+-")
    try:
        if body[:2].lower() == "0x":
            value = int(body[2:], 16)
        elif len(body) > 1 and body.startswith("0"):
            value = int(body[1:], 8)
        else:
            value = int(body, 10)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a number (decimal, 0x hex or 0 octal)",
                                 param_hint=what) from None
    if value >= 1 << 64:  # strtoul() says ERANGE: no unsigned long holds it
        raise click.BadParameter(f"{text!r} is out of range for an unsigned long",
                                 param_hint=what)
    return sign * value


@click.command("ioctl", short_help="Call a file's ioctl: ioctl PATH CMD [ARG].")
@click.argument("path", shell_complete=completer("complete_simulated_path"))
@click.argument("cmd")
@click.argument("arg", required=False, default="0")
def ioctl(path: str, cmd: str, arg: str) -> None:
    """Like a program's open(PATH), ioctl(fd, CMD, ARG), close(): prints what the ioctl
    returned. CMD and ARG are numbers as C writes them (16, 0x10, 020); ARG defaults to 0."""
    number = c_number(cmd, "CMD") & 0xFFFFFFFF
    value = c_number(arg, "ARG")
    try:
        with get_machine().as_program("ioctl") as machine:
            ret = machine.ioctl(absolute(path), number, value)
    except ProcError as e:
        add_root_hint(e, None)
        raise retyped(e, path) from None
    click.echo(str(ret))
