"""`kmod sh -c LINE`, `kmod sh FILE` and the interactive prompt (readline: editing and
history; Ctrl-C cancels the line, Ctrl-D leaves)."""

from __future__ import annotations

import os
import sys

from kmodsim.machine import Machine
from kmodsim.sh.run import Exit, Shell

PROMPT = "root@kmodsim:~# "
HISTORY = os.path.expanduser("~/.kmodsim_sh_history")


def _shell(name: str = "sh") -> Shell:
    machine = Machine(uid=0)  # the tutorials' `sudo`: you are root here
    return Shell(machine, sys.stdin.buffer, sys.stdout.buffer, sys.stderr.buffer, name)


def run_command(text: str) -> int:
    """sh -c TEXT: each line of TEXT in turn; the status of the last."""
    sh = _shell()
    try:
        for line in text.split("\n"):
            sh.run_line(line)
    except Exit as e:
        return e.status
    return sh.status


def run_file(path: str) -> int:
    """sh FILE: one line at a time; messages name the file, as dash's do."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().split("\n")
    except OSError as e:
        sys.stderr.write(f"sh: 0: cannot open {path}: {os.strerror(e.errno or 2)}\n")
        return 2
    sh = _shell(path)
    try:
        for line in lines:
            sh.run_line(line)
    except Exit as e:
        return e.status
    return sh.status


def interactive() -> int:
    try:
        import readline
    except ImportError:  # not every Python has it: the prompt still works, plainly
        readline = None  # type: ignore[assignment]
    if readline is not None:
        try:
            readline.read_history_file(HISTORY)
        except OSError:
            pass
    sh = _shell()
    prompt = PROMPT if sys.stdin.isatty() else ""  # as dash: a prompt only for a person
    try:
        while True:
            try:
                line = input(prompt)
            except KeyboardInterrupt:  # Ctrl-C: a fresh prompt, as a shell gives
                sys.stdout.write("\n")
                continue
            except EOFError:  # Ctrl-D (or the end of piped input)
                if prompt:
                    sys.stdout.write("\n")
                return sh.status
            try:
                sh.run_line(line)
            except KeyboardInterrupt:
                sys.stdout.write("\n")
                sh.status = 130
            except Exit as e:
                return e.status
    finally:
        if readline is not None:
            try:
                readline.write_history_file(HISTORY)
            except OSError:
                pass
