"""The everyday macros of include/linux/kernel.h, minmax.h, err.h, build_bug.h, compiler.h,
log2.h, math.h and version.h, and the task helpers around `current` (sched.py's).

Python's own min() and max() already do what C's min(a, b) and max(a, b) do; min_t() and
max_t() first cast both values to the C type named, as C's do (`min_t(u8, 300, 5)` is 5 and
`min_t(int, x, y)` compares as C ints).

Error pointers: a function that returns a pointer or an error returns the object or
ERR_PTR(-ENOMEM), which is the int -ENOMEM; IS_ERR() tells them apart, PTR_ERR() gives the
error back.
"""

from __future__ import annotations

from kmodsim.kernel import _current
from kmodsim.kernel.cformat import address_of
from kmodsim.kernel.ctype import cast
from kmodsim.kernel.errno import MAX_ERRNO
from kmodsim.kernel.sched import current
from kmodsim.kernel.version import LINUX_VERSION_CODE as _CODE

# -- limits (include/linux/limits.h) ---------------------------------------------------------

U8_MAX, S8_MAX, S8_MIN = 0xFF, 0x7F, -0x80
U16_MAX, S16_MAX, S16_MIN = 0xFFFF, 0x7FFF, -0x8000
U32_MAX, S32_MAX, S32_MIN = 0xFFFFFFFF, 0x7FFFFFFF, -0x80000000
U64_MAX, S64_MAX, S64_MIN = (1 << 64) - 1, (1 << 63) - 1, -(1 << 63)
SHRT_MAX, SHRT_MIN, USHRT_MAX = S16_MAX, S16_MIN, U16_MAX
INT_MAX, INT_MIN, UINT_MAX = S32_MAX, S32_MIN, U32_MAX
LONG_MAX, LONG_MIN, ULONG_MAX = S64_MAX, S64_MIN, U64_MAX
LLONG_MAX, LLONG_MIN, ULLONG_MAX = S64_MAX, S64_MIN, U64_MAX
SIZE_MAX, SSIZE_MAX = U64_MAX, S64_MAX
PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = ~(PAGE_SIZE - 1)

# -- version.h -------------------------------------------------------------------------------

LINUX_VERSION_CODE = _CODE
LINUX_VERSION_MAJOR = _CODE >> 16
LINUX_VERSION_PATCHLEVEL = (_CODE >> 8) & 0xFF
LINUX_VERSION_SUBLEVEL = _CODE & 0xFF


def KERNEL_VERSION(a: int, b: int, c: int) -> int:
    """`#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0)` is
    `if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 6, 0):` (the simulated kernel is 6.1.0)."""
    return (int(a) << 16) + (int(b) << 8) + min(int(c), 255)


# -- arrays, min/max, rounding ---------------------------------------------------------------

def ARRAY_SIZE(arr: object) -> int:
    """The number of elements of an array (a list, tuple, bytes…)."""
    return len(arr)  # type: ignore[arg-type]


def min_t(type_: object, a: int, b: int) -> int:
    """min(a, b) after casting both to `type_` (u8, int, size_t…)."""
    x, y = cast(type_, a), cast(type_, b)
    return x if x < y else y  # type: ignore[operator,return-value]


def max_t(type_: object, a: int, b: int) -> int:
    x, y = cast(type_, a), cast(type_, b)
    return x if x > y else y  # type: ignore[operator,return-value]


def clamp(val: int, lo: int, hi: int) -> int:
    """`val` kept within [lo, hi]."""
    return min(max(val, lo), hi)


def clamp_t(type_: object, val: int, lo: int, hi: int) -> int:
    return clamp(cast(type_, val), cast(type_, lo), cast(type_, hi))  # type: ignore[arg-type]


def clamp_val(val: int, lo: int, hi: int) -> int:
    return clamp(val, lo, hi)


def min3(a: int, b: int, c: int) -> int:
    return min(a, b, c)


