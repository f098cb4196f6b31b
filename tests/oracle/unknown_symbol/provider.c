// C twin of provider.py: exports provider_greet() for other modules.
#include <linux/export.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

void provider_greet(const char *who)
{
	pr_info("provider: hello, %s\n", who);
}
EXPORT_SYMBOL(provider_greet);

static int __init provider_init(void)
{
	pr_info("provider: loaded\n");
	return 0;
}

static void __exit provider_exit(void)
{
	pr_info("provider: unloaded\n");
}

module_init(provider_init);
module_exit(provider_exit);
