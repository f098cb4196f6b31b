"""What the knob module and the programs that turn it agree on (the C twin is knob_defs.h,
#included by both sides): the device's path and its ioctl commands. Plain definitions only:
the module include()s this file, a program imports it."""

from kmodsim.kernel.ioctl import _IO, _IOR, _IOW, _IOWR  # <linux/ioctl.h>

KNOB_PATH = "/dev/knob"
KNOB_MIN, KNOB_MAX = 0, 100       # the knob turns from 0 to 100
KNOB_MAGIC = "k"                  # the commands' type: a letter of the driver's own

KNOB_GET = _IOR(KNOB_MAGIC, 1, int)     # the driver writes the position into an int
KNOB_SET = _IOW(KNOB_MAGIC, 2, int)     # the driver reads the new position from an int
KNOB_SWAP = _IOWR(KNOB_MAGIC, 3, int)   # both: a new position in, the old one back
KNOB_RESET = _IO(KNOB_MAGIC, 4)         # no argument: back to KNOB_MIN
