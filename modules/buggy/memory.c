// C twin of memory.py. Memory bugs, one per command written to /proc/memory:
//   overflow   copy more bytes than the kmalloc'd buffer holds
//   uaf        use a buffer after kfree()
//   double     kfree() the same buffer twice
//   leak       kmalloc() a buffer and forget it
// Debian's kernel has no KASAN or kmemleak; hardened usercopy and the
// hardened SLUB freelist catch some of these instead.
#include <linux/init.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");

static char *saved;

static ssize_t memory_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	char cmd[17] = "";
	char *c, *p;

	if (copy_from_user(cmd, buf, min_t(size_t, count, 16)))
		return -EFAULT;
	c = strim(cmd);

	if (!strcmp(c, "overflow")) {
		p = kmalloc(8, GFP_KERNEL);
		/* count is 9 here: one byte too many */
		if (copy_from_user(p, buf, count))
			pr_debug("memory: short copy\n");
		kfree(p);
	} else if (!strcmp(c, "uaf")) {
		p = kzalloc(16, GFP_KERNEL);
		kfree(p);
		p[0] = 1;
	} else if (!strcmp(c, "double")) {
		p = kmalloc(32, GFP_KERNEL);
		kfree(p);
		kfree(p);
	} else if (!strcmp(c, "leak")) {
		saved = kmalloc(64, GFP_KERNEL);
		if (saved)
			memcpy(saved, "leak!", 5);
		saved = NULL; /* the only pointer to it is gone */
	} else {
		return -EINVAL;
	}
	return count;
}

static const struct proc_ops memory_fops = {
	.proc_write = memory_write,
};

static int __init memory_init(void)
{
	proc_create("memory", 0666, NULL, &memory_fops);
	return 0;
}

static void __exit memory_exit(void)
{
	remove_proc_entry("memory", NULL);
}

module_init(memory_init);
module_exit(memory_exit);
