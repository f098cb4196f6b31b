"""depmod [-a] [VERSION] [FOLDER|FILE...]: index the modules for modprobe (kmod 30's
tools/depmod.c). With no folder or file named, the machine's own /lib/modules/RELEASE
(what `kmod sh` copied there) and the folders of the module search path (KMODSIM_MODULE_PATH,
default `modules`) are indexed; see kmodsim.runtime.moddep.
"""

from __future__ import annotations

import os
import re

from kmodsim.getopt import GetoptError, getopt_long
from kmodsim.kernel.version import KERNEL_RELEASE
from kmodsim.machine import Machine
from kmodsim.runtime.moddep import (
    SEARCH_PATH_VARIABLE,
    build_index,
    index_folder,
    module_files,
    search_path,
    write_index,
)
from kmodsim.tools import KMOD_VERSION, Stdio

SHORTOPTS = "aAb:C:E:F:euqrvnP:wmVh"
LONGOPTS = (("all", 0, "a"), ("quick", 0, "A"), ("basedir", 1, "b"), ("config", 1, "C"),
            ("symvers", 1, "E"), ("filesyms", 1, "F"), ("errsyms", 0, "e"),
            ("unresolved-error", 0, "u"), ("quiet", 0, "q"), ("root", 0, "r"),
            ("verbose", 0, "v"), ("show", 0, "n"), ("dry-run", 0, "n"),
            ("symbol-prefix", 1, "P"), ("warn", 0, "w"), ("map", 0, "m"), ("version", 0, "V"),
            ("help", 0, "h"))
HELP = """Usage:
\tdepmod -[aA] [options] [forced_version]

If no arguments (except options) are given, "depmod -a" is assumed

depmod will output a dependency list suitable for the modprobe utility.

Options:
\t-a, --all            Probe all modules
\t-A, --quick          Only does the work if there's a new module
\t-e, --errsyms        Report not supplied symbols
\t-n, --show           Write the dependency file on stdout only
\t-P, --symbol-prefix  Architecture symbol prefix
\t-C, --config=PATH    Read configuration from PATH
\t-v, --verbose        Enable verbose mode
\t-w, --warn           Warn on duplicates
\t-V, --version        show version
\t-h, --help           show this help

The following options are useful for people managing distributions:
\t-b, --basedir=DIR    Use an image of a module tree.
\t-F, --filesyms=FILE  Use the file instead of the
\t                     current kernel symbols.
\t-E, --symvers=FILE   Use Module.symvers file to check
\t                     symbol versions.

kmodsim: depmod indexes the module files of the folders and files named after the version,
or else of the machine's /lib/modules and the folders in KMODSIM_MODULE_PATH
(colon-separated; unset: ./modules).
"""
_DEPRECATED = {"u": "unresolved-error", "q": "quiet", "r": "root", "m": "map"}


def is_version_number(word: str) -> bool:
    """kmod's is_version_number(): `N.N` at the start."""
    return re.match(r"\d+\.\d+", word) is not None


def main(argv: list[str], io: Stdio, machine: Machine) -> int:
    show = verbose = False
    operands: list[str] = []
    try:
        for opt, arg in getopt_long(argv, SHORTOPTS, LONGOPTS):
            if opt == "n":
                show = True
            elif opt == "v":
                verbose = True
            elif opt in _DEPRECATED:
                io.err(f"depmod: WARNING: Ignored deprecated option -{opt}\n")
            elif opt == "P" and len(arg or "") != 1:
                io.err("depmod: FATAL: -P only takes a single char\n")
                return 1
            elif opt == "h":
                io.out(HELP)
                return 0
            elif opt == "V":
                io.out(KMOD_VERSION)
                return 0
            elif opt == "":
                operands.append(arg or "")
            # -a, -A, -b, -C, -E, -F, -e, -w: the index is built whole every time
    except GetoptError as e:
        io.err(f"depmod: {e.message}\n")
        return 1
    if operands and is_version_number(operands[0]):
        version = operands.pop(0)
        if version != KERNEL_RELEASE:
            io.err(f"depmod: ERROR: could not open directory /lib/modules/{version}: No such "
                   f"file or directory\ndepmod: FATAL: could not search modules: No such file "
                   f"or directory\n")
            return 1
    home = machine.store.home
    tree = str(index_folder(home))  # the machine's /lib/modules/RELEASE (kmod sh's cp)
    targets = [os.path.abspath(t) for t in operands] or search_path()
    if not operands and SEARCH_PATH_VARIABLE not in os.environ and os.path.isdir(tree):
        targets = [t for t in targets if os.path.exists(t)]  # ./modules, if there is one
    for target in targets:
        if not os.path.exists(target):
            io.err(f"depmod: ERROR: could not open directory {target}: No such file or "
                   f"directory\ndepmod: FATAL: could not search modules: No such file or "
                   f"directory\n")
            if not operands:
                io.err(f"kmodsim: depmod indexes the folders of {SEARCH_PATH_VARIABLE} "
                       f"(unset: ./modules); set it, or name the folders or files to index\n")
            return 1
    if not operands and os.path.isdir(tree):
        targets = [tree, *targets]
    modules = build_index(module_files(targets))
    if verbose:
        for entry in modules.values():
            for symbol in entry.needs:
                owner = next((m for m in modules.values() if symbol in m.exports
                              and m.name != entry.name), None)
                if owner is not None:
                    io.out(f'{entry.path} needs "{symbol}": {owner.path}\n')
    if show:
        for entry in modules.values():
            deps = " ".join(modules[d].path for d in reversed(entry.deps))
            io.out(f"{entry.path}:{' ' + deps if deps else ''}\n")
        return 0
    try:
        os.makedirs(home, mode=0o700, exist_ok=True)
        write_index(home, modules)
    except OSError as e:
        io.err(f"depmod: FATAL: could not write the index in {home}: "
               f"{os.strerror(e.errno or 5)}\n")
        return 1
    return 0
