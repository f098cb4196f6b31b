"""init logs one line at each of KERN_ERR, KERN_CRIT, KERN_WARNING and KERN_INFO; exit logs
at KERN_ERR."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


@module_init
def loudlog_init():
    printk(KERN_ERR + "loudlog: an error\n")
    printk(KERN_CRIT + "loudlog: something critical\n")
    printk(KERN_WARNING + "loudlog: a warning\n")
    printk(KERN_INFO + "loudlog: some information\n")
    return 0


@module_exit
def loudlog_exit():
    pr_err("loudlog: an error at exit\n")
