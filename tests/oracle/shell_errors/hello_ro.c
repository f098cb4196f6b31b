// C twin of hello_ro.py: /proc/hello_ro, mode 0444, read only (no write handler).
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");

static const char text[] = "hello\n";

static ssize_t hello_ro_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	return simple_read_from_buffer(buf, count, ppos, text, sizeof(text) - 1);
}

static const struct proc_ops hello_ro_fops = {
	.proc_read = hello_ro_read,
};

static int __init hello_ro_init(void)
{
	if (!proc_create("hello_ro", 0444, NULL, &hello_ro_fops))
		return -ENOMEM;
	return 0;
}

static void __exit hello_ro_exit(void)
{
	remove_proc_entry("hello_ro", NULL);
}

module_init(hello_ro_init);
module_exit(hello_ro_exit);
