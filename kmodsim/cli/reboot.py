"""kmod reboot: a fresh boot of the simulated machine."""

from __future__ import annotations

import click

from kmodsim.cli import get_machine


@click.command()
@click.option("--reset", is_flag=True,
              help="Throw the state file away first (the way out of a damaged one).")
@click.option("--log-buf-len", type=click.IntRange(min=4096), metavar="BYTES",
              help="Size of the ring buffer for this boot (the log_buf_len= boot parameter; "
                   "default 131072).")
def command(reset: bool, log_buf_len: int | None) -> None:
    """Reboot: no modules, an empty ring buffer, the clock back at zero."""
    get_machine().reboot(reset=reset, log_buf_len=log_buf_len)
