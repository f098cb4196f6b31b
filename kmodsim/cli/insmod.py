"""kmod insmod: the real insmod's options, messages and exit codes (kmodsim.tools.insmod)."""

from __future__ import annotations

import click

from kmodsim.cli import TOOL_SETTINGS, ToolCommand, completer, run_tool


@click.command(cls=ToolCommand, tool="insmod", context_settings=TOOL_SETTINGS,
               add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED,
                shell_complete=completer("complete_insmod"))
def command(args: tuple[str, ...]) -> None:
    """Load a module (FILE.py; FILE.ko loads FILE.py).

    \b
    kmod insmod [-f -s -p] FILE [name=value ...]

    FILE is a module's .py file (FILE.ko loads FILE.py from the same folder); each
    name=value sets a module_param. The options, messages and exit statuses are kmod 30's
    insmod (`kmod insmod --help`)."""
    from kmodsim.tools.insmod import main

    run_tool(main, args)
