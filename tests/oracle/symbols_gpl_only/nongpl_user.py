"""A module under a license that isn't GPL-compatible (MIT) calling mathlib_gcd(), which
mathlib exports with EXPORT_SYMBOL_GPL: the kernel doesn't let it see the symbol."""

from kmodsim.kernel import *

MODULE_LICENSE("MIT")


@module_init
def nongpl_user_init():
    pr_info("nongpl_user: gcd(12, 18) = %d\n", mathlib_gcd(12, 18))
    return 0


@module_exit
def nongpl_user_exit():
    pass
