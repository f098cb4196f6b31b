// C twin of heartbeat.py: a timer that fires every second and logs a
// heartbeat, until the module is removed.
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/timer.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Logs a heartbeat every second from a kernel timer");

static int beats;
static struct timer_list heartbeat_timer;

static void heartbeat(struct timer_list *timer)
{
	beats++;
	pr_info("heartbeat: %d\n", beats);
	mod_timer(timer, jiffies + msecs_to_jiffies(1000));
}

static int __init heartbeat_init(void)
{
	timer_setup(&heartbeat_timer, heartbeat, 0);
	mod_timer(&heartbeat_timer, jiffies + msecs_to_jiffies(1000));
	pr_info("heartbeat: started\n");
	return 0;
}

static void __exit heartbeat_exit(void)
{
	del_timer_sync(&heartbeat_timer);
	pr_info("heartbeat: stopped after %d beats\n", beats);
}

module_init(heartbeat_init);
module_exit(heartbeat_exit);
