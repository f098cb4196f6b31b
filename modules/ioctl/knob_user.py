"""A user-space program for the knob module: turns the knob with ioctl(). It imports the
definitions the module include()s (knob_defs.py), as C's knob_user.c and knob.c both
#include knob_defs.h.

    python3 knob_user.py get          prints the position
    python3 knob_user.py set 42       turns the knob to 42
    python3 knob_user.py swap 7       turns it to 7, prints where it was
    python3 knob_user.py reset        back to KNOB_MIN
"""

import os
import sys

from knob_defs import KNOB_GET, KNOB_PATH, KNOB_RESET, KNOB_SET, KNOB_SWAP

from kmodsim import userspace
from kmodsim.errors import ProcError  # a failed system call on a simulated file

USAGE = "usage: knob_user get | set N | swap N | reset"


def as_int(buf: bytearray) -> int:
    return int.from_bytes(buf, "little", signed=True)  # an x86 int: 4 bytes, little-endian


def int_buffer(value: int) -> bytearray:
    """What `int value;` is in memory; the driver reaches it through the pointer &value."""
    return bytearray(value.to_bytes(4, "little", signed=True))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("get", "set", "swap", "reset") or \
            (argv[0] in ("set", "swap")) != (len(argv) == 2):
        print(USAGE, file=sys.stderr)
        return 2
    command = argv[0]
    try:
        with userspace.open(KNOB_PATH) as f:
            if command == "get":
                value = int_buffer(0)
                f.ioctl(KNOB_GET, value)
                print(as_int(value))
            elif command == "set":
                f.ioctl(KNOB_SET, int_buffer(int(argv[1])))
            elif command == "swap":
                value = int_buffer(int(argv[1]))
                f.ioctl(KNOB_SWAP, value)
                print(as_int(value))
            else:
                f.ioctl(KNOB_RESET)
    except ValueError:
        print(USAGE, file=sys.stderr)
        return 2
    except (OSError, ProcError) as e:  # perror()
        print(f"knob_user: {KNOB_PATH}: {os.strerror(e.errno)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
