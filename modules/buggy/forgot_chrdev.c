// C twin of forgot_chrdev.py. Bug: the exit function forgets to undo what
// init registered: unregister_chrdev(), device_destroy() and class_destroy().
// After rmmod the major is still taken in /proc/devices, /dev/forgot_chrdev
// and /sys/class/forgot_chrdev are still there, and loading the module again
// fails: its class's name is taken (sysfs's "cannot create duplicate filename").
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/version.h>

MODULE_LICENSE("GPL");

#define DEVICE_NAME "forgot_chrdev"

static ssize_t forgot_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	return simple_read_from_buffer(buf, count, ppos, "still here\n", 11);
}

static const struct file_operations forgot_fops = {
	.owner = THIS_MODULE,
	.read = forgot_read,
};
static int major;
static struct class *forgot_class;

static int __init forgot_init(void)
{
	major = register_chrdev(0, DEVICE_NAME, &forgot_fops);
	if (major < 0)
		return major;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	forgot_class = class_create(DEVICE_NAME);
#else
	forgot_class = class_create(THIS_MODULE, DEVICE_NAME);
#endif
	if (IS_ERR(forgot_class)) {
		unregister_chrdev(major, DEVICE_NAME);
		return PTR_ERR(forgot_class);
	}
	device_create(forgot_class, NULL, MKDEV(major, 0), NULL, DEVICE_NAME);
	pr_info("forgot_chrdev: major %d\n", major);
	return 0;
}

static void __exit forgot_exit(void)
{
	pr_info("forgot_chrdev: bye\n");	/* BUG: device_destroy, class_destroy, unregister_chrdev */
}

module_init(forgot_init);
module_exit(forgot_exit);
