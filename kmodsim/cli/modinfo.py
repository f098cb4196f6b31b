"""kmod modinfo: the real modinfo's options, messages and exit codes (kmodsim.tools.modinfo)."""

from __future__ import annotations

import click

from kmodsim.cli import TOOL_SETTINGS, run_tool


@click.command(context_settings=TOOL_SETTINGS, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> None:
    """Show the information of module files (or of loaded modules, by name)."""
    from kmodsim.tools.modinfo import main

    run_tool(main, args)
