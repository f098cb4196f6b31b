"""A kthread's process: `python -m kmodsim.kthreadd HOME ID` runs kthread ID of the machine
in HOME until its function returns (kmodsim.runtime.kthreadd starts it)."""

from __future__ import annotations

import sys

from kmodsim.errors import KmodError
from kmodsim.machine import Machine


def main(argv: list[str]) -> int:
    home, tid = argv[1], int(argv[2])
    machine = Machine(home, uid=0)
    try:
        machine.run_kthread(tid)
    except (KmodError, KeyboardInterrupt):  # killed by an Oops (in dmesg), or a panic
        return 1
    finally:
        machine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
