"""A module whose licence is not GPL-compatible: loading it taints the kernel (P)."""

from kmodsim.kernel import *

MODULE_LICENSE("Proprietary")


@module_init
def proprietary_init():
    pr_info("proprietary: loaded\n")
    return 0


@module_exit
def proprietary_exit():
    pr_info("proprietary: unloaded\n")
