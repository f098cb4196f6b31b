// Device numbers and device printk, for the oracle: dynamic majors (254 down,
// past the kernel's own), a taken major (-EBUSY), a major past the maximum
// (-EINVAL), a node no cdev serves (ENXIO), and dev_info's "CLASS DEVICE: ".
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/version.h>

MODULE_LICENSE("GPL");

static int major, major2;
static dev_t region;
static struct class *cls;

static ssize_t chrnum_read(struct file *f, char __user *buf, size_t n, loff_t *ppos)
{
	return simple_read_from_buffer(buf, n, ppos, "hello\n", 6);
}

static const struct file_operations fops = {
	.owner = THIS_MODULE,
	.read = chrnum_read,
};

static int __init chrnum_init(void)
{
	struct device *dev;
	int r;

	major = register_chrdev(0, "chrnum", &fops);
	pr_info("major %d\n", major);
	major2 = register_chrdev(0, "chrnum_b", &fops);
	pr_info("major2 %d\n", major2);
	r = alloc_chrdev_region(&region, 0, 4, "chrnum_c");
	pr_info("region %d %d:%d\n", r, MAJOR(region), MINOR(region));
	pr_info("fixed 1 -> %d\n", register_chrdev(1, "chrnum_busy", &fops));
	pr_info("region again -> %d\n", register_chrdev_region(MKDEV(major, 0), 1, "chrnum_d"));
	pr_info("600 -> %d\n", register_chrdev(600, "toobig", &fops));
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	cls = class_create("chrnumcls");
#else
	cls = class_create(THIS_MODULE, "chrnumcls");
#endif
	dev = device_create(cls, NULL, MKDEV(major, 0), NULL, "chrnum%d", 0);
	device_create(cls, NULL, MKDEV(MAJOR(region), 0), NULL, "chrnum_nocdev");
	dev_info(dev, "info %d\n", 1);
	dev_warn(dev, "warn\n");
	dev_err(dev, "err\n");
	dev_notice(dev, "notice\n");
	dev_dbg(dev, "dbg\n");
	dev_info(NULL, "no device\n");
	return 0;
}

static void __exit chrnum_exit(void)
{
	device_destroy(cls, MKDEV(MAJOR(region), 0));
	device_destroy(cls, MKDEV(major, 0));
	class_destroy(cls);
	unregister_chrdev_region(region, 4);
	unregister_chrdev(major2, "chrnum_b");
	unregister_chrdev(major, "chrnum");
	pr_info("bye\n");
}

module_init(chrnum_init);
module_exit(chrnum_exit);
