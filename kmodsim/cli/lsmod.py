"""kmod lsmod: the real lsmod's options, messages and exit codes (kmodsim.tools.lsmod)."""

from __future__ import annotations

import click

from kmodsim.cli import TOOL_SETTINGS, ToolCommand, run_tool


@click.command(cls=ToolCommand, tool="lsmod", context_settings=TOOL_SETTINGS,
               add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> None:
    """Show the loaded modules, as lsmod does (no options)."""
    from kmodsim.tools.lsmod import main

    run_tool(main, args)
