// C twin of nongpl_user.py. It says "GPL" here because modpost refuses to build a module
// whose license isn't GPL-compatible that uses a GPL-only symbol ("GPL-incompatible module
// nongpl_user.ko uses GPL-only symbol 'mathlib_gcd'"); the scenario's first line makes the
// built .ko's license "MIT", the license nongpl_user.py declares, as a module built
// elsewhere would have it.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");

int mathlib_gcd(int a, int b); /* from mathlib.ko, EXPORT_SYMBOL_GPL */

static int __init nongpl_user_init(void)
{
	pr_info("nongpl_user: gcd(12, 18) = %d\n", mathlib_gcd(12, 18));
	return 0;
}

static void __exit nongpl_user_exit(void)
{
}

module_init(nongpl_user_init);
module_exit(nongpl_user_exit);
