"""kmod rmmod: the real rmmod's options, messages and exit codes (kmodsim.tools.rmmod)."""

from __future__ import annotations

import click

from kmodsim.cli import TOOL_SETTINGS, ToolCommand, completer, run_tool


@click.command(cls=ToolCommand, tool="rmmod", context_settings=TOOL_SETTINGS,
               add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED,
                shell_complete=completer("complete_rmmod"))
def command(args: tuple[str, ...]) -> None:
    """Unload modules: run their exit functions and remove them.

    \b
    kmod rmmod [-f -s -v] NAME|FILE ...

    Runs each module's exit function and removes it; -f removes one that is in use or has
    no exit function (taint R). kmod 30's rmmod (`kmod rmmod --help`)."""
    from kmodsim.tools.rmmod import main

    run_tool(main, args)
