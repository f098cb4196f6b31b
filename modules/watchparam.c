// C twin of watchparam.py: module parameters with callbacks; the module sees
// every value it is given, and may refuse.
//   insmod watchparam.ko level=3 name="Ada" tag=x1     (level: 0 to 10)
// `level` is checked by its set callback and logged each time it is read or
// written; `name` is a plain charp, `tag` a string copied into a buffer of 8
// bytes, and `verbose` a bool the module calls `debug` inside.
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("Module parameters with callbacks");

#define LEVEL_MAX 10

static int level = 5;
static char *name = "nobody";
static char tag[8] = "none";
static bool debug;

static int level_set(const char *val, const struct kernel_param *kp)
{
	int n, err = kstrtoint(val, 0, &n);

	if (err) {
		pr_warn("watchparam: level '%s' is not a number\n", val);
		return err;
	}
	if (n < 0 || n > LEVEL_MAX) {
		pr_warn("watchparam: level %d is not in 0..%d\n", n, LEVEL_MAX);
		return -EINVAL;
	}
	pr_info("watchparam: level %d -> %d\n", *(int *)kp->arg, n);
	return param_set_int(val, kp);
}

static int level_get(char *buffer, const struct kernel_param *kp)
{
	pr_info("watchparam: level read\n");
	return param_get_int(buffer, kp);
}

static const struct kernel_param_ops level_ops = {
	.set = level_set,
	.get = level_get,
};

module_param_cb(level, &level_ops, &level, 0644);
MODULE_PARM_DESC(level, "how much to do, 0 to 10 (default 5)");
module_param(name, charp, 0444);
MODULE_PARM_DESC(name, "who to greet");
module_param_string(tag, tag, sizeof(tag), 0444);
MODULE_PARM_DESC(tag, "a short tag, at most 7 characters");
module_param_named(verbose, debug, bool, 0644);
MODULE_PARM_DESC(verbose, "log more");

static int __init watchparam_init(void)
{
	pr_info("watchparam: hello %s, level %d, tag %s%s\n", name, level, tag,
		debug ? ", verbose" : "");
	return 0;
}

static void __exit watchparam_exit(void)
{
	pr_info("watchparam: goodbye %s\n", name);
}

module_init(watchparam_init);
module_exit(watchparam_exit);
