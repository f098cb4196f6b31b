"""kmod depmod: index modules for modprobe; the real depmod's options (kmodsim.tools.depmod)."""

from __future__ import annotations

import click

from kmodsim.cli import TOOL_SETTINGS, ToolCommand, run_tool


@click.command(cls=ToolCommand, tool="depmod", context_settings=TOOL_SETTINGS,
               add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> None:
    """Index modules for modprobe: which module provides which symbol, and needs which.

    \b
    kmod depmod [-a -n -v] [FOLDER|FILE ...]

    Indexes the module files of the folders named (below them too), or else of the
    machine's /lib/modules (what kmod sh copied there) and the folders in
    KMODSIM_MODULE_PATH (colon-separated; unset: ./modules), into the machine's folder
    (lib/modules/6.1.0-kmodsim/modules.dep and modules.symbols). -n prints modules.dep
    instead. kmod 30's depmod options (`kmod depmod --help`)."""
    from kmodsim.tools.depmod import main

    run_tool(main, args)
