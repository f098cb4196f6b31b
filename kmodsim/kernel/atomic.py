"""Atomic counters (include/linux/atomic.h), refcount_t (include/linux/refcount.h,
lib/refcount.c) and kref (include/linux/kref.h).

`static atomic_t hits = ATOMIC_INIT(0);` is `hits = ATOMIC_INIT(0)`, and
`atomic_inc(&hits)` is `atomic_inc(hits)`. An atomic_t is 32 bits and wraps around as C's
does (atomic_inc from INT_MAX gives INT_MIN); an atomic64_t is 64 bits. Every operation is
one step no other task can come between (a command runs until it sleeps, so they are atomic
by construction), which is what makes them the right tool for counters several tasks update.

A refcount_t refuses to wrap: an increment past INT_MAX or from 0, or a decrement below 0,
leaves it saturated (REFCOUNT_SATURATED) and WARNs once per boot, as lib/refcount.c does:
`refcount_t: saturated; leaking memory.`, `refcount_t: addition on 0; use-after-free.`,
`refcount_t: underflow; use-after-free.`, `refcount_t: decrement hit 0; leaking memory.`
"""

from __future__ import annotations

from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel._current import State
from kmodsim.kernel.ctype import wrap
from kmodsim.kernel.panic import warn
from kmodsim.kernel.structmem import Embedded

INT_MAX = (1 << 31) - 1
INT_MIN = -(1 << 31)


class atomic_t(Embedded):
    """atomic_t: a 32-bit counter. Read it with atomic_read(); `counter` is its value."""

    __slots__ = ("counter",)
    __ksize__ = 4
    BITS = 32

    def __init__(self, i: int = 0) -> None:
        super().__init__()
        self.counter = wrap(int(i), self.BITS, True)

    def _set(self, value: int) -> int:
        self.counter = wrap(int(value), self.BITS, True)
        return self.counter

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.counter})"

    def __getstate__(self) -> tuple:
        return (self._owner, self.counter)

    def __setstate__(self, state: tuple) -> None:
        self._owner, self.counter = state


class atomic64_t(atomic_t):
    """atomic64_t: a 64-bit counter."""

    __slots__ = ()
    __ksize__ = 8
    BITS = 64


class atomic_long_t(atomic64_t):
    __slots__ = ()


def ATOMIC_INIT(i: int) -> atomic_t:
    """`static atomic_t v = ATOMIC_INIT(5);` is `v = ATOMIC_INIT(5)`."""
    return atomic_t(i)


def ATOMIC64_INIT(i: int) -> atomic64_t:
    return atomic64_t(i)


def ATOMIC_LONG_INIT(i: int) -> atomic_long_t:
    return atomic_long_t(i)


