// C twin of locked.py: the same counter as racy.c, its update under a mutex.
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A /proc counter whose read-sleep-write update holds a mutex");

static int counter;
static DEFINE_MUTEX(counter_lock);

static ssize_t locked_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	char text[16];
	int len = snprintf(text, sizeof(text), "%d\n", counter);

	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static ssize_t locked_write(struct file *file, const char __user *buf, size_t count,
			  loff_t *ppos)
{
	int tmp;

	mutex_lock(&counter_lock);	/* a second writer sleeps here ... */
	tmp = counter;
	msleep(100);
	counter = tmp + 1;
	mutex_unlock(&counter_lock);	/* ... until this wakes it */
	return count;
}

static const struct proc_ops locked_fops = {
	.proc_read = locked_read,
	.proc_write = locked_write,
};

static int __init locked_init(void)
{
	if (!proc_create("locked", 0666, NULL, &locked_fops))
		return -ENOMEM;
	return 0;
}

static void __exit locked_exit(void)
{
	remove_proc_entry("locked", NULL);
}

module_init(locked_init);
module_exit(locked_exit);