def max3(a: int, b: int, c: int) -> int:
    return max(a, b, c)


def abs_diff(a: int, b: int) -> int:
    return a - b if a > b else b - a


def DIV_ROUND_UP(n: int, d: int) -> int:
    return (int(n) + int(d) - 1) // int(d)


def DIV_ROUND_CLOSEST(x: int, divisor: int) -> int:
    x, divisor = int(x), int(divisor)
    if (x > 0) == (divisor > 0):
        return (x + divisor // 2) // divisor
    return -((-x + divisor // 2) // divisor)


def roundup(x: int, y: int) -> int:
    return (int(x) + int(y) - 1) // int(y) * int(y)


def rounddown(x: int, y: int) -> int:
    return int(x) - int(x) % int(y)


def round_up(x: int, y: int) -> int:
    """Round up to a power of two `y`."""
    return ((int(x) - 1) | (int(y) - 1)) + 1


def round_down(x: int, y: int) -> int:
    return int(x) & ~(int(y) - 1)


def ALIGN(x: int, a: int) -> int:
    return (int(x) + int(a) - 1) & ~(int(a) - 1)


def ALIGN_DOWN(x: int, a: int) -> int:
    return int(x) & ~(int(a) - 1)


def IS_ALIGNED(x: int, a: int) -> bool:
    return int(x) & (int(a) - 1) == 0


def PTR_ALIGN(p: int, a: int) -> int:
    return ALIGN(p, a)


def is_power_of_2(n: int) -> bool:
    n = int(n)
    return n != 0 and n & (n - 1) == 0


def ilog2(n: int) -> int:
    return int(n).bit_length() - 1


def roundup_pow_of_two(n: int) -> int:
    return 1 << (int(n) - 1).bit_length()


def rounddown_pow_of_two(n: int) -> int:
    return 1 << (int(n).bit_length() - 1)


def order_base_2(n: int) -> int:
    return (int(n) - 1).bit_length() if int(n) > 1 else 0


def upper_32_bits(n: int) -> int:
    return (int(n) >> 32) & 0xFFFFFFFF


def lower_32_bits(n: int) -> int:
    return int(n) & 0xFFFFFFFF


# -- compiler.h, build_bug.h -----------------------------------------------------------------

def likely(x: object) -> bool:
    """A hint to the compiler about which way a branch goes: the value of !!(x)."""
    return bool(x)


def unlikely(x: object) -> bool:
    return bool(x)


class BuildBugError(Exception):
    """A BUILD_BUG_ON() whose condition holds: in C, the module doesn't compile."""


def BUILD_BUG_ON(condition: object) -> None:
    """Checked when the line runs: at the module's top level, that is at insmod, which then
    fails (as the build would)."""
    if condition:
        raise BuildBugError("BUILD_BUG_ON failed: the condition is true")


def BUILD_BUG_ON_MSG(condition: object, msg: str) -> None:
    if condition:
        raise BuildBugError(str(msg))


def BUILD_BUG_ON_ZERO(condition: object) -> int:
    BUILD_BUG_ON(condition)
    return 0


def static_assert(condition: object, msg: str = "") -> None:
    if not condition:
        raise BuildBugError(f"static assertion failed{': ' + msg if msg else ''}")


def READ_ONCE(x: object) -> object:
    return x


def barrier() -> None:
    """A compiler barrier: nothing to do."""


def cpu_relax() -> None:
    """The pause in a busy-wait loop."""


def smp_mb() -> None:
    """A memory barrier: one CPU here, nothing to order."""


smp_rmb = smp_wmb = mb = rmb = wmb = smp_mb


# -- err.h -----------------------------------------------------------------------------------

def ERR_PTR(error: int) -> int:
    """A pointer that carries an error: ERR_PTR(-ENOMEM) is -ENOMEM."""
    return int(error)


def IS_ERR(ptr: object) -> bool:
    """Whether `ptr` is an error pointer (a -errno), not an object or NULL."""
    return isinstance(ptr, int) and not isinstance(ptr, bool) and -MAX_ERRNO <= ptr < 0


def IS_ERR_OR_NULL(ptr: object) -> bool:
    return ptr is None or (isinstance(ptr, int) and ptr == 0) or IS_ERR(ptr)


def PTR_ERR(ptr: object) -> int:
    """The error an error pointer carries (for anything else, its address as a long)."""
    if isinstance(ptr, int) and not isinstance(ptr, bool):
        return ptr
    addr = address_of(ptr)
    return addr - (1 << 64) if addr >> 63 else addr


def PTR_ERR_OR_ZERO(ptr: object) -> int:
    return PTR_ERR(ptr) if IS_ERR(ptr) else 0


def ERR_CAST(ptr: object) -> object:
    return ptr


# -- current ---------------------------------------------------------------------------------

def get_current() -> object:
    """`current` (kmodsim.kernel.sched's): the task running this code."""
    return current


def task_pid_nr(task: object) -> int:
    return task.pid  # type: ignore[attr-defined,no-any-return]


def task_tgid_nr(task: object) -> int:
    return task.pid  # type: ignore[attr-defined,no-any-return]  (one thread per process)


def get_task_comm(task: object) -> str:
    """C's `get_task_comm(buf, task)` fills buf: `comm = get_task_comm(current)`."""
    return task.comm  # type: ignore[attr-defined,no-any-return]


def in_interrupt() -> bool:
    """Whether this code runs in interrupt context (a timer callback)."""
    return bool(_current.entry().task.in_irq)


def in_softirq() -> bool:
    return in_interrupt()


def in_task() -> bool:
    return not in_interrupt()


def irqs_disabled() -> bool:
    return bool(_current.entry().task.irqs_disabled)


__all__ = ["ALIGN", "ALIGN_DOWN", "ARRAY_SIZE", "BUILD_BUG_ON", "BUILD_BUG_ON_MSG",
           "BUILD_BUG_ON_ZERO", "DIV_ROUND_CLOSEST", "DIV_ROUND_UP", "ERR_CAST",
           "ERR_PTR", "INT_MAX", "INT_MIN", "IS_ALIGNED", "IS_ERR", "IS_ERR_OR_NULL",
           "KERNEL_VERSION", "LINUX_VERSION_CODE", "LINUX_VERSION_MAJOR",
           "LINUX_VERSION_PATCHLEVEL", "LINUX_VERSION_SUBLEVEL", "LLONG_MAX",
           "LLONG_MIN", "LONG_MAX", "LONG_MIN", "PAGE_MASK", "PAGE_SHIFT",
           "PAGE_SIZE", "PTR_ALIGN", "PTR_ERR", "PTR_ERR_OR_ZERO", "READ_ONCE",
           "S16_MAX", "S16_MIN", "S32_MAX", "S32_MIN", "S64_MAX", "S64_MIN", "S8_MAX",
           "S8_MIN", "SHRT_MAX", "SHRT_MIN", "SIZE_MAX", "SSIZE_MAX", "U16_MAX",
           "U32_MAX", "U64_MAX", "U8_MAX", "UINT_MAX", "ULLONG_MAX", "ULONG_MAX",
           "USHRT_MAX", "abs_diff", "barrier", "clamp", "clamp_t", "clamp_val",
           "cpu_relax", "get_current", "get_task_comm", "ilog2", "in_interrupt",
           "in_softirq", "in_task", "irqs_disabled", "is_power_of_2", "likely",
           "lower_32_bits", "max3", "max_t", "mb", "min3", "min_t", "order_base_2",
           "rmb", "round_down", "round_up", "rounddown", "rounddown_pow_of_two",
           "roundup", "roundup_pow_of_two", "smp_mb", "smp_rmb", "smp_wmb",
           "static_assert", "task_pid_nr", "task_tgid_nr", "unlikely",
           "upper_32_bits", "wmb"]
