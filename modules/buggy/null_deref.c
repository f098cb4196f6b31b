// C twin of null_deref.py. Bug: a pointer that was never set. Writing to
// /proc/null_deref uses it: an Oops.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>

MODULE_LICENSE("GPL");

struct null_config {
	long flags;
	ssize_t limit;
};

static struct null_config *config; /* meant to be filled in by init, but init forgot */
static int writes;

static ssize_t null_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	writes++;
	return config->limit; /* config is NULL: NULL pointer dereference */
}

static const struct proc_ops null_fops = {
	.proc_write = null_write,
};

static int __init null_init(void)
{
	proc_create("null_deref", 0666, NULL, &null_fops);
	return 0;
}

static void __exit null_exit(void)
{
	remove_proc_entry("null_deref", NULL);
}

module_init(null_init);
module_exit(null_exit);
