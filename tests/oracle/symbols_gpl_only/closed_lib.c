// C twin of closed_lib.py: a proprietary module exporting closed_value().
#include <linux/export.h>
#include <linux/init.h>
#include <linux/module.h>

MODULE_LICENSE("Proprietary");

int closed_value(void)
{
	return 7;
}
EXPORT_SYMBOL(closed_value);

static int __init closed_lib_init(void)
{
	return 0;
}

static void __exit closed_lib_exit(void)
{
}

module_init(closed_lib_init);
module_exit(closed_lib_exit);
