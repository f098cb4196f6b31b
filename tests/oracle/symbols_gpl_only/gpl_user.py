"""A GPL module using closed_lib's symbol: it becomes proprietary too (taint P)."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


@module_init
def gpl_user_init():
    pr_info("gpl_user: closed_value() = %d\n", closed_value())
    return 0


@module_exit
def gpl_user_exit():
    pass
