// C twin of init_null.py: init uses a pointer that was never set; the
// Oops kills insmod and the module stays half-loaded.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

struct init_null_config {
	int limit;
};

static struct init_null_config *config; /* never set */

static int __init init_null_init(void)
{
	pr_info("init_null: about to use config\n");
	return config->limit; /* NULL pointer dereference */
}

static void __exit init_null_exit(void)
{
	pr_info("init_null: unloaded\n");
}

module_init(init_null_init);
module_exit(init_null_exit);
