// C twin of procfile.py: /proc/procfile keeps what is written to it and
// gives it back when read. Up to PROCFS_MAX_SIZE bytes are kept; a longer
// write is cut to that size and the handler says so, as LKMPG's procfs2 does.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A /proc file that remembers what was written to it");

#define PROCFS_NAME "procfile"
#define PROCFS_MAX_SIZE 1024

static char procfs_buffer[PROCFS_MAX_SIZE];
static size_t procfs_buffer_size;

static ssize_t procfile_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	return simple_read_from_buffer(buf, count, ppos, procfs_buffer,
				       procfs_buffer_size);
}

static ssize_t procfile_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	size_t size = count;

	if (size > PROCFS_MAX_SIZE) {
		size = PROCFS_MAX_SIZE;
		pr_warn("procfile: write of %zu bytes cut to %d\n", count,
			PROCFS_MAX_SIZE);
	}
	if (copy_from_user(procfs_buffer, buf, size))
		return -EFAULT;
	procfs_buffer_size = size;
	pr_info("procfile: stored %zu bytes\n", size);
	return count;
}

static const struct proc_ops procfile_fops = {
	.proc_read = procfile_read,
	.proc_write = procfile_write,
};

static int __init procfile_init(void)
{
	if (!proc_create(PROCFS_NAME, 0666, NULL, &procfile_fops)) {
		pr_alert("Error: could not initialize /proc/%s\n", PROCFS_NAME);
		return -ENOMEM;
	}
	pr_info("/proc/%s created\n", PROCFS_NAME);
	return 0;
}

static void __exit procfile_exit(void)
{
	remove_proc_entry(PROCFS_NAME, NULL);
	pr_info("/proc/%s removed\n", PROCFS_NAME);
}

module_init(procfile_init);
module_exit(procfile_exit);
