"""kmod dmesg: util-linux dmesg over the simulated ring buffer or a dump file.

The options are parsed by kmodsim.dmesg.options (a getopt_long() work-alike), not by click:
click only hands over the raw arguments, so that errors, help and option spelling are
util-linux's.
"""

from __future__ import annotations

import sys

import click


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                      "allow_interspersed_args": False, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> None:
    """Print or control the kernel ring buffer (util-linux dmesg)."""
    from kmodsim.dmesg.main import run

    try:  # one machine per kmod process, shared by the lines of a batch
        from kmodsim.cli import get_machine
    except ImportError:
        get_machine = None  # type: ignore[assignment]
    sys.exit(run(list(args), machine=get_machine))
