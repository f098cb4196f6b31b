"""Bug: init uses a pointer that was never set; the Oops kills insmod and the module stays
half-loaded."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")

config = None  # never set


@module_init
def init_null_init():
    pr_info("init_null: about to use config\n")
    return config.limit  # NULL pointer dereference


@module_exit
def init_null_exit():
    pr_info("init_null: unloaded\n")
