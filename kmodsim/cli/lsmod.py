"""kmod lsmod: the loaded modules, in kmod's layout (tools/lsmod.c)."""

from __future__ import annotations

import click


@click.command()
def command() -> None:
    """Show the loaded modules."""
    from kmodsim.formats.lsmod import render_lsmod
    from kmodsim.machine import Machine

    rows = [(m.name, m.size, m.refcnt, m.holders) for m in Machine().modules()]
    click.echo(render_lsmod(rows), nl=False)