def _ops(prefix: str, cls: type[atomic_t]) -> dict[str, Callable]:
    """The atomic_*() family for one type: prefix is atomic, atomic64 or atomic_long."""

    def read(v: atomic_t) -> int:
        return v.counter

    def set_(v: atomic_t, i: int) -> None:
        v._set(i)

    def add(i: int, v: atomic_t) -> None:
        v._set(v.counter + int(i))

    def sub(i: int, v: atomic_t) -> None:
        v._set(v.counter - int(i))

    def inc(v: atomic_t) -> None:
        v._set(v.counter + 1)

    def dec(v: atomic_t) -> None:
        v._set(v.counter - 1)

    def add_return(i: int, v: atomic_t) -> int:
        return v._set(v.counter + int(i))

    def sub_return(i: int, v: atomic_t) -> int:
        return v._set(v.counter - int(i))

    def inc_return(v: atomic_t) -> int:
        return v._set(v.counter + 1)

    def dec_return(v: atomic_t) -> int:
        return v._set(v.counter - 1)

    def fetch_add(i: int, v: atomic_t) -> int:
        old = v.counter
        v._set(old + int(i))
        return old

    def fetch_sub(i: int, v: atomic_t) -> int:
        old = v.counter
        v._set(old - int(i))
        return old

    def fetch_inc(v: atomic_t) -> int:
        return fetch_add(1, v)

    def fetch_dec(v: atomic_t) -> int:
        return fetch_sub(1, v)

    def fetch_and(i: int, v: atomic_t) -> int:
        old = v.counter
        v._set(old & int(i))
        return old

    def fetch_or(i: int, v: atomic_t) -> int:
        old = v.counter
        v._set(old | int(i))
        return old

    def fetch_xor(i: int, v: atomic_t) -> int:
        old = v.counter
        v._set(old ^ int(i))
        return old

    def and_(i: int, v: atomic_t) -> None:
        fetch_and(i, v)

    def or_(i: int, v: atomic_t) -> None:
        fetch_or(i, v)

    def xor(i: int, v: atomic_t) -> None:
        fetch_xor(i, v)

    def andnot(i: int, v: atomic_t) -> None:
        v._set(v.counter & ~int(i))

    def inc_and_test(v: atomic_t) -> bool:
        return v._set(v.counter + 1) == 0

    def dec_and_test(v: atomic_t) -> bool:
        return v._set(v.counter - 1) == 0

    def sub_and_test(i: int, v: atomic_t) -> bool:
        return v._set(v.counter - int(i)) == 0

    def add_negative(i: int, v: atomic_t) -> bool:
        return v._set(v.counter + int(i)) < 0

    def xchg(v: atomic_t, new: int) -> int:
        old = v.counter
        v._set(new)
        return old

    def cmpxchg(v: atomic_t, old: int, new: int) -> int:
        """Set to `new` if it is `old`; returns what it was (so `== old` means it was set)."""
        cur = v.counter
        if cur == wrap(int(old), v.BITS, True):
            v._set(new)
        return cur

    def try_cmpxchg(v: atomic_t, old: int, new: int) -> tuple[bool, int]:
        """C's `ok = atomic_try_cmpxchg(v, &old, new)`: `ok, old = atomic_try_cmpxchg(v, old,
        new)` (on failure `old` is the value found)."""
        cur = cmpxchg(v, old, new)
        return cur == wrap(int(old), v.BITS, True), cur

    def add_unless(v: atomic_t, a: int, u: int) -> bool:
        if v.counter == wrap(int(u), v.BITS, True):
            return False
        v._set(v.counter + int(a))
        return True

    def fetch_add_unless(v: atomic_t, a: int, u: int) -> int:
        old = v.counter
        add_unless(v, a, u)
        return old

    def inc_not_zero(v: atomic_t) -> bool:
        return add_unless(v, 1, 0)

    def dec_if_positive(v: atomic_t) -> int:
        new = v.counter - 1
        if new >= 0:
            v._set(new)
        return new

    def dec_unless_positive(v: atomic_t) -> bool:
        if v.counter > 0:
            return False
        v._set(v.counter - 1)
        return True

    def inc_unless_negative(v: atomic_t) -> bool:
        if v.counter < 0:
            return False
        v._set(v.counter + 1)
        return True

    table = {"read": read, "set": set_, "add": add, "sub": sub, "inc": inc, "dec": dec,
             "add_return": add_return, "sub_return": sub_return, "inc_return": inc_return,
             "dec_return": dec_return, "fetch_add": fetch_add, "fetch_sub": fetch_sub,
             "fetch_inc": fetch_inc, "fetch_dec": fetch_dec, "fetch_and": fetch_and,
             "fetch_or": fetch_or, "fetch_xor": fetch_xor, "and": and_, "or": or_,
             "xor": xor, "andnot": andnot, "inc_and_test": inc_and_test,
             "dec_and_test": dec_and_test, "sub_and_test": sub_and_test,
             "add_negative": add_negative, "xchg": xchg, "cmpxchg": cmpxchg,
             "try_cmpxchg": try_cmpxchg, "add_unless": add_unless,
             "fetch_add_unless": fetch_add_unless, "inc_not_zero": inc_not_zero,
             "dec_if_positive": dec_if_positive, "dec_unless_positive": dec_unless_positive,
             "inc_unless_negative": inc_unless_negative}
    out = {}
    for op, fn in table.items():
        name = f"{prefix}_{op}"
        fn.__name__ = fn.__qualname__ = name
        fn.__module__ = __name__
        out[name] = fn
    return out


_ATOMIC = _ops("atomic", atomic_t)
_ATOMIC64 = _ops("atomic64", atomic64_t)
_ATOMIC_LONG = _ops("atomic_long", atomic_long_t)
globals().update(_ATOMIC)
globals().update(_ATOMIC64)
globals().update(_ATOMIC_LONG)
ATOMIC_NAMES = sorted([*_ATOMIC, *_ATOMIC64, *_ATOMIC_LONG])


# -- refcount_t ------------------------------------------------------------------------------

REFCOUNT_MAX = INT_MAX
REFCOUNT_SATURATED = INT_MIN // 2
# refcount_warn_saturate(): the WARN of each event, at its line of lib/refcount.c (6.1)
_SATURATION = {
    "add_not_zero_ovf": ("saturated; leaking memory", 19, "0x2c"),
    "add_ovf": ("saturated; leaking memory", 22, "0x51"),
    "add_uaf": ("addition on 0; use-after-free", 25, "0x97"),
    "sub_uaf": ("underflow; use-after-free", 28, "0xba"),
    "dec_leak": ("decrement hit 0; leaking memory", 31, "0xfb"),
}


class RefcountState(State):
    """Which of refcount_warn_saturate()'s WARN_ONCE()s have fired this boot."""

    PREFIX = "refcount"


class refcount_t(Embedded):
    """refcount_t: a reference count that saturates instead of wrapping."""

    __slots__ = ("refs",)
    __ksize__ = 4

    def __init__(self, n: int = 0) -> None:
        super().__init__()
        self.refs = atomic_t(n)

    def __repr__(self) -> str:
        return f"refcount_t({self.refs.counter})"

    def __getstate__(self) -> tuple:
        return (self._owner, self.refs)

    def __setstate__(self, state: tuple) -> None:
        self._owner, self.refs = state


