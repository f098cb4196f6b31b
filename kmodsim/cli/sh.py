"""kmod sh [-c LINE | FILE]: a root shell over the simulated machine (kmodsim.sh)."""

from __future__ import annotations

import sys

import click


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("-c", "command_text", metavar="LINE", help="Run LINE, as `sh -c LINE`.")
@click.argument("file", required=False)
def command(command_text: str | None, file: str | None) -> None:
    """A root shell where a tutorial's lines run as typed.

    \b
    kmod sh [-c LINE | FILE]

    `sudo insmod hello.ko`, `echo I > /proc/counter`, `cat /proc/counter`, `dmesg | tail`
    reach the simulated machine; anything else is the real program, with pipes between
    the two. Messages and exit statuses are dash's."""
    from kmodsim.sh import repl

    if command_text is not None:
        sys.exit(repl.run_command(command_text))
    if file is not None:
        sys.exit(repl.run_file(file))
    sys.exit(repl.interactive())
