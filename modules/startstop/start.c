// C twin of start.py: the first part of startstop.ko (Kbuild:
// startstop-objs := start.o stop.o): its license and init_module().
#include <linux/kernel.h>
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("A module built from two source files");

int init_module(void)
{
	pr_info("startstop: started (start.py)\n");
	return 0;
}
