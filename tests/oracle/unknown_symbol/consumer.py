"""Calls provider_greet(), exported by provider (EXPORT_SYMBOL). The name is resolved
when the module is loaded, as the C module's undefined symbol is."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


@module_init
def consumer_init():
    provider_greet("consumer")  # from provider
    return 0


@module_exit
def consumer_exit():
    pr_info("consumer: unloaded\n")
