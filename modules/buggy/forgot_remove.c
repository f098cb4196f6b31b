// C twin of forgot_remove.py. Bug: the exit function forgets
// remove_proc_entry(). After rmmod, /proc/forgot_remove is still there,
// pointing at code that is gone.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");

static const char text[] = "still here\n";

static ssize_t forgot_read(struct file *file, char __user *buf,
			   size_t count, loff_t *ppos)
{
	return simple_read_from_buffer(buf, count, ppos, text, sizeof(text) - 1);
}

static const struct proc_ops forgot_fops = {
	.proc_read = forgot_read,
};

static int __init forgot_init(void)
{
	if (!proc_create("forgot_remove", 0444, NULL, &forgot_fops))
		return -ENOMEM;
	return 0;
}

static void __exit forgot_exit(void)
{
	pr_info("forgot_remove: bye\n"); /* and no remove_proc_entry() */
}

module_init(forgot_init);
module_exit(forgot_exit);
