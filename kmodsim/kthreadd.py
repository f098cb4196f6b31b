"""A kthread's process: `python -m kmodsim.kthreadd HOME ID` runs kthread ID of the machine
in HOME until its function returns (kmodsim.runtime.kthreadd starts it)."""

from __future__ import annotations

import sys

from kmodsim.errors import Killed, KmodError
from kmodsim.machine import Machine


def main(argv: list[str]) -> int:
    home, tid = argv[1], int(argv[2])
    machine = Machine(home, uid=0)
    try:
        while True:
            try:
                machine.run_kthread(tid)
                return 0
            except Killed:  # an Oops (in dmesg) killed the thread
                if tid != 0:
                    return 1
                # the worker: another takes over what is still queued, as a new kworker
                # would on a real kernel (it leaves when nothing is)
    except (KmodError, KeyboardInterrupt):  # a panicked kernel, the store gone
        return 1
    finally:
        machine.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
