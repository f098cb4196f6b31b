// C twin of panic_button.py. Bug (on purpose): writing anything to
// /proc/panic_button calls panic().
#include <linux/init.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/proc_fs.h>

MODULE_LICENSE("GPL");

static ssize_t panic_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	panic("panic_button: pressed with %zu bytes", count);
	return count;
}

static const struct proc_ops panic_fops = {
	.proc_write = panic_write,
};

static int __init panic_init(void)
{
	proc_create("panic_button", 0666, NULL, &panic_fops);
	return 0;
}

static void __exit panic_exit(void)
{
	remove_proc_entry("panic_button", NULL);
}

module_init(panic_init);
module_exit(panic_exit);
