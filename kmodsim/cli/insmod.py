"""kmod insmod FILE [name=value ...]: load a module and run its init (tools/insmod.c)."""

from __future__ import annotations

import click

from kmodsim.cli import get_machine
from kmodsim.errors import InsmodError


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("filename")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(filename: str, args: tuple[str, ...]) -> None:
    """Insert a module (a .py file) into the simulated kernel."""
    if filename == "-":
        raise InsmodError("insmod: ERROR: this tool does not support loading from stdin!")
    get_machine().insmod(filename, list(args))
