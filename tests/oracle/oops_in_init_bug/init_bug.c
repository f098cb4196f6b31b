// C twin of init_bug.py: init hits BUG(); the Oops kills insmod and the
// module stays half-loaded.
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

static int __init init_bug_init(void)
{
	pr_info("init_bug: about to BUG()\n");
	BUG();
	return 0;
}

static void __exit init_bug_exit(void)
{
	pr_info("init_bug: unloaded\n");
}

module_init(init_bug_init);
module_exit(init_bug_exit);
