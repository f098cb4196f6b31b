// SPDX-License-Identifier: GPL-2.0
/*
 * dial: a sysfs folder /sys/kernel/dial with two attribute files, and a parameter with
 * callbacks that /sys/module/dial/parameters/step shows and sets.
 *
 *   cat /sys/kernel/dial/value             the value
 *   echo 5 > /sys/kernel/dial/value        set it
 *   echo 1 > /sys/kernel/dial/bump         add step to it
 *   echo 10 > /sys/module/dial/parameters/step
 */
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("sysfs attributes and a parameter with callbacks");

static int value;
static int step = 1;

static int step_set(const char *val, const struct kernel_param *kp)
{
	int n;
	int ret = kstrtoint(val, 0, &n);

	if (ret)
		return ret;
	if (n < 1 || n > 100) {
		pr_warn("dial: step %d is not in 1..100\n", n);
		return -EINVAL;
	}
	pr_info("dial: step %d -> %d\n", step, n);
	step = n;
	return 0;
}

static const struct kernel_param_ops step_ops = {
	.set = step_set,
	.get = param_get_int,
};
module_param_cb(step, &step_ops, &step, 0644);
MODULE_PARM_DESC(step, "how much a bump adds, 1 to 100 (default 1)");

static ssize_t value_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", value);
}

static ssize_t value_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	int ret = kstrtoint(buf, 10, &value);

	if (ret)
		return ret;
	return count;
}

static struct kobj_attribute value_attribute = __ATTR_RW(value);

static ssize_t bump_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	value += step;
	pr_info("dial: bumped by %d to %d\n", step, value);
	return count;
}

static struct kobj_attribute bump_attribute = __ATTR_WO(bump);

static struct attribute *dial_attrs[] = {
	&value_attribute.attr,
	&bump_attribute.attr,
	NULL,
};

static const struct attribute_group dial_group = {
	.attrs = dial_attrs,
};

static struct kobject *dial_kobj;

static int __init dial_init(void)
{
	int ret;

	dial_kobj = kobject_create_and_add("dial", kernel_kobj);
	if (!dial_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(dial_kobj, &dial_group);
	if (ret) {
		kobject_put(dial_kobj);
		return ret;
	}
	pr_info("dial: /sys/kernel/dial ready, step %d\n", step);
	return 0;
}

static void __exit dial_exit(void)
{
	kobject_put(dial_kobj);
	pr_info("dial: value was %d\n", value);
}

module_init(dial_init);
module_exit(dial_exit);
