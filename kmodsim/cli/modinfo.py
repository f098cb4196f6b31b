"""kmod modinfo: the real modinfo's options, messages and exit codes (kmodsim.tools.modinfo)."""

from __future__ import annotations

import click

from kmodsim.cli import TOOL_SETTINGS, ToolCommand, completer, run_tool


@click.command(cls=ToolCommand, tool="modinfo", context_settings=TOOL_SETTINGS,
               add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED,
                shell_complete=completer("complete_modinfo"))
def command(args: tuple[str, ...]) -> None:
    """Show a module's license, author, description and parameters.

    \b
    kmod modinfo [-F FIELD] [-a -d -l -p -n -0] FILE|NAME ...

    License, author, description and parameters, read from the file without running it
    (or from a loaded module, by name). kmod 30's modinfo (`kmod modinfo --help`)."""
    from kmodsim.tools.modinfo import main

    run_tool(main, args)
