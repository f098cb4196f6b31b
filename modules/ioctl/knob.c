// C twin of knob.py: a knob in /dev/knob that user programs turn with
// ioctl(): get its position, set it, swap it for a new one, reset it. The
// commands come from knob_defs.h, which knob_user.c #includes too;
// `cat /dev/knob` shows the position.
//   ./knob_user set 42     (ioctl(fd, KNOB_SET, &value))
//   ./knob_user get
//   cat /dev/knob
// register_chrdev() takes a free major and serves all its minors with one
// file_operations; class_create() + device_create() make the node /dev/knob.
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "knob_defs.h"

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("A knob turned with ioctl(), sharing its commands with user space");

#define DEVICE_NAME "knob"

static int major;
static struct class *knob_class;
static struct device *knob_device;
static DEFINE_MUTEX(lock);
static int position = KNOB_MIN;

static long knob_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	int __user *argp = (int __user *)arg;
	int new, old;

	switch (cmd) {
	case KNOB_GET:
		return put_user(position, argp);	/* 0, or -EFAULT for a bad pointer */
	case KNOB_SET:
	case KNOB_SWAP:
		if (get_user(new, argp))
			return -EFAULT;
		if (new < KNOB_MIN || new > KNOB_MAX)
			return -EINVAL;
		mutex_lock(&lock);
		old = position;
		position = new;
		mutex_unlock(&lock);
		dev_info(knob_device, "turned from %d to %d\n", old, new);
		return cmd == KNOB_SWAP ? put_user(old, argp) : 0;
	case KNOB_RESET:
		position = KNOB_MIN;
		return 0;
	}
	return -ENOTTY;	/* not a command of ours: "Inappropriate ioctl for device" */
}

static ssize_t knob_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	char text[16];
	int len = scnprintf(text, sizeof(text), "%d\n", position);

	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static const struct file_operations knob_fops = {
	.owner = THIS_MODULE,
	.read = knob_read,
	.unlocked_ioctl = knob_ioctl,
	.compat_ioctl = knob_ioctl,	/* a 32-bit program's calls: an int is an int there too */
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static char *knob_devnode(const struct device *dev, umode_t *mode)
#else
static char *knob_devnode(struct device *dev, umode_t *mode)
#endif
{
	if (mode)
		*mode = 0666;
	return NULL;
}

static int __init knob_init(void)
{
	major = register_chrdev(0, DEVICE_NAME, &knob_fops);
	if (major < 0)
		return major;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	knob_class = class_create(DEVICE_NAME);
#else
	knob_class = class_create(THIS_MODULE, DEVICE_NAME);
#endif
	if (IS_ERR(knob_class)) {
		unregister_chrdev(major, DEVICE_NAME);
		return PTR_ERR(knob_class);
	}
	knob_class->devnode = knob_devnode;
	knob_device = device_create(knob_class, NULL, MKDEV(major, 0), NULL, DEVICE_NAME);
	if (IS_ERR(knob_device)) {
		class_destroy(knob_class);
		unregister_chrdev(major, DEVICE_NAME);
		return PTR_ERR(knob_device);
	}
	dev_info(knob_device, "ready: ioctl KNOB_GET %#x, KNOB_SET %#x\n", KNOB_GET, KNOB_SET);
	return 0;
}

static void __exit knob_exit(void)
{
	device_destroy(knob_class, MKDEV(major, 0));
	class_destroy(knob_class);
	unregister_chrdev(major, DEVICE_NAME);
}

module_init(knob_init);
module_exit(knob_exit);
