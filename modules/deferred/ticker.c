// C twin of ticker.py: a kthread that ticks once a second until rmmod stops it.
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A kthread that ticks once a second until the module is removed");

static struct task_struct *ticker_thread;

static int ticker_fn(void *data)
{
	int ticks = 0;

	while (!kthread_should_stop()) {
		ticks++;
		pr_info("ticker: tick %d\n", ticks);
		msleep(1000);
	}
	pr_info("ticker: stopped\n");
	return ticks;
}

static int __init ticker_init(void)
{
	ticker_thread = kthread_run(ticker_fn, NULL, "ticker");
	if (IS_ERR(ticker_thread))
		return PTR_ERR(ticker_thread);
	pr_info("ticker: started thread %s\n", ticker_thread->comm);
	return 0;
}

static void __exit ticker_exit(void)
{
	kthread_stop(ticker_thread);
}

module_init(ticker_init);
module_exit(ticker_exit);
