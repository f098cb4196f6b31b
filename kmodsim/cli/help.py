"""kmod help [COMMAND [SUBCOMMAND]] | --all | --man: every command and every option, from the
click commands themselves and from the real tools' own help (insmod, rmmod, lsmod, modinfo
and dmesg parse their options as the real tools do, so their help is the real tools').

`--man` prints the same as a man page (kmodsim(1)): `kmod help --man | man -l -` reads it,
and saving it as ~/.local/share/man/man1/kmodsim.1 makes `man kmodsim` work. (`man kmod`
is the system's kmod.)
"""

from __future__ import annotations

import io

import click

# (variable, what it does): the environment kmodsim reads, for --all and the man page
ENVIRONMENT = [
    ("KMODSIM_HOME", "The folder that holds the simulated machine (an absolute path; `~` is "
                     "expanded; a relative one is refused, as it would be another machine in "
                     "each folder). Default: your user data folder, ~/.local/share/kmodsim. "
                     "`kmod --where` prints the folder in use."),
    ("KMODSIM_EXPLAIN", "1: after a command that made the kernel report something, explain it "
                        "on stderr even when stderr is not a terminal; 0: never. By default "
                        "only on a terminal, so that scripts comparing stderr see exactly "
                        "`Killed`."),
    ("NO_COLOR", "Set (to anything): no colours, unless asked for with --color=always (for "
                 "kmod dmesg, unless a -L/--color option is given, as util-linux 2.41 "
                 "reads it)."),
    ("KMODSIM_COLOR", "auto, always or never: what --color sets, for kmod dmesg and kmodsim's "
                      "own output (explanations)."),
    ("KMODSIM_NO_HINTS", "1: leave the kernel's reports alone, with no `kmodsim: hint:` lines "
                         "(as --no-hints)."),
    ("KMODSIM_BOOT_TIME", "Seconds since the epoch: the boot's wall-clock time for dmesg -T, "
                          "--since and friends."),
    ("KMODSIM_PRINTK_CALLER", "1: records carry caller ids ([ T1234]), as on a kernel built "
                              "with CONFIG_PRINTK_CALLER."),
    ("KMODSIM_MODULE_PATH", "Folders kmod depmod indexes when given none, separated by colons "
                            "(relative ones from where it runs; unset: modules)."),
    ("KMODSIM_WATCHDOG_THRESH", "Seconds module code may run without sleeping before the "
                                "soft-lockup watchdog stops it (5)."),
    ("KMODSIM_HUNG_TASK_TIMEOUT", "Seconds a task may sleep uninterruptibly (mutex_lock, "
                                  "wait_event, wait_for_completion, down, kthread_stop) "
                                  "before khungtaskd reports it (120); 0 turns the report "
                                  "off."),
    ("KMODSIM_DEBUG", "1: an internal error shows its Python traceback."),
    ("PAGER", "kmod dmesg -H pages its output through it (less by default), as dmesg does."),
    ("_KMOD_COMPLETE, _KMODSIM_COMPLETE", "Shell completion (click's mechanism): "
                                          "bash_source, zsh_source or fish_source prints the "
                                          "script; see `kmod completion --help`."),
]
TOOLS = ("insmod", "rmmod", "lsmod", "modinfo", "modprobe", "depmod", "dmesg")


@click.command()
@click.option("--all", "everything", is_flag=True,
              help="Every command and every option, with the environment it reads.")
@click.option("--man", is_flag=True,
              help="The same as a man page (roff): `kmod help --man | man -l -`.")
@click.argument("names", nargs=-1, metavar="[COMMAND [SUBCOMMAND]]")
def command(everything: bool, man: bool, names: tuple[str, ...]) -> None:
    """Show help for kmod, or a command: `kmod help proc write`.

    --all shows every command and every option, with the environment variables kmodsim
    reads; --man the same as a man page."""
    root = click.get_current_context().find_root()
    if man:
        click.echo(man_page(root), nl=False)
        return
    if everything:
        click.echo(all_text(root), nl=False)
        return
    if not names:
        click.echo(root.get_help())
        return
    click.echo(command_help(root, list(names)), nl=False)


def _resolve(root: click.Context, names: list[str]) -> tuple[click.Context, click.Command]:
    ctx, cmd = root, root.command
    for name in names:
        if not isinstance(cmd, click.Group):
            raise click.UsageError(f"{ctx.command_path} has no subcommand {name!r}")
        sub = cmd.get_command(ctx, name)
        if sub is None:
            known = ", ".join(cmd.list_commands(ctx))
            raise click.UsageError(f"no such command: {name!r} (commands: {known})")
        ctx = click.Context(sub, info_name=name, parent=ctx)
        cmd = sub
    return ctx, cmd


def tool_help(name: str) -> str:
    """The real tool's own help text, as `kmod NAME --help` prints it."""
    if name == "dmesg":
        from kmodsim.dmesg.options import usage

        return usage()
    if name == "lsmod":
        return "Usage: lsmod\n"
    import importlib

    from kmodsim.tools import Stdio

    out = io.BytesIO()
    main = importlib.import_module(f"kmodsim.tools.{name}").main
    main(["--help"], Stdio(io.BytesIO(), out, io.BytesIO()), None)
    return out.getvalue().decode()


