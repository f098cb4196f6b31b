// C twin of helloworlddriver.py: a read-only /proc file;
// `cat /proc/helloworlddriver` says hello once, then end of file.
#include <linux/init.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/proc_fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("/proc/helloworlddriver says hello");

#define PROC_NAME "helloworlddriver"

static const char message[] = "Hello world!\n";

static ssize_t hello_read(struct file *file, char __user *buf,
			  size_t count, loff_t *ppos)
{
	size_t len = strlen(message);
	size_t n;

	/* The message on the first read; 0 (end of file) once past it. */
	if (*ppos >= len)
		return 0;
	n = min_t(size_t, count, len - *ppos);
	if (copy_to_user(buf, message + *ppos, n))
		return -EFAULT;
	*ppos += n;
	return n;
}

static const struct proc_ops hello_fops = {
	.proc_read = hello_read,
};

static int __init hello_init(void)
{
	if (!proc_create(PROC_NAME, 0444, NULL, &hello_fops)) {
		pr_err("helloworlddriver: could not create /proc/%s\n", PROC_NAME);
		return -ENOMEM;
	}
	pr_info("helloworlddriver: /proc/%s created\n", PROC_NAME);
	return 0;
}

static void __exit hello_exit(void)
{
	remove_proc_entry(PROC_NAME, NULL);
	pr_info("helloworlddriver: /proc/%s removed\n", PROC_NAME);
}

module_init(hello_init);
module_exit(hello_exit);
