// C twin of proprietary.py: a module whose licence is not GPL-compatible.
// (modules/buggy/no_license.c, with no MODULE_LICENSE at all, cannot be built
// on 6.1: modpost stops with "missing MODULE_LICENSE()". This is the closest
// module that loads: the kernel taints P as it would for a missing licence.)
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("Proprietary");

static int __init proprietary_init(void)
{
	pr_info("proprietary: loaded\n");
	return 0;
}

static void __exit proprietary_exit(void)
{
	pr_info("proprietary: unloaded\n");
}

module_init(proprietary_init);
module_exit(proprietary_exit);
