"""A user-space program for the mailbox module: leaves a message, reads it back. It imports
the definitions the module include()s (mailbox_defs.py), as C's mailbox_user.c and mailbox.c
both #include mailbox_defs.h.

    python3 mailbox_user.py "hello there"
"""

import sys

from mailbox_defs import MAILBOX_PATH, MAILBOX_SIZE

from kmodsim import userspace


def main() -> int:
    text = " ".join(sys.argv[1:]) or "hello"
    if len(text) + 1 > MAILBOX_SIZE - 1:
        print(f"mailbox_user: at most {MAILBOX_SIZE - 2} characters", file=sys.stderr)
        return 1
    with userspace.open(MAILBOX_PATH, "w") as f:
        f.write(text + "\n")
    with userspace.open(MAILBOX_PATH) as f:
        print(f"mailbox says: {f.read()}", end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
