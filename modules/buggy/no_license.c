// C twin of no_license.py. Bug: no MODULE_LICENSE. Loading it taints the
// kernel as proprietary (P).
// On Linux 6.1 this file does not even build: modpost stops with
// "ERROR: modpost: missing MODULE_LICENSE() in .../no_license.o".
// tests/oracle/license_proprietary shows the taint with a non-GPL licence.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init no_license_init(void)
{
	pr_info("no_license: loaded\n");
	return 0;
}

static void __exit no_license_exit(void)
{
	pr_info("no_license: unloaded\n");
}

module_init(no_license_init);
module_exit(no_license_exit);
