/* C twin of mailbox_defs.py: what the mailbox module and the programs that
 * use it agree on. Plain definitions only: both sides #include this file. */
#ifndef MAILBOX_DEFS_H
#define MAILBOX_DEFS_H

#define MAILBOX_PROC "mailbox"		/* /proc/mailbox */
#define MAILBOX_PATH "/proc/mailbox"
#define MAILBOX_SIZE 32			/* bytes a message may have, its NUL included */
#define MAILBOX_CLEAR "clear"		/* writing this empties the mailbox */

#endif
