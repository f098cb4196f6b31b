"""uname [-asnrvmpio]: the simulated machine's names (GNU coreutils' uname), so that a
tutorial's `/lib/modules/$(uname -r)` names the simulated kernel's release in `kmod sh`."""

from __future__ import annotations

from kmodsim.getopt import GetoptError, getopt_long
from kmodsim.kernel.version import KERNEL_IDENT, KERNEL_RELEASE
from kmodsim.machine import Machine
from kmodsim.tools import Stdio

SHORTOPTS = "asnrvmpio"
LONGOPTS = (("all", 0, "a"), ("kernel-name", 0, "s"), ("nodename", 0, "n"),
            ("kernel-release", 0, "r"), ("kernel-version", 0, "v"), ("machine", 0, "m"),
            ("processor", 0, "p"), ("hardware-platform", 0, "i"),
            ("operating-system", 0, "o"))
# the fields in uname -a's order; -p and -i are "unknown" on Debian, and -a leaves them out
FIELDS = (("s", "Linux"), ("n", "kmodsim"), ("r", KERNEL_RELEASE),
          ("v", KERNEL_IDENT[len(KERNEL_RELEASE) + 1:]), ("m", "x86_64"), ("p", "unknown"),
          ("i", "unknown"), ("o", "GNU/Linux"))


def main(argv: list[str], io: Stdio, machine: Machine) -> int:
    wanted: set[str] = set()
    try:
        for opt, arg in getopt_long(argv, SHORTOPTS, LONGOPTS):
            if opt == "":
                io.err(f"uname: extra operand '{arg}'\nTry 'uname --help' for more "
                       f"information.\n")
                return 1
            wanted |= set("snrvmo") if opt == "a" else {opt}
    except GetoptError as e:
        io.err(f"uname: {e.message}\nTry 'uname --help' for more information.\n")
        return 1
    io.out(" ".join(value for key, value in FIELDS if key in (wanted or {"s"})) + "\n")
    return 0
