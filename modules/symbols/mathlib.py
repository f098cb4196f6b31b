"""A library module: it exports a function and a variable for other modules to use
(mathuser.py uses them), and a function only GPL-compatible modules may use.

    kmod depmod && kmod modprobe mathuser   # loads mathlib first, then mathuser
    kmod lsmod                              # mathlib is `Used by` mathuser
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("Arithmetic for other modules: EXPORT_SYMBOL, EXPORT_SYMBOL_GPL")

mathlib_calls = 0  # how many times mathlib_add() was called; exported too


def mathlib_add(a, b):
    global mathlib_calls
    mathlib_calls += 1
    return a + b


def mathlib_gcd(a, b):
    while b:
        a, b = b, a % b
    return a


EXPORT_SYMBOL(mathlib_add)
EXPORT_SYMBOL(mathlib_calls)
EXPORT_SYMBOL_GPL(mathlib_gcd)  # a module whose license isn't GPL can't use it


@module_init
def mathlib_init():
    pr_info("mathlib: ready\n")
    return 0


@module_exit
def mathlib_exit():
    pr_info("mathlib: unloaded; mathlib_add was called %d times\n", mathlib_calls)
