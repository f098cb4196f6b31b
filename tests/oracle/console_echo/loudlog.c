// C twin of loudlog.py: init logs one line at each of KERN_ERR, KERN_CRIT,
// KERN_WARNING and KERN_INFO; exit logs at KERN_ERR.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

static int __init loudlog_init(void)
{
	printk(KERN_ERR "loudlog: an error\n");
	printk(KERN_CRIT "loudlog: something critical\n");
	printk(KERN_WARNING "loudlog: a warning\n");
	printk(KERN_INFO "loudlog: some information\n");
	return 0;
}

static void __exit loudlog_exit(void)
{
	pr_err("loudlog: an error at exit\n");
}

module_init(loudlog_init);
module_exit(loudlog_exit);
