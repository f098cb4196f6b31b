"""mkdir and cp for the simulated machine's /lib/modules, as a tutorial uses them before
depmod: `mkdir -p /lib/modules/$(uname -r)/extra`, `cp hello.ko /lib/modules/$(uname -r)/extra/`.
The tree is a folder in the machine's folder (FOLDER/lib/modules/RELEASE, where depmod also
writes its index); `NAME.ko` copies NAME.py, as insmod loads it. Other paths are the host's:
kmod sh runs the host's mkdir and cp for them.
"""

from __future__ import annotations

import os
import shutil

from kmodsim.errors import strerror
from kmodsim.getopt import GetoptError, getopt_long
from kmodsim.machine import Machine
from kmodsim.tools import Stdio, module_file

TREE = "/lib/modules"


def in_tree(path: str) -> bool:
    full = os.path.normpath(os.path.join(os.getcwd(), path))
    return full == TREE or full.startswith(TREE + "/")


def host_path(machine: Machine, path: str) -> str:
    """Where a /lib/modules path is kept: below the machine's folder."""
    full = os.path.normpath(os.path.join(os.getcwd(), path))
    return os.path.join(str(machine.store.home), full.lstrip("/"))


def _parse(prog: str, argv: list[str], shortopts: str, io: Stdio
           ) -> tuple[set[str], list[str]] | None:
    opts: set[str] = set()
    operands: list[str] = []
    try:
        for opt, arg in getopt_long(argv, shortopts):
            if opt:
                opts.add(opt)
            else:
                operands.append(arg or "")
    except GetoptError as e:
        io.err(f"{prog}: {e.message}\nTry '{prog} --help' for more information.\n")
        return None
    if not operands:
        io.err(f"{prog}: missing operand\nTry '{prog} --help' for more information.\n")
        return None
    return opts, operands


def mkdir_main(argv: list[str], io: Stdio, machine: Machine) -> int:
    parsed = _parse("mkdir", argv, "pvm:", io)
    if parsed is None:
        return 1
    opts, operands = parsed
    status = 0
    for typed in operands:
        target = host_path(machine, typed) if in_tree(typed) else typed
        try:
            if "p" in opts:
                os.makedirs(target, mode=0o755, exist_ok=True)
            else:
                os.mkdir(target, 0o755)
        except OSError as e:
            io.err(f"mkdir: cannot create directory '{typed}': {strerror(e.errno or 5)}\n")
            status = 1
            continue
        if "v" in opts:
            io.out(f"mkdir: created directory '{typed}'\n")
    return status


def cp_main(argv: list[str], io: Stdio, machine: Machine) -> int:
    parsed = _parse("cp", argv, "fv", io)
    if parsed is None:
        return 1
    _, operands = parsed
    if len(operands) < 2:
        io.err(f"cp: missing destination file operand after '{operands[0]}'\nTry 'cp --help' "
               f"for more information.\n")
        return 1
    *sources, dest = operands
    target = host_path(machine, dest) if in_tree(dest) else dest
    into = os.path.isdir(target)
    if len(sources) > 1 and not into:
        io.err(f"cp: target '{dest}' is not a directory\n")
        return 1
    status = 0
    for typed in sources:
        source = module_file(typed)
        if not os.path.exists(source):
            io.err(f"cp: cannot stat '{typed}': No such file or directory\n")
            status = 1
            continue
        name = os.path.basename(source) if into else os.path.basename(target)
        if not into and source != typed:  # NAME.ko copied as a module source: NAME.py
            name = os.path.splitext(name)[0] + ".py"
        where = os.path.join(target if into else os.path.dirname(target) or ".", name)
        try:
            shutil.copyfile(source, where)
        except OSError as e:
            io.err(f"cp: cannot create regular file '{dest}': {strerror(e.errno or 5)}\n")
            status = 1
    return status
