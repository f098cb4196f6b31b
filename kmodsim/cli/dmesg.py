"""kmod dmesg: util-linux dmesg over the simulated ring buffer or a dump file.

The options are parsed by kmodsim.dmesg.options (a getopt_long() work-alike), not by click:
click only hands over the raw arguments, so that errors, help and option spelling are
util-linux's.
"""

from __future__ import annotations

import sys

import click

from kmodsim.cli import TOOL_SETTINGS, ToolCommand, completer, get_machine


@click.command(cls=ToolCommand, tool="dmesg", context_settings=TOOL_SETTINGS,
               add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED,
                shell_complete=completer("complete_dmesg"))
def command(args: tuple[str, ...]) -> None:
    """Print or control the kernel ring buffer.

    \b
    kmod dmesg [options]

    util-linux dmesg's options, layout, colours and messages (`kmod dmesg --help`);
    -F FILE and -K FILE read a real machine's dumps."""
    from kmodsim.dmesg.main import run

    # one machine per kmod process, shared by the lines of a batch
    sys.exit(run(list(args), machine=get_machine))
