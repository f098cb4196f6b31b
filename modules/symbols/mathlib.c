// C twin of mathlib.py: exports a function and a variable, and a GPL-only function.
#include <linux/export.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Arithmetic for other modules: EXPORT_SYMBOL, EXPORT_SYMBOL_GPL");

int mathlib_calls; /* how many times mathlib_add() was called; exported too */

int mathlib_add(int a, int b)
{
	mathlib_calls++;
	return a + b;
}

int mathlib_gcd(int a, int b)
{
	while (b) {
		int r = a % b;

		a = b;
		b = r;
	}
	return a;
}

EXPORT_SYMBOL(mathlib_add);
EXPORT_SYMBOL(mathlib_calls);
EXPORT_SYMBOL_GPL(mathlib_gcd); /* a module whose license isn't GPL can't use it */

static int __init mathlib_init(void)
{
	pr_info("mathlib: ready\n");
	return 0;
}

static void __exit mathlib_exit(void)
{
	pr_info("mathlib: unloaded; mathlib_add was called %d times\n", mathlib_calls);
}

module_init(mathlib_init);
module_exit(mathlib_exit);
