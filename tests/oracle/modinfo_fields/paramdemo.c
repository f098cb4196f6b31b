// C twin of paramdemo.py: licence, author, description (no version) and
// three parameters, each with a MODULE_PARM_DESC, declared in a known order.
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("A. Learner <learner@example.com>");
MODULE_DESCRIPTION("Three parameters for modinfo to show");

static int count = 1;
module_param(count, int, 0644);
MODULE_PARM_DESC(count, "How many times to greet");

static char *name = "world";
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "Whom to greet");

static bool loud;
module_param(loud, bool, 0);
MODULE_PARM_DESC(loud, "Greet in capitals");

static int __init paramdemo_init(void)
{
	int i;

	for (i = 0; i < count; i++) {
		if (loud)
			pr_info("paramdemo: HELLO, %s!\n", name);
		else
			pr_info("paramdemo: hello, %s\n", name);
	}
	return 0;
}

static void __exit paramdemo_exit(void)
{
	pr_info("paramdemo: bye\n");
}

module_init(paramdemo_init);
module_exit(paramdemo_exit);
