"""insmod FILE [ARGS]: load a module (kmod 30's tools/insmod.c)."""

from __future__ import annotations

from kmodsim.errors import KmodError
from kmodsim.getopt import GetoptError, getopt_long
from kmodsim.machine import Machine
from kmodsim.tools import KMOD_VERSION, Stdio, module_file

SHORTOPTS = "psfVh"
LONGOPTS = (("version", 0, "V"), ("help", 0, "h"))
HELP = ("Usage:\n\tinsmod [options] filename [args]\nOptions:\n"
        "\t-V, --version     show version\n\t-h, --help        show this help\n")


def main(argv: list[str], io: Stdio, machine: Machine) -> int:
    operands: list[str] = []
    try:
        for opt, arg in getopt_long(argv, "+" + SHORTOPTS, LONGOPTS):
            if opt == "h":
                io.out(HELP)
                return 0
            if opt == "V":
                io.out(KMOD_VERSION)
                return 0
            if opt == "":
                operands.append(arg or "")
            # -p and -s are accepted and ignored; -f forces nothing a Python module has
    except GetoptError as e:
        io.err(f"insmod: {e.message}\n")
        return 1
    if not operands:
        io.err("insmod: ERROR: missing filename.\n")
        return 1
    typed, args = operands[0], operands[1:]
    if typed == "-":
        io.err("insmod: ERROR: this tool does not support loading from stdin!\n")
        return 1
    try:
        with machine.as_program("insmod"):
            machine.insmod(module_file(typed), args, typed=typed)
    except KmodError as e:
        io.err_lines(e.lines)
        return e.exit_code
    return 0
