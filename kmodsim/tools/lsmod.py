"""lsmod: the loaded modules (kmod 30's tools/lsmod.c)."""

from __future__ import annotations

from kmodsim.errors import KmodError
from kmodsim.formats.lsmod import render_lsmod
from kmodsim.machine import Machine
from kmodsim.tools import Stdio


def main(argv: list[str], io: Stdio, machine: Machine) -> int:
    if argv:
        io.err("Usage: lsmod\n")
        return 1
    try:
        rows = [(m.name, m.size, m.refcnt, m.holders) for m in machine.modules()]
    except KmodError as e:
        io.err_lines(e.lines)
        return e.exit_code
    io.out(render_lsmod(rows))
    return 0
