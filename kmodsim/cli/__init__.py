"""The `kmod` command (also installed as `kmodsim`): a click group whose subcommands live
one per file and load lazily.

Each `kmod` run is a fresh process, so only the subcommand actually typed is imported
(batch mode, `kmod -b FILE`, is imported only when asked for; so are shell completion and
the explanation a terminal gets after a command that made the kernel report something).
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

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
    "modprobe": "modprobe",
    "depmod": "depmod",
    "dmesg": "dmesg",
    "proc": "proc",
    "cat": "files:cat",
    "write": "files:write",
    "ls": "files:ls",
    "ioctl": "files:ioctl",
    "reboot": "reboot",
    "sh": "sh",
    "explain": "explain",
    "status": "status",
    "help": "help",
    "completion": "completion",
}
INTERNAL_ERROR = 70  # EX_SOFTWARE
# The name this process was called by, `kmod` or `kmodsim`: usage lines and the commands
# kmodsim suggests use it (kmodsim.entry sets it).
PROG = "kmod"
COLOR_MODES = ("auto", "always", "never")


class LazyGroup(click.Group):
    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(self.epilog.format(prog=ctx.find_root().info_name))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n in _COMMANDS if self.get_command(ctx, n) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _COMMANDS.get(cmd_name)
        if module is None:
            return None
        module, _, attribute = module.partition(":")  # "files:cat": one of a file's commands
        name = f"kmodsim.cli.{module}"
        try:
            return getattr(importlib.import_module(name), attribute or "command")  # type: ignore[no-any-return]
        except ModuleNotFoundError as e:
            if e.name != name:  # a real bug inside the command's module: don't hide it
                raise
            return None  # a command not written yet is an unknown command (usage error)


def version() -> str:
    """kmodsim's name and version: what `kmod --version` says (the system's kmod says
    `kmod version 30`, so the two can't be mistaken)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return f"kmodsim {package_version('kmodsim')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        from kmodsim import __version__

        return f"kmodsim {__version__}"


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(version())
        ctx.exit(0)


def state_folder() -> str:
    """The folder that holds the simulated machine (KMODSIM_HOME, made absolute by
    kmodsim.entry, or the user data folder)."""
    from kmodsim.store import default_home

    return str(default_home())


