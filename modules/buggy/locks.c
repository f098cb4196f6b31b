// C twin of locks.py. Locking bugs, one per command written to /proc/lockbugs:
//   hold     take the mutex and return without unlocking it
//   take     take the mutex (and unlock it): hangs if `hold` left it locked
//   twice    take the mutex twice in a row (recursive locking)
//   unlock   unlock a mutex nobody holds
//   ab / ba  take two locks in one order, then in the other
//   atomic   sleep while holding a spinlock
// Without lockdep (Debian's kernel has none) most of these print nothing.
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");

static DEFINE_MUTEX(big_lock);
static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DEFINE_SPINLOCK(fast_lock);

static ssize_t locks_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	char *cmd, *c;
	ssize_t ret = count;

	cmd = memdup_user_nul(buf, count);
	if (IS_ERR(cmd))
		return -EFAULT;
	c = strim(cmd);

	if (!strcmp(c, "hold")) {
		mutex_lock(&big_lock);
	} else if (!strcmp(c, "take")) {
		mutex_lock(&big_lock);
		mutex_unlock(&big_lock);
	} else if (!strcmp(c, "twice")) {
		mutex_lock(&big_lock);
		mutex_lock(&big_lock);
	} else if (!strcmp(c, "unlock")) {
		mutex_unlock(&big_lock);
	} else if (!strcmp(c, "ab")) {
		mutex_lock(&lock_a);
		mutex_lock(&lock_b);
		mutex_unlock(&lock_b);
		mutex_unlock(&lock_a);
	} else if (!strcmp(c, "ba")) {
		mutex_lock(&lock_b);
		mutex_lock(&lock_a);
		mutex_unlock(&lock_a);
		mutex_unlock(&lock_b);
	} else if (!strcmp(c, "atomic")) {
		spin_lock(&fast_lock);
		msleep(1);
		spin_unlock(&fast_lock);
	} else {
		ret = -EINVAL;
	}
	kfree(cmd);
	return ret;
}

static const struct proc_ops locks_fops = {
	.proc_write = locks_write,
};

static int __init locks_init(void)
{
	proc_create("lockbugs", 0666, NULL, &locks_fops);
	return 0;
}

static void __exit locks_exit(void)
{
	remove_proc_entry("lockbugs", NULL);
}

module_init(locks_init);
module_exit(locks_exit);
