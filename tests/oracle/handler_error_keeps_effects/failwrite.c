// C twin of failwrite.py: every write to /proc/failwrite logs a line and
// counts the write, then fails with -EINVAL. Reading gives the count: the
// log line and the count survive the error.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");

static int writes;

static ssize_t failwrite_read(struct file *file, char __user *buf,
			      size_t count, loff_t *ppos)
{
	char text[16];
	int len = snprintf(text, sizeof(text), "%d\n", writes);

	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static ssize_t failwrite_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	pr_info("failwrite: write of %zu bytes\n", count);
	writes++;
	return -EINVAL;
}

static const struct proc_ops failwrite_fops = {
	.proc_read = failwrite_read,
	.proc_write = failwrite_write,
};

static int __init failwrite_init(void)
{
	if (!proc_create("failwrite", 0666, NULL, &failwrite_fops))
		return -ENOMEM;
	return 0;
}

static void __exit failwrite_exit(void)
{
	remove_proc_entry("failwrite", NULL);
}

module_init(failwrite_init);
module_exit(failwrite_exit);
