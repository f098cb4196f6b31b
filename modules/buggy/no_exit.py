"""Bug: no exit function. The module can be loaded but never removed (without -f)."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


@module_init
def no_exit_init():
    pr_info("no_exit: loaded, and here to stay\n")
    return 0
