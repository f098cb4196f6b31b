// C twin of hitcount.py: statistics of /proc/hitcount, kept in atomic
// counters (no lock needed, however many tasks read and write at once).
//   cat /proc/hitcount            opens 3, reads 2, writes 1, bytes 6
//   echo hello > /proc/hitcount   counts a write of 6 bytes
//   echo reset > /proc/hitcount   sets every counter back to 0
#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("Statistics of a /proc file, kept in atomic counters");

static atomic_t opens = ATOMIC_INIT(0);
static atomic_t reads = ATOMIC_INIT(0);
static atomic_t writes = ATOMIC_INIT(0);
static atomic64_t nbytes = ATOMIC64_INIT(0);

static int hitcount_show(struct seq_file *m, void *v)
{
	seq_printf(m, "opens %d, reads %d, writes %d, bytes %lld\n",
		   atomic_read(&opens), atomic_inc_return(&reads),
		   atomic_read(&writes), atomic64_read(&nbytes));
	return 0;
}

static int hitcount_open(struct inode *inode, struct file *file)
{
	atomic_inc(&opens);
	return single_open(file, hitcount_show, NULL);
}

static ssize_t hitcount_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	char kbuf[8] = "";
	int old;

	if (copy_from_user(kbuf, buf, min(count, sizeof(kbuf) - 1)))
		return -EFAULT;
	if (sysfs_streq(kbuf, "reset")) {
		old = atomic_xchg(&writes, 0);
		atomic_set(&opens, 0);
		atomic_set(&reads, 0);
		atomic64_set(&nbytes, 0);
		pr_info("hitcount: reset after %d writes\n", old);
		return count;
	}
	if (atomic_inc_return(&writes) == 1)
		pr_info("hitcount: first write\n");
	atomic64_add(count, &nbytes);
	return count;
}

static const struct proc_ops hitcount_fops = {
	.proc_open = hitcount_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = hitcount_write,
};

static int __init hitcount_init(void)
{
	if (!proc_create("hitcount", 0666, NULL, &hitcount_fops))
		return -ENOMEM;
	pr_info("hitcount: loaded\n");
	return 0;
}

static void __exit hitcount_exit(void)
{
	remove_proc_entry("hitcount", NULL);
	pr_info("hitcount: %d opens, %d writes, %lld bytes\n",
		atomic_read(&opens), atomic_read(&writes),
		atomic64_read(&nbytes));
}

module_init(hitcount_init);
module_exit(hitcount_exit);
