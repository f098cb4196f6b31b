// C twin of mathuser.py: calls the functions mathlib.ko exports and uses its variable.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Calls the functions mathlib exports and uses its variable");

/* from mathlib.ko (a header of the library would declare them) */
extern int mathlib_calls;
int mathlib_add(int a, int b);
int mathlib_gcd(int a, int b);

static int a = 12;
static int b = 18;
module_param(a, int, 0444);
module_param(b, int, 0444);

static int __init mathuser_init(void)
{
	int total = mathlib_add(a, b);

	pr_info("mathuser: %d + %d = %d\n", a, b, total);
	pr_info("mathuser: gcd(%d, %d) = %d\n", a, b, mathlib_gcd(a, b));
	pr_info("mathuser: mathlib_add has been called %d times\n", mathlib_calls);
	return 0;
}

static void __exit mathuser_exit(void)
{
	mathlib_calls = 0; /* another module's variable, written */
	pr_info("mathuser: reset mathlib_calls\n");
}

module_init(mathuser_init);
module_exit(mathuser_exit);
