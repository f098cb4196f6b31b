"""A proprietary module (its license isn't GPL-compatible) exporting closed_value()."""

from kmodsim.kernel import *

MODULE_LICENSE("Proprietary")


def closed_value():
    return 7


EXPORT_SYMBOL(closed_value)


@module_init
def closed_lib_init():
    return 0


@module_exit
def closed_lib_exit():
    pass
