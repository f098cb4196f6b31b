/* What knob.c and the programs that turn it agree on (the Python twin is
 * knob_defs.py): the device's path and its ioctl commands. Plain definitions
 * only: both sides #include this file. */
#ifndef KNOB_DEFS_H
#define KNOB_DEFS_H

#include <linux/ioctl.h>

#define KNOB_PATH "/dev/knob"
#define KNOB_MIN 0			/* the knob turns from 0 to 100 */
#define KNOB_MAX 100
#define KNOB_MAGIC 'k'			/* the commands' type: a letter of the driver's own */

#define KNOB_GET _IOR(KNOB_MAGIC, 1, int)	/* the driver writes the position into an int */
#define KNOB_SET _IOW(KNOB_MAGIC, 2, int)	/* the driver reads the new position from an int */
#define KNOB_SWAP _IOWR(KNOB_MAGIC, 3, int)	/* both: a new position in, the old one back */
#define KNOB_RESET _IO(KNOB_MAGIC, 4)		/* no argument: back to KNOB_MIN */

#endif
