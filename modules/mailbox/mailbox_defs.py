"""What the mailbox module and the programs that use it agree on (the C twin is
mailbox_defs.h, #included by both sides). Plain definitions only: the module include()s
this file, a program imports it."""

MAILBOX_PROC = "mailbox"          # /proc/mailbox
MAILBOX_PATH = "/proc/mailbox"
MAILBOX_SIZE = 32                 # bytes a message may have, its NUL included
MAILBOX_CLEAR = "clear"           # writing this empties the mailbox
