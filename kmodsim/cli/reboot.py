"""kmod reboot: a fresh boot of the simulated machine."""

from __future__ import annotations

import click

from kmodsim.cli import get_machine


@click.command()
@click.option("--reset", is_flag=True,
              help="Throw the state file away first (the way out of a damaged one).")
def command(reset: bool) -> None:
    """Reboot: no modules, an empty ring buffer, the clock back at zero."""
    get_machine().reboot(reset=reset)
