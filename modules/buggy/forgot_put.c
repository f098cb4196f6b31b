// SPDX-License-Identifier: GPL-2.0
/*
 * Bug: the exit function forgets kobject_put(). After rmmod, /sys/kernel/forgot_put is
 * still there, and its attribute points at the module's memory, which is gone.
 */
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/sysfs.h>

MODULE_LICENSE("GPL");

static ssize_t greeting_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "still here\n");
}

static struct kobj_attribute greeting_attribute = __ATTR_RO(greeting);
static struct kobject *forgot_kobj;

static int __init forgot_init(void)
{
	forgot_kobj = kobject_create_and_add("forgot_put", kernel_kobj);
	if (!forgot_kobj)
		return -ENOMEM;
	return sysfs_create_file(forgot_kobj, &greeting_attribute.attr);
}

static void __exit forgot_exit(void)
{
	pr_info("forgot_put: bye\n"); /* and no kobject_put() */
}

module_init(forgot_init);
module_exit(forgot_exit);
