"""modinfo [-F FIELD] FILE|NAME...: a module's information (kmod 30's tools/modinfo.c)."""

from __future__ import annotations

import os

from kmodsim.errors import KmodError
from kmodsim.getopt import GetoptError, getopt_long
from kmodsim.machine import Machine
from kmodsim.runtime.moddep import read_index
from kmodsim.runtime.modinfo import ModInfo
from kmodsim.tools import KMOD_VERSION, Stdio, module_file

SHORTOPTS = "adlpn0mF:k:b:Vh"
LONGOPTS = (("author", 0, "a"), ("description", 0, "d"), ("license", 0, "l"),
            ("parameters", 0, "p"), ("filename", 0, "n"), ("null", 0, "0"),
            ("modname", 0, "m"), ("field", 1, "F"), ("set-version", 1, "k"),
            ("basedir", 1, "b"), ("version", 0, "V"), ("help", 0, "h"))
SHORTCUTS = {"a": "author", "d": "description", "l": "license", "p": "parm", "n": "filename"}
HELP = ("Usage:\n\tmodinfo [options] filename [args]\nOptions:\n"
        "\t-a, --author                Print only 'author'\n"
        "\t-d, --description           Print only 'description'\n"
        "\t-l, --license               Print only 'license'\n"
        "\t-p, --parameters            Print only 'parm'\n"
        "\t-n, --filename              Print only 'filename'\n"
        "\t-0, --null                  Use \\0 instead of \\n\n"
        "\t-F, --field=FIELD           Print only provided FIELD\n"
        "\t-k, --set-version=VERSION   Use VERSION instead of `uname -r`\n"
        "\t-b, --basedir=DIR           Use DIR as filesystem root for /lib/modules\n"
        "\t-V, --version               Show version\n"
        "\t-h, --help                  Show this help\n")


def main(argv: list[str], io: Stdio, machine: Machine) -> int:
    field: str | None = None
    sep = "\n"
    targets: list[str] = []
    try:
        for opt, arg in getopt_long(argv, SHORTOPTS, LONGOPTS):
            if opt in SHORTCUTS:
                field = SHORTCUTS[opt]
            elif opt == "F":
                field = arg
            elif opt == "0":
                sep = "\0"
            elif opt == "h":
                io.out(HELP)
                return 0
            elif opt == "V":
                io.out(KMOD_VERSION)
                return 0
            elif opt == "":
                targets.append(arg or "")
    except GetoptError as e:
        io.err(f"modinfo: {e.message}\n")
        return 1
    if not targets:
        io.err("modinfo: ERROR: missing module or filename.\n")
        return 1
    failed = False
    for target in targets:
        path = module_file(target)
        if not os.path.exists(path):  # a name: modinfo looks in the index depmod wrote
            indexed = read_index(machine.store.home).get(target.replace("-", "_"))
            if indexed is None:
                io.err(f"modinfo: ERROR: Module {target} not found.\n")
                failed = True
                continue
            path = indexed.path
        try:
            io.out(ModInfo(path).render(field, sep))
        except KmodError as e:
            io.err_lines(e.lines)
            failed = True
    return 1 if failed else 0
