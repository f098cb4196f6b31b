"""The `kmod` command: a click group whose subcommands live one per file and load lazily.

Each `kmod` run is a fresh process, so only the subcommand actually typed is imported
(batch mode, `kmod -b FILE`, is imported only when asked for).
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from kmodsim.machine import Machine
    from kmodsim.tools import Stdio

# name -> module under kmodsim.cli that defines `command`
_COMMANDS = {
    "insmod": "insmod",
    "rmmod": "rmmod",
    "lsmod": "lsmod",
    "modinfo": "modinfo",
    "dmesg": "dmesg",
    "proc": "proc",
    "reboot": "reboot",
    "sh": "sh",
}
INTERNAL_ERROR = 70  # EX_SOFTWARE


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n in _COMMANDS if self.get_command(ctx, n) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _COMMANDS.get(cmd_name)
        if module is None:
            return None
        name = f"kmodsim.cli.{module}"
        try:
            return importlib.import_module(name).command
        except ModuleNotFoundError as e:
            if e.name != name:  # a real bug inside the command's module: don't hide it
                raise
            return None  # a command not written yet is an unknown command (usage error)


@click.group(cls=LazyGroup, invoke_without_command=True, no_args_is_help=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-b", "--batch", "batch_file", metavar="FILE",
              help="Run one kmod command per line of FILE ('-': standard input).")
@click.option("--force", is_flag=True,
              help="With -b: go on after a failing line (exit 1 at the end if any failed).")
@click.option("--no-hints", is_flag=True,
              help="Leave the kernel's reports alone: no `kmodsim: hint:` lines.")
@click.version_option(package_name="kmodsim", prog_name="kmodsim")
@click.pass_context
def cli(ctx: click.Context, batch_file: str | None, force: bool, no_hints: bool) -> None:
    """Simulated Linux kernel modules: insmod, rmmod, lsmod, dmesg and /proc, no root needed."""
    if no_hints:  # the kernel side reads it from the environment (KMODSIM_NO_HINTS=1 too)
        os.environ["KMODSIM_NO_HINTS"] = "1"
    if batch_file is None:
        if force:
            raise click.UsageError("--force goes with -b FILE")
        return
    if ctx.invoked_subcommand is not None:
        raise click.UsageError("-b FILE takes the commands from FILE, not from the command line")
    if ctx.obj is not None:  # a batch line that is itself `-b ...`
        raise click.UsageError("-b can't be used inside a batch")
    from kmodsim.cli.batch import run_batch

    ctx.exit(run_batch(batch_file, force, run))


def get_machine() -> Machine:
    """The machine of this `kmod` run: one per process, so that a batch of commands shares
    one store connection. The kernel console (KERN_ERR and worse) is our stderr."""
    root = click.get_current_context().find_root()
    if root.obj is None:
        from kmodsim.machine import Machine

        root.obj = Machine()
    return root.obj  # type: ignore[no-any-return]


# a command whose options are the real tool's: click hands over every argument untouched
TOOL_SETTINGS = {"ignore_unknown_options": True, "allow_extra_args": True,
                 "allow_interspersed_args": False, "help_option_names": []}


def run_tool(main: Callable[[list[str], Stdio, Machine], int], args: Sequence[str]) -> None:
    """Run one of kmodsim.tools with this process's streams; exit with its status."""
    from kmodsim.tools import Stdio

    io = Stdio(sys.stdin.buffer, sys.stdout.buffer, sys.stderr.buffer)
    status = main(list(args), io, get_machine())
    sys.stdout.flush()
    if status:
        sys.exit(status)


def as_name(arg: str) -> str:
    """A module or /proc name as typed, made storable: bytes that aren't UTF-8 (a shell can
    pass any) become U+FFFD, which no loaded name contains, so the lookup just fails."""
    return os.fsencode(arg).decode("utf-8", "replace")


def run(args: Sequence[str], machine: Machine | None = None) -> int:
    """Run one kmod command line; returns its exit status, having printed what it prints.
    Never raises (but for KMODSIM_DEBUG, and KeyboardInterrupt: Ctrl-C ends the program, as
    kmodsim.entry does it): a user never sees a Python traceback."""
    from kmodsim.errors import KmodError

    try:
        # not cli.main(): it turns Ctrl-C into "Aborted!", where a program interrupted by
        # SIGINT says nothing (kmodsim.entry makes the process die of the signal)
        with cli.make_context("kmod", list(args), obj=machine) as ctx:
            rv = cli.invoke(ctx)
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except (click.Abort, EOFError):
        click.echo("Aborted!", err=True)
        return 1
    except KmodError as e:
        click.echo("\n".join(e.lines), err=True)
        return e.exit_code
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except OSError as e:
        if e.errno == errno.EPIPE:  # `kmod ... | head`: the reader left; as click does
            _silence_stdout()
            return 1
        return _internal_error(e)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - a user never sees a Python traceback
        return _internal_error(e)


def _internal_error(e: BaseException) -> int:
    if os.environ.get("KMODSIM_DEBUG"):
        raise e
    click.echo(f"kmod: internal error: {describe(e)} (set KMODSIM_DEBUG=1 to see where)",
               err=True)
    return INTERNAL_ERROR


def describe(e: BaseException) -> str:
    """`Type: message` of an exception, even one whose __str__ fails."""
    try:
        text = str(e)
    except Exception:  # noqa: BLE001
        text = "<exception str() failed>"
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush can't fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main() -> None:
    sys.exit(run(sys.argv[1:]))
