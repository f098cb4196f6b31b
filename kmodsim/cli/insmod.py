"""kmod insmod: the real insmod's options, messages and exit codes (kmodsim.tools.insmod)."""

from __future__ import annotations

import click

from kmodsim.cli import TOOL_SETTINGS, run_tool


@click.command(context_settings=TOOL_SETTINGS, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> None:
    """Insert a module (a .py file; FILE.ko loads FILE.py) into the simulated kernel."""
    from kmodsim.tools.insmod import main

    run_tool(main, args)
