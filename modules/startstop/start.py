"""The first part of startstop (see startstop.py): its license and init_module()."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("A module built from two source files")


def init_module():
    pr_info("startstop: started (start.py)\n")
    return 0
