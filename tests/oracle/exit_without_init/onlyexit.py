"""A module with an exit function and no init."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


@module_exit
def onlyexit_exit():
    pr_info("onlyexit: exit called\n")
