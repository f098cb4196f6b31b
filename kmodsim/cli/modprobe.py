"""kmod modprobe: the real modprobe's options, messages and exit codes (kmodsim.tools.modprobe)."""

from __future__ import annotations

import click

from kmodsim.cli import TOOL_SETTINGS, ToolCommand, run_tool


@click.command(cls=ToolCommand, tool="modprobe", context_settings=TOOL_SETTINGS,
               add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> None:
    """Load a module and the modules it needs, or remove them (-r).

    \b
    kmod modprobe [-n -v -q --first-time] NAME [name=value ...]
    kmod modprobe -r [-n -v] NAME ...
    kmod modprobe -a NAME ...   kmod modprobe -D NAME

    Loads the modules NAME depends on (the exporters of the symbols it uses), then NAME
    with its parameters; -r removes NAME, then its dependencies nothing uses any more.
    The modules are those `kmod depmod` indexed. kmod 30's modprobe (`kmod modprobe
    --help`)."""
    from kmodsim.tools.modprobe import main

    run_tool(main, args)
