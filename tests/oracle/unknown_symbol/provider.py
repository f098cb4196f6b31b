"""Exports provider_greet() for other modules (EXPORT_SYMBOL)."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


def provider_greet(who):
    pr_info("provider: hello, %s\n", who)


EXPORT_SYMBOL(provider_greet)


@module_init
def provider_init():
    pr_info("provider: loaded\n")
    return 0


@module_exit
def provider_exit():
    pr_info("provider: unloaded\n")
