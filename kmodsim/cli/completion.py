"""Shell completion for bash, zsh and fish, through click's mechanism: the shell runs
`_KMOD_COMPLETE=bash_complete kmod` (`_KMODSIM_COMPLETE` for `kmodsim`) with the words typed
so far in COMP_WORDS, and kmod answers with the candidates.

What is completed: command names and options; module files (*.py, *.ko, and folders on the
way to them) after insmod and modinfo; loaded modules after rmmod (and modinfo); /proc
entries after `proc read` and `proc write`; the real tools' options after `insmod -`,
`rmmod -`, `modinfo -` and `dmesg -`, and dmesg's levels, facilities and time formats.

click's scripts know `plain` words, `file` and `dir`; a module file is none of these (a
word, but one the shell must treat as a path: a folder gets `/` and no space after it), so
the scripts here are click's plus three types: `path`, `pathdir` and `prefix` (a word that
goes on, as insmod's `param=`). They also keep quiet
when `kmod` is the system's kmod (no kmodsim on PATH): no error, the shell's own file
completion instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import click
from click.shell_completion import (
    BashComplete,
    CompletionItem,
    FishComplete,
    ZshComplete,
    add_completion_class,
    shell_complete,
)

MODULE_SUFFIXES = (".py", ".ko")

_SOURCE_BASH = """\
%(complete_func)s() {
    local IFS=$'\\n'
    local response

    response=$(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \\
%(complete_var)s=bash_complete "$1" 2>/dev/null)
    if [[ -z $response ]]; then
        compopt -o default  # not kmodsim's kmod, or nothing to offer: the shell's files
        return 0
    fi

    for completion in $response; do
        IFS=',' read type value <<< "$completion"

        if [[ $type == 'dir' ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == 'file' ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == 'path' || $type == 'pathdir' ]]; then
            compopt -o filenames
            COMPREPLY+=("${value%%/}")
        elif [[ $type == 'prefix' ]]; then
            compopt -o nospace
            COMPREPLY+=("$value")
        elif [[ $type == 'plain' ]]; then
            COMPREPLY+=("$value")
        fi
    done

    return 0
}

%(complete_func)s_setup() {
    complete -o nosort -F %(complete_func)s %(prog_name)s
}

%(complete_func)s_setup;
"""

_SOURCE_ZSH = """\
#compdef %(prog_name)s

%(complete_func)s() {
    local -a completions
    local -a completions_with_descriptions
    local -a paths
    local -a pathdirs
    local -a response
    (( ! $+commands[%(prog_name)s] )) && return 1

    response=("${(@f)$(env COMP_WORDS="${words[*]}" COMP_CWORD=$((CURRENT-1)) \\
%(complete_var)s=zsh_complete %(prog_name)s 2>/dev/null)}")

    for type key descr in ${response}; do
        if [[ "$type" == "plain" ]]; then
            if [[ "$descr" == "_" ]]; then
                completions+=("$key")
            else
                completions_with_descriptions+=("$key":"$descr")
            fi
        elif [[ "$type" == "path" ]]; then
            paths+=("$key")
        elif [[ "$type" == "pathdir" || "$type" == "prefix" ]]; then
            pathdirs+=("$key")
        elif [[ "$type" == "dir" ]]; then
            _path_files -/
        elif [[ "$type" == "file" ]]; then
            _path_files -f
        fi
    done

    if [ -n "$completions_with_descriptions" ]; then
        _describe -V unsorted completions_with_descriptions -U
    fi
    if [ -n "$completions" ]; then
        compadd -U -V unsorted -a completions
    fi
    if [ -n "$paths" ]; then
        compadd -U -V unsorted -a paths
    fi
    if [ -n "$pathdirs" ]; then
        compadd -U -V unsorted -S '' -a pathdirs
    fi
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    %(complete_func)s "$@"
else
    compdef %(complete_func)s %(prog_name)s
fi
"""

_SOURCE_FISH = """\
function %(complete_func)s;
    set -l response (env %(complete_var)s=fish_complete COMP_WORDS=(commandline -cp) \\
COMP_CWORD=(commandline -t) %(prog_name)s 2>/dev/null);

    for completion in $response;
        set -l metadata (string split -m 1 "," $completion);

        if test $metadata[1] = "dir";
            __fish_complete_directories $metadata[2];
        else if test $metadata[1] = "file";
            __fish_complete_path $metadata[2];
        else if contains $metadata[1] plain path pathdir prefix;
            echo $metadata[2];
        end;
    end;
