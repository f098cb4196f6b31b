// SPDX-License-Identifier: GPL-2.0
/*
 * tally: a debugfs folder /sys/kernel/debug/tally whose files show and set the module's
 * variables (debugfs_create_u32, _x32, _bool, _blob), and one file with its own
 * file_operations.
 *
 *   mount -t debugfs none /sys/kernel/debug     (if it isn't mounted yet)
 *   cat /sys/kernel/debug/tally/count
 *   echo 41 > /sys/kernel/debug/tally/count
 *   cat /sys/kernel/debug/tally/status
 *   echo reset > /sys/kernel/debug/tally/status
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("debugfs files over the module's variables");

static u32 count;
static u32 mask = 0xf0;
static bool enabled = true;
static char version_text[] = "tally 1.0";
static struct debugfs_blob_wrapper version = {
	.data = version_text,
	.size = sizeof(version_text) - 1,
};
static struct dentry *tally_dir;

static ssize_t status_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	char text[64];
	int n = scnprintf(text, sizeof(text), "count %u, mask 0x%x, %s\n", count, mask,
			  enabled ? "enabled" : "disabled");

	return simple_read_from_buffer(buf, len, ppos, text, n);
}

static ssize_t status_write(struct file *file, const char __user *buf, size_t len,
			    loff_t *ppos)
{
	char cmd[16];

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, buf, len))
		return -EFAULT;
	cmd[len] = '\0';
	if (!sysfs_streq(cmd, "reset"))
		return -EINVAL;
	pr_info("tally: count %u reset\n", count);
	count = 0;
	return len;
}

static const struct file_operations status_fops = {
	.owner = THIS_MODULE,
	.read = status_read,
	.write = status_write,
};

static int __init tally_init(void)
{
	tally_dir = debugfs_create_dir("tally", NULL);
	debugfs_create_u32("count", 0644, tally_dir, &count);
	debugfs_create_x32("mask", 0644, tally_dir, &mask);
	debugfs_create_bool("enabled", 0644, tally_dir, &enabled);
	debugfs_create_blob("version", 0444, tally_dir, &version);
	debugfs_create_file("status", 0644, tally_dir, NULL, &status_fops);
	pr_info("tally: /sys/kernel/debug/tally ready\n");
	return 0;
}

static void __exit tally_exit(void)
{
	debugfs_remove(tally_dir);
	pr_info("tally: count was %u\n", count);
}

module_init(tally_init);
module_exit(tally_exit);
