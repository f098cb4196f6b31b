"""rmmod NAME...: unload modules (kmod 30's tools/rmmod.c)."""

from __future__ import annotations

from kmodsim.errors import KmodError
from kmodsim.getopt import GetoptError, getopt_long
from kmodsim.machine import Machine
from kmodsim.tools import KMOD_VERSION, Stdio

SHORTOPTS = "fsvVwh"  # kmod 30 lists -w but has no case for it
LONGOPTS = (("force", 0, "f"), ("syslog", 0, "s"), ("verbose", 0, "v"),
            ("version", 0, "V"), ("help", 0, "h"))
HELP = ("Usage:\n\trmmod [options] modulename ...\nOptions:\n"
        "\t-f, --force       forces a module unload and may crash your\n"
        "\t                  machine. This requires Forced Module Removal\n"
        "\t                  option in your kernel. DANGEROUS\n"
        "\t-s, --syslog      print to syslog, not stderr\n"
        "\t-v, --verbose     enables more messages\n"
        "\t-V, --version     show version\n"
        "\t-h, --help        show this help\n")


def main(argv: list[str], io: Stdio, machine: Machine) -> int:
    force = False
    targets: list[str] = []
    try:
        for opt, arg in getopt_long(argv, SHORTOPTS, LONGOPTS):
            if opt == "f":
                force = True
            elif opt == "h":
                io.out(HELP)
                return 0
            elif opt == "V":
                io.out(KMOD_VERSION)
                return 0
            elif opt == "w":
                io.err("rmmod: ERROR: unexpected getopt_long() value 'w'.\n")
                return 1
            elif opt == "":
                targets.append(arg or "")
    except GetoptError as e:
        io.err(f"rmmod: {e.message}\n")
        return 1
    if not targets:
        io.err("rmmod: ERROR: missing module name.\n")
        return 1
    failed = 0
    for target in targets:  # like rmmod: go on with the next name, fail at the end
        try:
            with machine.as_program("rmmod"):
                machine.rmmod(target, force=force)
        except KmodError as e:
            io.err_lines(e.lines)
            if e.exit_code != 1:  # the task died: the command ends there
                return e.exit_code
            failed += 1
    return 1 if failed else 0
