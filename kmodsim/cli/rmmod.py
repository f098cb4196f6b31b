"""kmod rmmod NAME|FILE ...: run a module's exit and unload it (tools/rmmod.c)."""

from __future__ import annotations

import click

from kmodsim.cli import as_name, get_machine
from kmodsim.errors import KmodError, RmmodError


@click.command()
@click.option("-f", "--force", is_flag=True, help="Remove even a module that can't be removed.")
@click.argument("modules", nargs=-1, required=True)
def command(modules: tuple[str, ...], force: bool) -> None:
    """Remove modules from the simulated kernel."""
    machine = get_machine()
    failed: list[str] = []
    for target in modules:  # like rmmod: go on with the next name, fail at the end
        try:
            machine.rmmod(as_name(target), force=force)
        except KmodError as e:
            if e.exit_code != 1:
                raise
            failed.extend(e.lines)
    if failed:
        raise RmmodError(failed)
