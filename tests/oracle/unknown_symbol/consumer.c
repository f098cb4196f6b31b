// C twin of consumer.py: calls provider_greet(), exported by provider.ko.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

void provider_greet(const char *who); /* from provider.ko */

static int __init consumer_init(void)
{
	provider_greet("consumer");
	return 0;
}

static void __exit consumer_exit(void)
{
	pr_info("consumer: unloaded\n");
}

module_init(consumer_init);
module_exit(consumer_exit);