def _print_where(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(state_folder())
        ctx.exit(0)


def _set_color(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and not ctx.resilient_parsing:
        # the environment carries it to `kmod dmesg` and to kmod sh's programs
        os.environ["KMODSIM_COLOR"] = value


HELP_EPILOG = ("`{prog} help COMMAND` shows a command's options (insmod, rmmod, lsmod, "
               "modinfo and dmesg take the real tools' own); `{prog} help --all` all of them.")


@click.group(cls=LazyGroup, invoke_without_command=True, epilog=HELP_EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-b", "--batch", "batch_file", metavar="FILE",
              help="Run one kmod command per line of FILE ('-': standard input).")
@click.option("--force", is_flag=True,
              help="With -b: go on after a failing line (exit 1 at the end if any failed).")
@click.option("--no-hints", is_flag=True,
              help="Leave the kernel's reports alone: no `kmodsim: hint:` lines.")
@click.option("--color", type=click.Choice(COLOR_MODES), metavar="WHEN", expose_value=False,
              callback=_set_color, is_eager=True,
              help="Colours: auto (on a terminal, unless NO_COLOR is set), always or never.")
@click.option("--where", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_where,
              help="Print the folder that holds the simulated machine, and exit.")
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Print kmodsim's name and version, and exit.")
@click.pass_context
def cli(ctx: click.Context, batch_file: str | None, force: bool, no_hints: bool) -> None:
    """Simulated Linux kernel modules: insmod, rmmod, lsmod, dmesg and /proc, no root needed.

    kmodsim's command is installed twice, as `kmod` and as `kmodsim`: the system's own kmod
    (/usr/bin/kmod) answers to `kmod` wherever kmodsim's folder is not first on PATH."""
    if no_hints:  # the kernel side reads it from the environment (KMODSIM_NO_HINTS=1 too)
        os.environ["KMODSIM_NO_HINTS"] = "1"
    if batch_file is None:
        if force:
            raise click.UsageError("--force goes with -b FILE")
        if ctx.invoked_subcommand is None:  # bare `kmod`: what there is to type
            click.echo(ctx.get_help())
            ctx.exit(0)
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


class ToolCommand(click.Command):
    """A command whose options are the real tool's (kmodsim.tools.NAME, or dmesg's): click
    parses none of them, but completes them (kmodsim.cli.completion, imported on a TAB)."""

    def __init__(self, *args: Any, tool: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tool = tool

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        from kmodsim.cli.completion import tool_options

        return tool_options(self.tool, incomplete)


def completer(name: str) -> Callable[[click.Context, click.Parameter, str], list[Any]]:
    """kmodsim.cli.completion's function `name`, imported only when the shell asks."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from kmodsim.cli import completion

        return getattr(completion, name)(ctx, param, incomplete)  # type: ignore[no-any-return]

    return complete


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


def run(args: Sequence[str], machine: Machine | None = None, prog: str | None = None) -> int:
    """Run one kmod command line; returns its exit status, having printed what it prints.
    Never raises (but for KMODSIM_DEBUG, and KeyboardInterrupt: Ctrl-C ends the program, as
    kmodsim.entry does it): a user never sees a Python traceback.

    `prog` is the name the process was called by (`kmod` or `kmodsim`). `machine` is
    given for the lines of a batch, which share it."""
    global PROG
    if prog is not None:
        PROG = prog
    if machine is None:  # shell completion asks a process of its own, through the environment
        complete_var = f"_{PROG.upper()}_COMPLETE"
        instruction = os.environ.get(complete_var)
        if instruction:
            from kmodsim.cli.completion import complete

            return complete(cli, PROG, complete_var, instruction)
    started = time.time()
    used: list[Machine | None] = [machine]
    try:
        status = _run(args, machine, used)
    except KeyboardInterrupt:  # Ctrl-C: a task stuck for good (a hung task) says why first
        _explain(args, used[0], started, 128 + 2)
        raise
    _explain(args, used[0], started, status)
    return status


def _explain(args: Sequence[str], machine: Machine | None, started: float,
             status: int) -> None:
    words = _explained_command(args)
    if words is not None and _explanations_wanted():
        from kmodsim.cli.reporting import after_command

        after_command(machine, words, started, status, PROG)


def _explained_command(args: Sequence[str]) -> list[str] | None:
    """The words of the command, from its name on, when it may run module code (and so
    make the kernel report something): insmod, rmmod, proc read/write, a `kmod sh` line or
    script. None for the others, a batch (its lines are explained one by one) and
    interactive `kmod sh`."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] in ("-b", "--batch") or args[i].startswith("--batch="):
            return None
        i += 2 if args[i] == "--color" else 1
    words = list(args[i:])
    if not words:
        return None
    name = words[0]
    if name in ("insmod", "rmmod", "modprobe", "cat", "write", "ioctl") or \
            (name == "sh" and len(words) > 1) or \
            (name == "proc" and len(words) > 1 and words[1] in ("read", "write")):
        return words
    return None


def _explanations_wanted() -> bool:
    """On a terminal, or when KMODSIM_EXPLAIN=1; never with KMODSIM_EXPLAIN=0. A script that
    compares stderr (`Killed`) gets exactly what the real tools print."""
    setting = os.environ.get("KMODSIM_EXPLAIN", "")
    if setting not in ("", "auto"):
        return setting not in ("0", "no", "never")
    try:
        return os.isatty(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False


def _run(args: Sequence[str], machine: Machine | None, used: list[Machine | None]) -> int:
    from kmodsim.errors import KmodError

    ctx: click.Context | None = None
    try:
        # not cli.main(): it turns Ctrl-C into "Aborted!", where a program interrupted by
        # SIGINT says nothing (kmodsim.entry makes the process die of the signal)
        try:
            with cli.make_context(PROG, list(args), obj=machine) as ctx:
                rv = cli.invoke(ctx)
        finally:
            if ctx is not None:
                used[0] = ctx.obj
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
