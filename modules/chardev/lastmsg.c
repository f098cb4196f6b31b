// C twin of lastmsg.py: the classic first character driver. /dev/lastmsg
// remembers the last message written to it and counts how many times it was
// opened.
//   echo hello > /dev/lastmsg   leaves a message (at most LASTMSG_SIZE bytes are kept)
//   cat /dev/lastmsg            says how many opens so far, and the last message
// The device number comes from alloc_chrdev_region(), a cdev serves it, and
// class_create() + device_create() make /dev/lastmsg appear, as udev would.
// The class's devnode callback opens the node to everyone (mode 0666).
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/version.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("A character device that remembers the last message and counts opens");

#define DEVICE_NAME "lastmsg"
#define LASTMSG_SIZE 64

static dev_t lastmsg_devt;
static struct cdev lastmsg_cdev;
static struct class *lastmsg_class;
static struct device *lastmsg_device;
static DEFINE_MUTEX(lock);
static char message[LASTMSG_SIZE];
static size_t message_len;
static int opens;

static int lastmsg_open(struct inode *inode, struct file *file)
{
	mutex_lock(&lock);
	opens++;
	mutex_unlock(&lock);
	return 0;
}

static int lastmsg_release(struct inode *inode, struct file *file)
{
	return 0;
}

static ssize_t lastmsg_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	char text[LASTMSG_SIZE + 48];
	int len;

	mutex_lock(&lock);
	len = scnprintf(text, sizeof(text), "opens: %d\nlast message: %.*s\n",
			opens, (int)message_len, message);
	mutex_unlock(&lock);
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static ssize_t lastmsg_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	char kbuf[LASTMSG_SIZE];
	size_t n = min_t(size_t, count, LASTMSG_SIZE);

	if (copy_from_user(kbuf, buf, n))
		return -EFAULT;
	if (n && kbuf[n - 1] == '\n')	/* echo's newline is not part of the message */
		n--;
	mutex_lock(&lock);
	memcpy(message, kbuf, n);
	message_len = n;
	mutex_unlock(&lock);
	return count;	/* all of it taken: what doesn't fit is dropped */
}

static const struct file_operations lastmsg_fops = {
	.owner = THIS_MODULE,
	.open = lastmsg_open,
	.release = lastmsg_release,
	.read = lastmsg_read,
	.write = lastmsg_write,
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static char *lastmsg_devnode(const struct device *dev, umode_t *mode)
#else
static char *lastmsg_devnode(struct device *dev, umode_t *mode)
#endif
{
	if (mode)
		*mode = 0666;
	return NULL;	/* keep the device's name */
}

static int __init lastmsg_init(void)
{
	int err;

	err = alloc_chrdev_region(&lastmsg_devt, 0, 1, DEVICE_NAME);
	if (err) {
		pr_err("lastmsg: no device number: %d\n", err);
		return err;
	}
	cdev_init(&lastmsg_cdev, &lastmsg_fops);
	lastmsg_cdev.owner = THIS_MODULE;
	err = cdev_add(&lastmsg_cdev, lastmsg_devt, 1);
	if (err) {
		unregister_chrdev_region(lastmsg_devt, 1);
		return err;
	}
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	lastmsg_class = class_create(DEVICE_NAME);
#else
	lastmsg_class = class_create(THIS_MODULE, DEVICE_NAME);
#endif
	if (IS_ERR(lastmsg_class)) {
		cdev_del(&lastmsg_cdev);
		unregister_chrdev_region(lastmsg_devt, 1);
		return PTR_ERR(lastmsg_class);
	}
	lastmsg_class->devnode = lastmsg_devnode;
	lastmsg_device = device_create(lastmsg_class, NULL, lastmsg_devt, NULL, DEVICE_NAME);
	if (IS_ERR(lastmsg_device)) {
		class_destroy(lastmsg_class);
		cdev_del(&lastmsg_cdev);
		unregister_chrdev_region(lastmsg_devt, 1);
		return PTR_ERR(lastmsg_device);
	}
	dev_info(lastmsg_device, "ready, device number %d:%d\n", MAJOR(lastmsg_devt),
		 MINOR(lastmsg_devt));
	return 0;
}

static void __exit lastmsg_exit(void)
{
	device_destroy(lastmsg_class, lastmsg_devt);
	class_destroy(lastmsg_class);
	cdev_del(&lastmsg_cdev);
	unregister_chrdev_region(lastmsg_devt, 1);
	pr_info("lastmsg: opened %d times, goodbye\n", opens);
}

module_init(lastmsg_init);
module_exit(lastmsg_exit);
