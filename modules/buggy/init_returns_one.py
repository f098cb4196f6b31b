"""Bug: init returns 1. The kernel loads it anyway, with a warning: 0 or -errno only."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


@module_init
def one_init():
    pr_info("init_returns_one: loading\n")
    return 1


@module_exit
def one_exit():
    pass
