"""`kmod -b FILE`: many kmod commands, one per line, in one process (like `ip -batch`).

Each line is split as a shell would (quotes, backslashes, `#` comments) and run exactly as
`kmod LINE` would run alone: its own transaction, its own output and exit status. Only the
process start-up and the store connection are shared, which is the point: a teacher's
script of 10,000 commands pays one start-up instead of 10,000.
"""

from __future__ import annotations

import io
import os
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO

import click

from kmodsim.errors import KmodError
from kmodsim.machine import Machine

RunLine = Callable[[Sequence[str], Machine], int]

USAGE_ERROR = 2
MAX_LINE = 1 << 20  # bytes; a shell's ARG_MAX is 2 MiB


def run_batch(source: str, force: bool, run: RunLine) -> int:
    """Run the lines of `source` ('-': stdin), each with `run` (kmodsim.cli.run). Stop at the
    first failing line and return its status, or with `force` go on and return 1 at the end
    if any line failed."""
    machine = Machine()
    failed = False
    try:
        with _lines(source) as lines:
            for number, line in lines:
                status = _run_line(line, machine, run)
                if status == 0:
                    continue
                click.echo(f"kmod: batch line {number} failed: {line}", err=True)
                if not force:
                    return status
                failed = True
    finally:
        machine.close()
    return 1 if failed else 0


def _run_line(line: str, machine: Machine, run: RunLine) -> int:
    if "\0" in line:  # no shell can put a NUL byte in an argument
        click.echo("kmod: a command line can't contain a NUL byte", err=True)
        return USAGE_ERROR
    try:
        words = shlex.split(line, comments=True)
    except ValueError as e:  # an unclosed quote: the shell would refuse the line too
        click.echo(f"kmod: {e}", err=True)
        return USAGE_ERROR
    if words[:1] == ["kmod"]:  # lines copied from a shell script may keep the command name
        words = words[1:]
    if not words:
        return 0
    return run(words, machine)


@contextmanager
def _lines(source: str) -> Iterator[Iterator[tuple[int, str]]]:
    """Numbered lines that hold a command (blank lines and comments skipped)."""
    if source == "-":
        # The batch is on stdin: a command must not read it (`proc write X` with no data
        # would swallow the lines that follow), so commands see an empty stdin.
        stream, real_stdin = sys.stdin.buffer, sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(b""))
        try:
            yield _numbered(stream)
        finally:
            sys.stdin = real_stdin
        return
    try:
        f = open(source, "rb")  # noqa: SIM115 - closed below, after the lines are consumed
    except OSError as e:
        raise KmodError(f"kmod: can't read batch file {source}: {os.strerror(e.errno or 5)}",
                        ) from None
    with f:
        yield _numbered(f)


def _numbered(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    number = 0
    while raw := stream.readline(MAX_LINE + 1):
        number += 1
        if len(raw) > MAX_LINE:  # no end in sight (/dev/zero?): nothing sane to resync on
            raise KmodError(f"kmod: batch line {number} is longer than {MAX_LINE} bytes")
        line = os.fsdecode(raw.rstrip(b"\r\n"))  # as the shell passes bytes to argv
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, line
