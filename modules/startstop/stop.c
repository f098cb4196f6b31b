// C twin of stop.py: the second part of startstop.ko: cleanup_module().
#include <linux/kernel.h>
#include <linux/module.h>

void cleanup_module(void)
{
	pr_info("startstop: stopped (stop.py)\n");
}
