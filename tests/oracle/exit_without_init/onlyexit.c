// C twin of onlyexit.py: a module with an exit function and no init.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

static void __exit onlyexit_exit(void)
{
	pr_info("onlyexit: exit called\n");
}

module_exit(onlyexit_exit);
