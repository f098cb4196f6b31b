// C twin of deferred.py: a workqueue and a tasklet, driven from /proc/deferred.
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/proc_fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A workqueue and a tasklet, driven from /proc/deferred");

static struct workqueue_struct *deferred_wq;
static struct work_struct deferred_work;
static struct tasklet_struct deferred_tasklet;
static int work_runs;
static int tasklet_runs;

static void work_fn(struct work_struct *work)
{
	msleep(10);
	work_runs++;
	pr_info("deferred: work ran (%d)\n", work_runs);
}

static void tasklet_fn(struct tasklet_struct *t)
{
	tasklet_runs++;
	pr_info("deferred: tasklet ran (%d), in interrupt: %d\n", tasklet_runs,
		in_interrupt() ? 1 : 0);
}

static ssize_t deferred_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	char text[48];
	int len = snprintf(text, sizeof(text), "work %d tasklet %d\n", work_runs, tasklet_runs);

	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static ssize_t deferred_write(struct file *file, const char __user *buf, size_t count,
			      loff_t *ppos)
{
	char cmd[16] = "";
	size_t n = min_t(size_t, count, 15);

	if (copy_from_user(cmd, buf, n))
		return -EFAULT;
	cmd[n] = '\0';
	strim(cmd);
	if (!strcmp(cmd, "work"))
		queue_work(deferred_wq, &deferred_work);
	else if (!strcmp(cmd, "tasklet"))
		tasklet_schedule(&deferred_tasklet);
	else if (!strcmp(cmd, "flush"))
		flush_workqueue(deferred_wq);
	else
		return -EINVAL;
	return count;
}

static const struct proc_ops deferred_fops = {
	.proc_read = deferred_read,
	.proc_write = deferred_write,
};

static int __init deferred_init(void)
{
	deferred_wq = alloc_workqueue("deferred", WQ_UNBOUND, 1);
	if (!deferred_wq)
		return -ENOMEM;
	INIT_WORK(&deferred_work, work_fn);
	tasklet_setup(&deferred_tasklet, tasklet_fn);
	if (!proc_create("deferred", 0666, NULL, &deferred_fops)) {
		destroy_workqueue(deferred_wq);
		return -ENOMEM;
	}
	return 0;
}

static void __exit deferred_exit(void)
{
	remove_proc_entry("deferred", NULL);
	tasklet_kill(&deferred_tasklet);
	destroy_workqueue(deferred_wq);
	pr_info("deferred: work ran %d, tasklet ran %d\n", work_runs, tasklet_runs);
}

module_init(deferred_init);
module_exit(deferred_exit);