end;

complete --no-files --command %(prog_name)s --arguments "(%(complete_func)s)";
"""


class _Bash(BashComplete):
    source_template = _SOURCE_BASH

    def source(self) -> str:  # no bash version check: bash 4.4 is ten years old
        return self.source_template % self.source_vars()


class _Zsh(ZshComplete):
    source_template = _SOURCE_ZSH


class _Fish(FishComplete):
    source_template = _SOURCE_FISH


SHELLS = {"bash": _Bash, "zsh": _Zsh, "fish": _Fish}


def _register() -> None:
    for name, cls in SHELLS.items():
        add_completion_class(cls, name)


def complete(cli: click.Command, prog: str, complete_var: str, instruction: str) -> int:
    """Answer the shell (`bash_complete`...) or print its script (`bash_source`...)."""
    _register()
    return shell_complete(cli, {}, prog, complete_var, instruction)


def script(cli: click.Command, prog: str, shell: str) -> str:
    """The completion script for `shell`, as `_KMOD_COMPLETE=SHELL_source kmod` prints it."""
    return SHELLS[shell](cli, {}, prog, f"_{prog.upper()}_COMPLETE").source()


# -- what is completed ---------------------------------------------------------------------

def module_files(incomplete: str) -> list[CompletionItem]:
    """Module files (*.py, *.ko) and folders, below what is typed so far."""
    folder, start = os.path.split(incomplete)
    where = os.path.expanduser(folder) if folder else "."
    try:
        names = sorted(os.listdir(where))
    except OSError:
        return []
    items = []
    for name in names:
        if not name.startswith(start) or (name.startswith(".") and not start.startswith(".")):
            continue
        typed = os.path.join(folder, name)
        if os.path.isdir(os.path.join(where, name)):
            if name != "__pycache__":
                items.append(CompletionItem(typed + "/", type="pathdir"))
        elif name.endswith(MODULE_SUFFIXES):
            items.append(CompletionItem(typed, type="path"))
    return items


def _machine():  # type: ignore[no-untyped-def]
    """The machine, if there is one yet (completion never creates it)."""
    from kmodsim.store import DB_NAME, default_home

    home = default_home()
    if not (home / DB_NAME).exists():
        return None
    from kmodsim.machine import Machine

    return Machine(home)


def _asking(what: Callable[..., list[str]]) -> list[str]:
    """What the machine says, or nothing if it can't say (panicked, damaged, busy)."""
    try:
        m = _machine()
        if m is None:
            return []
        try:
            return what(m)
        finally:
            m.close()
    except Exception:  # noqa: BLE001 - a TAB must never print a traceback
        return []


def loaded_modules(incomplete: str) -> list[CompletionItem]:
    names = _asking(lambda m: [info.name for info in m.modules()])
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def proc_entries(incomplete: str) -> list[CompletionItem]:
    paths = _asking(lambda m: m.proc_list())
    return [CompletionItem(p) for p in paths if p.startswith(incomplete)]


def complete_proc_entry(ctx: click.Context, param: click.Parameter,
                        incomplete: str) -> list[CompletionItem]:
    return proc_entries(incomplete.removeprefix("/proc/"))


def complete_simulated_path(ctx: click.Context, param: click.Parameter,
                            incomplete: str) -> list[CompletionItem]:
    """The names in the simulated directory of what is typed (/proc/, /sys/module/...)."""
    folder, _, start = incomplete.rpartition("/")
    if not folder:  # the trees themselves
        return [CompletionItem(r) for r in ("/dev/", "/proc/", "/sys/")
                if r.startswith(incomplete or "/")]
    names = _asking(lambda m: m.list_dir(folder or "/") or [])
    return [CompletionItem(f"{folder}/{n}") for n in names if n.startswith(start)]


def _typed(ctx: click.Context, param: click.Parameter) -> list[str]:
    value = ctx.params.get(param.name or "") or ()
    return list(value)


