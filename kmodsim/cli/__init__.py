"""The `kmod` command: a click group whose subcommands live one per file and load lazily.

Each `kmod` run is a fresh process, so only the subcommand actually typed is imported.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

# name -> module under kmodsim.cli that defines `command`
_COMMANDS = {
    "insmod": "insmod",
    "rmmod": "rmmod",
    "lsmod": "lsmod",
    "modinfo": "modinfo",
    "dmesg": "dmesg",
    "proc": "proc",
    "reboot": "reboot",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _COMMANDS.get(cmd_name)
        if module is None:
            return None
        return importlib.import_module(f"kmodsim.cli.{module}").command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kmodsim", prog_name="kmodsim")
def cli() -> None:
    """Simulated Linux kernel modules: insmod, rmmod, lsmod, dmesg and /proc, no root needed."""


def main() -> None:
    from kmodsim.errors import KmodError

    try:
        cli(prog_name="kmod")
    except KmodError as e:
        for line in e.lines:
            click.echo(line, err=True)
        sys.exit(e.exit_code)
    except Exception as e:  # noqa: BLE001 - a user never sees a Python traceback
        if os.environ.get("KMODSIM_DEBUG"):
            raise
        click.echo(f"kmod: internal error: {type(e).__name__}: {e} "
                   f"(set KMODSIM_DEBUG=1 to see where)", err=True)
        sys.exit(70)
