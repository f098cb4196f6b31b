// C twin of hello.py: a greeting at insmod, a farewell at rmmod.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("Says hello when loaded and goodbye when removed");

static int __init hello_init(void)
{
	pr_info("Hello, world!\n");
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("Goodbye, world!\n");
}

module_init(hello_init);
module_exit(hello_exit);
