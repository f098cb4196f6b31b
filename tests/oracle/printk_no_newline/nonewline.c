// C twin of nonewline.py: init's last printk has no final newline;
// exit's printk has one.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

static int __init nonewline_init(void)
{
	pr_info("nonewline: loaded");
	return 0;
}

static void __exit nonewline_exit(void)
{
	pr_info("nonewline: unloaded\n");
}

module_init(nonewline_init);
module_exit(nonewline_exit);
