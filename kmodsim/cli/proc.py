"""kmod proc ls|read|write: use /proc files as `ls`, `cat` and `echo >` would."""

from __future__ import annotations

import os
import sys

import click

from kmodsim.cli import as_name, completer, get_machine
from kmodsim.errors import ProcError


@click.group()
def command() -> None:
    """Read and write /proc files: ls, read NAME, write NAME DATA."""


@command.command("ls")
def ls() -> None:
    """List the /proc entries modules created (and the kernel's own)."""
    for path in get_machine().proc_list():
        click.echo(f"/proc/{path}")


@command.command("read")
@click.option("--nonblock", is_flag=True,
              help="Open with O_NONBLOCK: a read that would sleep fails with EAGAIN.")
@click.argument("name", shell_complete=completer("complete_proc_entry"))
def read(name: str, nonblock: bool) -> None:
    """Like `cat /proc/NAME`: read until end of file, bytes to standard output."""
    try:
        with get_machine().as_program("cat") as machine:
            data = machine.proc_read(as_name(name), nonblock)
    except ProcError as e:
        from kmodsim.cli.files import add_root_hint  # (a failure's alone: start-up)

        _write(getattr(e, "partial", b""))
        add_root_hint(e, f"cat /proc/{name.removeprefix('/proc/')}")
        raise
    _write(data)


@command.command("write")
@click.option("-n", "no_newline", is_flag=True, help="Do not add the trailing newline.")
@click.argument("name", shell_complete=completer("complete_proc_entry"))
@click.argument("data", nargs=-1)
def write(name: str, data: tuple[str, ...], no_newline: bool) -> None:
    """Like `echo DATA > /proc/NAME` (no DATA or `-`: standard input, as is)."""
    stdin = not data or data == ("-",)
    if stdin:
        payload = sys.stdin.buffer.read()
    else:
        payload = os.fsencode(" ".join(data)) + (b"" if no_newline else b"\n")
    try:
        with get_machine().as_program("sh") as machine:  # the shell's echo makes the write
            machine.proc_write(as_name(name), payload)
    except ProcError as e:
        from kmodsim.cli.files import add_root_hint, echo_line  # (a failure's alone)

        add_root_hint(e, echo_line(f"/proc/{name.removeprefix('/proc/')}", data, no_newline,
                                   stdin))
        raise


def _write(data: bytes) -> None:
    out = sys.stdout.buffer
    out.write(data)
    out.flush()
