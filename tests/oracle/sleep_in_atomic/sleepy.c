// C twin of sleepy.py: writing to /proc/sleepy sleeps while holding a
// spinlock (the `atomic` bug of modules/buggy/locks, under a /proc name
// that the kernel does not already use).
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/spinlock.h>

MODULE_LICENSE("GPL");

static DEFINE_SPINLOCK(fast_lock);

static ssize_t sleepy_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	spin_lock(&fast_lock);
	msleep(1);
	spin_unlock(&fast_lock);
	return count;
}

static const struct proc_ops sleepy_fops = {
	.proc_write = sleepy_write,
};

static int __init sleepy_init(void)
{
	if (!proc_create("sleepy", 0666, NULL, &sleepy_fops))
		return -ENOMEM;
	return 0;
}

static void __exit sleepy_exit(void)
{
	remove_proc_entry("sleepy", NULL);
}

module_init(sleepy_init);
module_exit(sleepy_exit);
