"""init's last printk has no final newline; exit's printk has one."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


@module_init
def nonewline_init():
    pr_info("nonewline: loaded")
    return 0


@module_exit
def nonewline_exit():
    pr_info("nonewline: unloaded\n")