def complete_insmod(ctx: click.Context, param: click.Parameter,
                    incomplete: str) -> list[CompletionItem]:
    operands = [a for a in _typed(ctx, param) if not a.startswith("-")]
    if not operands:
        return module_files(incomplete)
    return module_parameters(operands[0], incomplete)


def module_parameters(path: str, incomplete: str) -> list[CompletionItem]:
    """`name=` for each module_param of the module file, after insmod FILE."""
    from kmodsim.tools import module_file

    try:
        from kmodsim.runtime.modinfo import ModInfo

        params = ModInfo(module_file(path)).params
    except Exception:  # noqa: BLE001 - a module that doesn't parse has no parameters to offer
        return []
    return [CompletionItem(f"{name}=", type="prefix", help=desc or None)
            for name, desc, _ in params if name.startswith(incomplete)]


def complete_rmmod(ctx: click.Context, param: click.Parameter,
                   incomplete: str) -> list[CompletionItem]:
    done = set(_typed(ctx, param))
    return [item for item in loaded_modules(incomplete) if item.value not in done]


def complete_modinfo(ctx: click.Context, param: click.Parameter,
                     incomplete: str) -> list[CompletionItem]:
    typed = _typed(ctx, param)
    if typed and typed[-1] in ("-F", "--field"):
        return [CompletionItem(f) for f in ("alias", "author", "depends", "description",
                                            "filename", "license", "name", "parm", "vermagic")
                if f.startswith(incomplete)]
    return module_files(incomplete) + loaded_modules(incomplete)


def complete_dmesg(ctx: click.Context, param: click.Parameter,
                   incomplete: str) -> list[CompletionItem]:
    from kmodsim.dmesg.levels import FACILITY_NAMES, LEVEL_NAMES

    typed = _typed(ctx, param)
    last = typed[-1] if typed else ""
    if last in ("-l", "--level"):
        words = list(LEVEL_NAMES)
    elif last in ("-f", "--facility"):
        words = list(FACILITY_NAMES)
    elif last == "--time-format":
        words = ["delta", "reltime", "ctime", "notime", "iso", "raw"]
    elif last in ("-n", "--console-level"):
        words = list(LEVEL_NAMES)
    elif last in ("-F", "--file", "-K", "--kmsg-file"):
        return [CompletionItem(incomplete, type="file")]
    else:
        return []
    return [CompletionItem(w) for w in words if w.startswith(incomplete)]


def tool_options(tool: str, incomplete: str) -> list[CompletionItem]:
    """The real tool's options (kmodsim.tools.TOOL, or dmesg's), which click never parses."""
    import importlib

    name = "kmodsim.dmesg.options" if tool == "dmesg" else f"kmodsim.tools.{tool}"
    module = importlib.import_module(name)
    shortopts = getattr(module, "SHORTOPTS", "")
    longopts = getattr(module, "LONGOPTS", ())
    out = [f"-{c}" for c in shortopts if c not in ":+" and c != "i"]  # dmesg's -i is no option
    out += [f"--{name}" for name, _, _ in longopts]
    return [CompletionItem(o) for o in out if o.startswith(incomplete)]


# -- kmod completion SHELL ---------------------------------------------------------------

@click.command()
@click.argument("shell", required=False, type=click.Choice(sorted(SHELLS)))
def command(shell: str | None) -> None:
    """Print the shell completion script for bash, zsh or fish.

    The shell is your $SHELL's unless named.

    \b
    bash: echo 'eval "$(kmodsim completion bash)"' >> ~/.bashrc
    zsh:  echo 'eval "$(kmodsim completion zsh)"' >> ~/.zshrc
    fish: kmodsim completion fish > ~/.config/fish/completions/kmodsim.fish

    The script completes the name it is printed for (`kmod completion` completes kmod).
    It is what `_KMOD_COMPLETE=bash_source kmod` prints too (click's mechanism)."""
    root = click.get_current_context().find_root()
    if shell is None:
        shell = os.path.basename(os.environ.get("SHELL", "")) or "bash"
        if shell not in SHELLS:
            raise click.UsageError(f"no completion for {shell}: name one of bash, zsh, fish")
    click.echo(script(root.command, root.info_name or "kmod", shell), nl=False)
