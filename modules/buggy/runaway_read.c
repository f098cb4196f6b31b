// C twin of runaway_read.py. Bug: a read handler that never returns 0,
// because it never advances *ppos. `cat /proc/runaway_read` prints forever.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");

static const char message[] = "Hello again\n";

static ssize_t runaway_read(struct file *file, char __user *buf,
			    size_t count, loff_t *ppos)
{
	if (copy_to_user(buf, message, sizeof(message) - 1))
		return -EFAULT;
	/* forgot: *ppos += len, and return 0 at the end */
	return sizeof(message) - 1;
}

static const struct proc_ops runaway_fops = {
	.proc_read = runaway_read,
};

static int __init runaway_init(void)
{
	proc_create("runaway_read", 0444, NULL, &runaway_fops);
	return 0;
}

static void __exit runaway_exit(void)
{
	remove_proc_entry("runaway_read", NULL);
}

module_init(runaway_init);
module_exit(runaway_exit);
