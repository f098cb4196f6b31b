"""A mailbox in /proc/mailbox holding one message; its name, size and commands come from
mailbox_defs.py, the file mailbox_user.py imports too.

    echo hello > /proc/mailbox     leaves a message (at most MAILBOX_SIZE - 1 bytes)
    cat /proc/mailbox              reads it
    echo clear > /proc/mailbox     empties the mailbox
"""

from kmodsim.kernel import *

include("mailbox_defs.py")  # #include "mailbox_defs.h"

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("A one-message mailbox in /proc, sharing its definitions with user space")

message = bytearray(MAILBOX_SIZE)
message_len = 0


def mailbox_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, message, message_len)


def mailbox_write(file, buf, count, ppos):
    global message_len
    if count >= MAILBOX_SIZE:
        return -EINVAL
    kbuf = bytearray(MAILBOX_SIZE)
    if copy_from_user(kbuf, buf, count):
        return -EFAULT
    if sysfs_streq(kbuf, MAILBOX_CLEAR):
        message_len = 0
        pr_info("mailbox: cleared\n")
        return count
    memcpy(message, kbuf, count)
    message_len = count
    pr_info("mailbox: %zu bytes\n", count)
    return count


mailbox_fops = proc_ops(proc_read=mailbox_read, proc_write=mailbox_write)


@module_init
def mailbox_init():
    if not proc_create(MAILBOX_PROC, 0o666, None, mailbox_fops):
        return -ENOMEM
    pr_info("mailbox: %s, messages up to %d bytes\n", MAILBOX_PATH, MAILBOX_SIZE - 1)
    return 0


@module_exit
def mailbox_exit():
    remove_proc_entry(MAILBOX_PROC, None)
