// C twin of lockup.py. Bug: a loop whose condition never changes. Writing
// to /proc/lockup spins forever, until the soft-lockup watchdog reports it.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <asm/processor.h>

MODULE_LICENSE("GPL");

static ssize_t lockup_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	size_t done = 0;

	while (done < count) /* forgot done++ */
		cpu_relax();
	return count;
}

static const struct proc_ops lockup_fops = {
	.proc_write = lockup_write,
};

static int __init lockup_init(void)
{
	proc_create("lockup", 0666, NULL, &lockup_fops);
	return 0;
}

static void __exit lockup_exit(void)
{
	remove_proc_entry("lockup", NULL);
}

module_init(lockup_init);
module_exit(lockup_exit);
