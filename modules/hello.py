"""The first module: a greeting at insmod, a farewell at rmmod."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("Says hello when loaded and goodbye when removed")


@module_init
def hello_init():
    pr_info("Hello, world!\n")
    return 0


@module_exit
def hello_exit():
    pr_info("Goodbye, world!\n")
