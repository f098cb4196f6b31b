"""kmod rmmod: the real rmmod's options, messages and exit codes (kmodsim.tools.rmmod)."""

from __future__ import annotations

import click

from kmodsim.cli import TOOL_SETTINGS, run_tool


@click.command(context_settings=TOOL_SETTINGS, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> None:
    """Remove modules from the simulated kernel."""
    from kmodsim.tools.rmmod import main

    run_tool(main, args)
