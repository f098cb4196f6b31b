"""Uses what mathlib exports: calls mathlib_add() and mathlib_gcd() by name, and reads and
writes mathlib's variable mathlib_calls. insmod resolves the names in mathlib, which must be
loaded first (modprobe does that); while this module is loaded, mathlib is in use.

Another module's variable is reached through `.value` (each module's memory is its own):
C's `extern int mathlib_calls; mathlib_calls = 0;` is `mathlib_calls.value = 0`.
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("Calls the functions mathlib exports and uses its variable")

a = 12
b = 18
module_param("a", int, 0o444)
module_param("b", int, 0o444)


@module_init
def mathuser_init():
    total = mathlib_add(a, b)
    pr_info("mathuser: %d + %d = %d\n", a, b, total)
    pr_info("mathuser: gcd(%d, %d) = %d\n", a, b, mathlib_gcd(a, b))
    pr_info("mathuser: mathlib_add has been called %d times\n", mathlib_calls.value)
    return 0


@module_exit
def mathuser_exit():
    mathlib_calls.value = 0  # another module's variable, written
    pr_info("mathuser: reset mathlib_calls\n")
