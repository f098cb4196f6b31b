// C twin of racy.py: a /proc counter whose read-sleep-write update races.
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A /proc counter whose read-sleep-write update races");

static int counter;

static ssize_t racy_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	char text[16];
	int len = snprintf(text, sizeof(text), "%d\n", counter);

	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static ssize_t racy_write(struct file *file, const char __user *buf, size_t count,
			  loff_t *ppos)
{
	int tmp = counter;	/* read ... */

	msleep(100);		/* ... another writer runs meanwhile ... */
	counter = tmp + 1;	/* ... and this write undoes its update */
	return count;
}

static const struct proc_ops racy_fops = {
	.proc_read = racy_read,
	.proc_write = racy_write,
};

static int __init racy_init(void)
{
	if (!proc_create("racy", 0666, NULL, &racy_fops))
		return -ENOMEM;
	return 0;
}

static void __exit racy_exit(void)
{
	remove_proc_entry("racy", NULL);
}

module_init(racy_init);
module_exit(racy_exit);
