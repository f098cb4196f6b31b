// C twin of counter.py: a counter in /proc/counter, guarded by a mutex.
//   echo I > /proc/counter   increments
//   echo D > /proc/counter   decrements
//   cat /proc/counter        prints it
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("A counter in /proc, guarded by a mutex");

static int counter;
static DEFINE_MUTEX(counter_lock);

static ssize_t counter_read(struct file *file, char __user *buf,
			    size_t count, loff_t *ppos)
{
	char text[16];
	int len;

	mutex_lock(&counter_lock);
	len = snprintf(text, sizeof(text), "%d\n", counter);
	mutex_unlock(&counter_lock);
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static ssize_t counter_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	char cmd;
	int value;

	if (count < 1 || copy_from_user(&cmd, buf, 1))
		return -EFAULT;
	if (cmd != 'I' && cmd != 'D')
		return -EINVAL;
	mutex_lock(&counter_lock);
	counter += cmd == 'I' ? 1 : -1;
	value = counter;
	mutex_unlock(&counter_lock);
	pr_info("counter: %d\n", value);
	return count;
}

static const struct proc_ops counter_fops = {
	.proc_read = counter_read,
	.proc_write = counter_write,
};

static int __init counter_init(void)
{
	if (!proc_create("counter", 0666, NULL, &counter_fops))
		return -ENOMEM;
	pr_info("counter: loaded\n");
	return 0;
}

static void __exit counter_exit(void)
{
	remove_proc_entry("counter", NULL);
	pr_info("counter: unloaded\n");
}

module_init(counter_init);
module_exit(counter_exit);
