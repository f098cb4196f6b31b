// C twin of init_returns_one.py. Bug: init returns 1. The kernel loads it
// anyway, with a warning: init must return 0 or -errno.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

static int __init one_init(void)
{
	pr_info("init_returns_one: loading\n");
	return 1;
}

static void __exit one_exit(void)
{
}

module_init(one_init);
module_exit(one_exit);
