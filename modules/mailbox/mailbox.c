// C twin of mailbox.py: a mailbox in /proc/mailbox holding one message; its
// name, size and commands come from mailbox_defs.h, which mailbox_user.c
// #includes too.
//   echo hello > /proc/mailbox   leaves a message (at most MAILBOX_SIZE - 1 bytes)
//   cat /proc/mailbox            reads it
//   echo clear > /proc/mailbox   empties the mailbox
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mailbox_defs.h"

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("A one-message mailbox in /proc, sharing its definitions with user space");

static char message[MAILBOX_SIZE];
static size_t message_len;

static ssize_t mailbox_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	return simple_read_from_buffer(buf, count, ppos, message, message_len);
}

static ssize_t mailbox_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	char kbuf[MAILBOX_SIZE] = "";

	if (count >= MAILBOX_SIZE)
		return -EINVAL;
	if (copy_from_user(kbuf, buf, count))
		return -EFAULT;
	if (sysfs_streq(kbuf, MAILBOX_CLEAR)) {
		message_len = 0;
		pr_info("mailbox: cleared\n");
		return count;
	}
	memcpy(message, kbuf, count);
	message_len = count;
	pr_info("mailbox: %zu bytes\n", count);
	return count;
}

static const struct proc_ops mailbox_fops = {
	.proc_read = mailbox_read,
	.proc_write = mailbox_write,
};

static int __init mailbox_init(void)
{
	if (!proc_create(MAILBOX_PROC, 0666, NULL, &mailbox_fops))
		return -ENOMEM;
	pr_info("mailbox: %s, messages up to %d bytes\n", MAILBOX_PATH,
		MAILBOX_SIZE - 1);
	return 0;
}

static void __exit mailbox_exit(void)
{
	remove_proc_entry(MAILBOX_PROC, NULL);
}

module_init(mailbox_init);
module_exit(mailbox_exit);
