"""Bug: init hits BUG(); the Oops kills insmod and the module stays half-loaded."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


@module_init
def init_bug_init():
    pr_info("init_bug: about to BUG()\n")
    BUG()
    return 0


@module_exit
def init_bug_exit():
    pr_info("init_bug: unloaded\n")
