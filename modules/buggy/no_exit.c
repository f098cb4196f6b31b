// C twin of no_exit.py. Bug: no exit function. The module can be loaded
// but never removed (without rmmod -f).
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

static int __init no_exit_init(void)
{
	pr_info("no_exit: loaded, and here to stay\n");
	return 0;
}

module_init(no_exit_init);
