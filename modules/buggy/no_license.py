"""Bug: no MODULE_LICENSE. Loading it taints the kernel as proprietary (P)."""

from kmodsim.kernel import *


@module_init
def no_license_init():
    pr_info("no_license: loaded\n")
    return 0


@module_exit
def no_license_exit():
    pr_info("no_license: unloaded\n")
