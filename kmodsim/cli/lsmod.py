"""kmod lsmod: the loaded modules, in kmod's layout (tools/lsmod.c)."""

from __future__ import annotations

import click

from kmodsim.cli import get_machine


@click.command()
def command() -> None:
    """Show the loaded modules."""
    from kmodsim.formats.lsmod import render_lsmod

    rows = [(m.name, m.size, m.refcnt, m.holders) for m in get_machine().modules()]
    click.echo(render_lsmod(rows), nl=False)