def REFCOUNT_INIT(n: int) -> refcount_t:
    return refcount_t(n)


def refcount_warn_saturate(r: refcount_t, event: str) -> None:
    r.refs._set(REFCOUNT_SATURATED)
    text, line, offset = _SATURATION[event]
    k = _current.entry()
    state = k.state(RefcountState)
    if state.var(str(line)):
        return  # WARN_ONCE: once per boot
    state.set_var(str(line), 1)
    warn(k, _current.module(), f"lib/refcount.c:{line} refcount_warn_saturate+{offset}/0x110",
         f"refcount_t: {text}.")


def refcount_set(r: refcount_t, n: int) -> None:
    r.refs._set(n)


def refcount_read(r: refcount_t) -> int:
    return r.refs.counter


def refcount_add_not_zero(i: int, r: refcount_t) -> bool:
    old = r.refs.counter
    if old:
        r.refs._set(old + int(i))
    if old < 0 or old + int(i) < 0 or old + int(i) > INT_MAX:
        refcount_warn_saturate(r, "add_not_zero_ovf")
    return bool(old)


def refcount_inc_not_zero(r: refcount_t) -> bool:
    """Take a reference unless the count is 0 (the object is on its way out)."""
    return refcount_add_not_zero(1, r)


def refcount_add(i: int, r: refcount_t) -> None:
    old = r.refs.counter
    r.refs._set(old + int(i))
    if not old:
        refcount_warn_saturate(r, "add_uaf")
    elif old < 0 or old + int(i) < 0 or old + int(i) > INT_MAX:
        refcount_warn_saturate(r, "add_ovf")


def refcount_inc(r: refcount_t) -> None:
    refcount_add(1, r)


def refcount_sub_and_test(i: int, r: refcount_t) -> bool:
    old = r.refs.counter
    r.refs._set(old - int(i))
    if old == int(i):
        return True
    if old < 0 or old - int(i) < 0:
        refcount_warn_saturate(r, "sub_uaf")
    return False


def refcount_dec_and_test(r: refcount_t) -> bool:
    """Drop a reference; True when it was the last (free the object then)."""
    return refcount_sub_and_test(1, r)


def refcount_dec(r: refcount_t) -> None:
    """Drop a reference that can't be the last (one that is: `decrement hit 0`)."""
    old = r.refs.counter
    r.refs._set(old - 1)
    if old <= 1:
        refcount_warn_saturate(r, "dec_leak")


def refcount_dec_if_one(r: refcount_t) -> bool:
    if r.refs.counter == 1:
        r.refs._set(0)
        return True
    return False


def refcount_dec_not_one(r: refcount_t) -> bool:
    val = r.refs.counter
    if val == REFCOUNT_SATURATED:
        return True
    if val == 1:
        return False
    if val == 0:
        refcount_warn_saturate(r, "sub_uaf")  # lib/refcount.c: WARN_ONCE(new > val, ...)
        return True
    r.refs._set(val - 1)
    return True


# -- kref ------------------------------------------------------------------------------------

class kref(Embedded):
    """struct kref: a refcount_t and the release callback discipline around it."""

    __slots__ = ("refcount",)
    __ksize__ = 4

    def __init__(self) -> None:
        super().__init__()
        self.refcount = refcount_t(1)

    def __getstate__(self) -> tuple:
        return (self._owner, self.refcount)

    def __setstate__(self, state: tuple) -> None:
        self._owner, self.refcount = state

    def __repr__(self) -> str:
        return f"kref({self.refcount.refs.counter})"


def kref_init(k: kref) -> None:
    refcount_set(k.refcount, 1)


def KREF_INIT(n: int) -> kref:
    obj = kref()
    refcount_set(obj.refcount, n)
    return obj


def kref_read(k: kref) -> int:
    return refcount_read(k.refcount)


def kref_get(k: kref) -> None:
    refcount_inc(k.refcount)


def kref_get_unless_zero(k: kref) -> bool:
    return refcount_inc_not_zero(k.refcount)


def kref_put(k: kref, release: Callable[[kref], None]) -> int:
    """Drop a reference; at the last one call `release(k)` (which finds its object with
    container_of(k, T, "field") and frees it) and return 1, else 0."""
    if refcount_dec_and_test(k.refcount):
        release(k)
        return 1
    return 0


__all__ = ["ATOMIC64_INIT", "ATOMIC_INIT", "ATOMIC_LONG_INIT", "KREF_INIT", "REFCOUNT_INIT",
           "REFCOUNT_MAX", "REFCOUNT_SATURATED", "atomic64_t", "atomic_long_t", "atomic_t",
           "kref", "kref_get", "kref_get_unless_zero", "kref_init", "kref_put", "kref_read",
           "refcount_add", "refcount_add_not_zero", "refcount_dec", "refcount_dec_and_test",
           "refcount_dec_if_one", "refcount_dec_not_one", "refcount_inc",
           "refcount_inc_not_zero", "refcount_read", "refcount_set", "refcount_sub_and_test",
           "refcount_t", *ATOMIC_NAMES]
