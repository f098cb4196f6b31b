// C twin of gpl_user.py: a GPL module using closed_lib's symbol inherits its taint.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

int closed_value(void); /* from closed_lib.ko */

static int __init gpl_user_init(void)
{
	pr_info("gpl_user: closed_value() = %d\n", closed_value());
	return 0;
}

static void __exit gpl_user_exit(void)
{
}

module_init(gpl_user_init);
module_exit(gpl_user_exit);