def command_help(root: click.Context, names: list[str]) -> str:
    ctx, cmd = _resolve(root, names)
    if names[-1] in TOOLS and len(names) == 1:
        text = cmd.help or ""
        first, _, rest = text.partition("\n")
        lines = [f"{root.info_name} {names[0]}: {first.strip()}", ""]
        if rest.strip():
            lines += [click.unstyle(line) for line in _dedent(rest).splitlines()] + [""]
        lines += [_tool_intro(root.info_name or "kmod", names[0]) + ":", ""]
        lines += ["  " + line if line else ""
                  for line in tool_help(names[0]).strip("\n").splitlines()]
        return "\n".join(lines) + "\n"
    return cmd.get_help(ctx) + "\n"


def _tool_intro(prog: str, tool: str) -> str:
    if tool == "lsmod":
        return "lsmod takes no options; given any argument, it prints its usage (status 1)"
    return f"Its options are the real {tool}'s; `{prog} {tool} --help` prints them"


def _dedent(text: str) -> str:
    """A docstring as click shows it: dedented, without click's `\\b` (no rewrap) marks."""
    import inspect

    return "\n".join(line for line in inspect.cleandoc(text).split("\n") if line != "\b")


def _roff_help(text: str) -> list[str]:
    """A command's help as roff paragraphs; click's `\\b` paragraphs stay as they are."""
    import inspect

    out: list[str] = []
    for para in inspect.cleandoc(text).split("\n\n"):
        if not para.strip():
            continue
        if out:
            out.append(".PP")
        lines = para.split("\n")
        if lines[0] == "\b":
            out += [".nf", _roff("\n".join(lines[1:])), ".fi"]
        else:
            out.append(_roff(" ".join(line.strip() for line in lines)))
    return out


def _walk(root: click.Context) -> list[list[str]]:
    """Every command path, depth first: [["dmesg"], ["proc"], ["proc", "ls"], ...]."""
    paths: list[list[str]] = []

    def visit(ctx: click.Context, cmd: click.Command, path: list[str]) -> None:
        if path:
            paths.append(path)
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    visit(click.Context(sub, info_name=name, parent=ctx), sub, [*path, name])

    visit(root, root.command, [])
    return paths


def all_text(root: click.Context) -> str:
    rule = "=" * 78
    parts = [root.get_help(), ""]
    for path in _walk(root):
        parts += [rule, f"{root.info_name} {' '.join(path)}", rule,
                  command_help(root, path).rstrip("\n"), ""]
    parts += [rule, "Environment", rule]
    for name, text in ENVIRONMENT:
        parts.append(name)
        parts += ["  " + line for line in _wrap(text, 74)]
    return "\n".join(parts) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


# -- the man page ---------------------------------------------------------------------------

def _roff(text: str) -> str:
    """Text made safe for roff: backslashes, and a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + line if line[:1] in (".", "'") else line)
                     for line in text.split("\n"))


def man_page(root: click.Context) -> str:
    from kmodsim.cli import version

    prog = root.info_name or "kmod"
    v = version().split(" ", 1)[1]
    out = [f'.TH KMODSIM 1 "" "kmodsim {v}" "kmodsim manual"',
           ".SH NAME",
           "kmodsim, kmod \\- Linux kernel modules written in Python, on a simulated kernel",
           ".SH SYNOPSIS",
           f".B {prog}",
           "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
           ".br",
           ".B kmodsim",
           "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
           ".SH DESCRIPTION",
           *_roff_help(root.command.help or ""),
           ".PP",
           _roff("insmod, rmmod, lsmod and modinfo behave as kmod 30's tools do, dmesg as "
                 "util-linux's: same options, messages and exit statuses. A command whose "
                 "module code crashes the kernel ends as a killed task does: Killed (137) or "
                 "Segmentation fault (139), the kernel's report in kmod dmesg, and kmodsim's "
                 "explanation in kmod explain."),
           ".SH OPTIONS"]
    out += _options(root)
    out.append(".SH COMMANDS")
    for path in _walk(root):
        ctx, cmd = _resolve(root, path)
        name = " ".join(path)
        out += [".SS " + _roff(f"{prog} {name}")]
        out += _roff_help(cmd.help or "")
        if path[0] in TOOLS and len(path) == 1:
            out += [".PP", _roff(_tool_intro(prog, path[0]) + ":"),
                    ".PP", ".nf", ".RS 4", _roff(tool_help(path[0]).strip("\n")), ".RE",
                    ".fi"]
        else:
            out += _options(ctx)
    out.append(".SH ENVIRONMENT")
    for name, text in ENVIRONMENT:
        out += [".TP", f".B {_roff(name)}", _roff(text)]
    out += [".SH EXIT STATUS",
            _roff("0 on success; the real tool's status for insmod, rmmod, lsmod, modinfo and "
                  "dmesg (1 for most errors); 2 for a usage error; 137 (Killed) or 139 "
                  "(Segmentation fault) when module code killed the command's task (an Oops); "
                  "130 after Ctrl-C; 70 for an internal error."),
            ".SH FILES",
            ".TP", ".I ~/.local/share/kmodsim/machine.db",
            _roff("The simulated machine (or machine.db in KMODSIM_HOME): modules, their "
                  "memory, /proc entries, the ring buffer."),
            ".SH SEE ALSO",
            "\\fBinsmod\\fR(8), \\fBrmmod\\fR(8), \\fBlsmod\\fR(8), \\fBmodinfo\\fR(8), "
            "\\fBdmesg\\fR(1), \\fBkmod\\fR(8)"]
    return "\n".join(out) + "\n"


def _options(ctx: click.Context) -> list[str]:
    out = []
    for param in ctx.command.get_params(ctx):
        if not isinstance(param, click.Option):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        flags, text = record
        out += [".TP", f".B {_roff(flags)}", _roff(text)]
    return out

