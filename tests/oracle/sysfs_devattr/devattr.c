// SPDX-License-Identifier: GPL-2.0
/* A device attribute (DEVICE_ATTR_RW) and a class attribute (CLASS_ATTR_RO) in sysfs. */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/module.h>

MODULE_LICENSE("GPL");

static int speed = 10;

static ssize_t speed_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s %d\n", dev_name(dev), speed);
}

static ssize_t speed_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	int err = kstrtoint(buf, 0, &speed);

	return err ? err : count;
}

static DEVICE_ATTR_RW(speed);

static ssize_t version_show(struct class *cls, struct class_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s v1\n", cls->name);
}

static CLASS_ATTR_RO(version);

static struct class *cls;
static struct device *dev;
static dev_t devno;

static int __init devattr_init(void)
{
	int err = alloc_chrdev_region(&devno, 0, 1, "devattr");

	if (err)
		return err;
	cls = class_create(THIS_MODULE, "devattr");
	dev = device_create(cls, NULL, devno, NULL, "devattr0");
	pr_info("devattr: file %d\n", device_create_file(dev, &dev_attr_speed));
	pr_info("devattr: again %d\n", device_create_file(dev, &dev_attr_speed));
	pr_info("devattr: class file %d\n", class_create_file(cls, &class_attr_version));
	return 0;
}

static void __exit devattr_exit(void)
{
	device_remove_file(dev, &dev_attr_speed);
	class_remove_file(cls, &class_attr_version);
	device_destroy(cls, devno);
	class_destroy(cls);
	unregister_chrdev_region(devno, 1);
}

module_init(devattr_init);
module_exit(devattr_exit);
