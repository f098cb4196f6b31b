"""Strings to numbers as lib/kstrtox.c and lib/vsprintf.c convert them: kstrto*(),
kstrtobool() and the older simple_strto*().

C's `int kstrtoint(const char *s, unsigned int base, int *res)` returns 0 or -errno and
writes the number through `res`. The Python form returns both, C's return value first:
`err, val = kstrtoint(s, 0)` (README, "C <-> kmodsim": what C returns comes first, then
what it writes through pointers). On an error the value is 0 (C leaves *res untouched).

`s` is a C string: str and bytes are taken whole; a bytearray (or a kmalloc'd buffer) is read
up to its first NUL byte, as C reads a char array. The kstrto* functions accept exactly one
number and at most one trailing newline (what `echo 5 > /proc/x` writes), nothing else:
-EINVAL for anything that isn't a number, -ERANGE for one that doesn't fit the type.
"""

from __future__ import annotations

from collections.abc import Callable

from kmodsim.kernel.errno import EINVAL, ERANGE

KSTRTOX_OVERFLOW = 1 << 31
ULLONG_MAX = (1 << 64) - 1
INT_MAX = (1 << 31) - 1


def c_bytes(s: object) -> bytes:
    """The bytes of C string `s`, up to (not including) its NUL."""
    if isinstance(s, str):
        raw = s.encode("utf-8", "surrogateescape")
    elif isinstance(s, (bytes, bytearray, memoryview)):
        raw = bytes(s)
    else:
        raw = getattr(s, "kmod_bytes", None)
        if raw is None:
            raise TypeError(f"expected a string (str, bytes or bytearray), got "
                            f"{type(s).__name__}")
        raw = bytes(raw())
    nul = raw.find(b"\0")
    return raw if nul < 0 else raw[:nul]


def _fixup_radix(s: bytes, i: int, base: int) -> tuple[int, int]:
    """_parse_integer_fixup_radix(): base 0 becomes 16 (0x…), 8 (0…) or 10; a 0x before
    base-16 digits is skipped. Returns (index after any prefix, base)."""
    if base == 0:
        if s[i : i + 1] == b"0":
            digit = s[i + 2 : i + 3].lower()
            if s[i + 1 : i + 2].lower() == b"x" and digit and digit in b"0123456789abcdef":
                base = 16
            else:
                base = 8
        else:
            base = 10
    if base == 16 and s[i : i + 1] == b"0" and s[i + 1 : i + 2].lower() == b"x":
        i += 2
    return i, base


def _parse_integer(s: bytes, i: int, base: int, max_chars: int = INT_MAX) -> tuple[int, int]:
    """_parse_integer_limit(): (value mod 2**64, digits read | KSTRTOX_OVERFLOW)."""
    res = 0
    rv = 0
    n = len(s)
    while max_chars > 0 and i < n:
        max_chars -= 1
        c = s[i]
        lc = c | 0x20
        if 0x30 <= c <= 0x39:
            val = c - 0x30
        elif 0x61 <= lc <= 0x66:
            val = lc - 0x61 + 10
        else:
            break
        if val >= base:
            break
        if res & (ULLONG_MAX << 60 & ULLONG_MAX) and res > (ULLONG_MAX - val) // base:
            rv |= KSTRTOX_OVERFLOW
        res = (res * base + val) & ULLONG_MAX
        rv += 1
        i += 1
    return res, rv


def _kstrtoull(s: bytes, i: int, base: int) -> tuple[int, int]:
    i, base = _fixup_radix(s, i, base)
    res, rv = _parse_integer(s, i, base)
    if rv & KSTRTOX_OVERFLOW:
        return -ERANGE, 0
    if rv == 0:
        return -EINVAL, 0
    i += rv
    if s[i : i + 1] == b"\n":
        i += 1
    if i < len(s):
        return -EINVAL, 0
    return 0, res


def _check_base(base: int) -> int:
    base = int(base)
    if base < 0 or base == 1 or base > 16:
        raise ValueError(f"kstrto*: base {base}: use 0 (from the prefix), 8, 10 or 16")
    return base


def kstrtoull(s: object, base: int) -> tuple[int, int]:
    """(0 or -errno, the unsigned long long)."""
    raw = c_bytes(s)
    i = 1 if raw[:1] == b"+" else 0
    return _kstrtoull(raw, i, _check_base(base))


def kstrtoll(s: object, base: int) -> tuple[int, int]:
    """(0 or -errno, the long long)."""
    raw = c_bytes(s)
    base = _check_base(base)
    if raw[:1] == b"-":
        err, tmp = _kstrtoull(raw, 1, base)
        if err:
            return err, 0
        if tmp > 1 << 63:  # (long long)-tmp > 0
            return -ERANGE, 0
        return 0, -tmp
    err, tmp = kstrtoull(raw, base)
    if err:
        return err, 0
    if tmp >= 1 << 63:
        return -ERANGE, 0
    return 0, tmp


def _ranged(parse: Callable[[object, int], tuple[int, int]], lo: int, hi: int
            ) -> Callable[[object, int], tuple[int, int]]:
    def convert(s: object, base: int) -> tuple[int, int]:
        err, value = parse(s, base)
        if err:
            return err, 0
        if not lo <= value <= hi:
            return -ERANGE, 0
        return 0, value
    return convert


kstrtoul = kstrtoull
kstrtol = kstrtoll
kstrtou64 = kstrtoull
kstrtos64 = kstrtoll
kstrtouint = _ranged(kstrtoull, 0, (1 << 32) - 1)
kstrtoint = _ranged(kstrtoll, -(1 << 31), (1 << 31) - 1)
kstrtou32 = kstrtouint
kstrtos32 = kstrtoint
kstrtou16 = _ranged(kstrtoull, 0, (1 << 16) - 1)
kstrtos16 = _ranged(kstrtoll, -(1 << 15), (1 << 15) - 1)
kstrtou8 = _ranged(kstrtoull, 0, (1 << 8) - 1)
kstrtos8 = _ranged(kstrtoll, -(1 << 7), (1 << 7) - 1)
for _name, _fn in (("kstrtouint", kstrtouint), ("kstrtoint", kstrtoint),
                   ("kstrtou16", kstrtou16), ("kstrtos16", kstrtos16),
                   ("kstrtou8", kstrtou8), ("kstrtos8", kstrtos8)):
    _fn.__name__ = _fn.__qualname__ = _name
    _fn.__doc__ = f"(0 or -errno, the value): {_name} of lib/kstrtox.c."
del _name, _fn


def kstrtobool(s: object) -> tuple[int, bool]:
    """(0 or -EINVAL, the bool): y/Y/1, n/N/0, on/ON, off/OFF (the first one or two
    characters decide, as lib/kstrtox.c reads them)."""
    raw = c_bytes(s)
    first = raw[:1]
    if first in (b"y", b"Y", b"1", b"t", b"T"):
        return 0, True
    if first in (b"n", b"N", b"0", b"f", b"F"):
        return 0, False
    if first in (b"o", b"O"):
        second = raw[1:2].lower()
        if second == b"n":
            return 0, True
        if second == b"f":
            return 0, False
    return -EINVAL, False


# -- the old ones: lib/vsprintf.c ----------------------------------------------------------

def simple_strntoull(s: bytes, i: int, max_chars: int, base: int) -> tuple[int, int]:
    """(value, index where parsing stopped)."""
    start = i
    i, base = _fixup_radix(s, i, base)
    if i - start < max_chars:
        value, rv = _parse_integer(s, i, base, max_chars - (i - start))
        return value, i + (rv & ~KSTRTOX_OVERFLOW)
    return 0, start + max_chars


def simple_strntoll(s: bytes, i: int, max_chars: int, base: int) -> tuple[int, int]:
    if s[i : i + 1] == b"-" and max_chars > 0:
        value, end = simple_strntoull(s, i + 1, max_chars - 1, base)
        return (-value) & ULLONG_MAX, end
    return simple_strntoull(s, i, max_chars, base)


def _end(endp: object, end: int) -> None:
    """endp: NULL (None), or a box whose `.value` receives where parsing stopped (an
    index into the string), as `char **endp` receives a pointer."""
    if endp is not None:
        endp.value = end  # type: ignore[attr-defined]


def _signed(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


def simple_strtoull(cp: object, endp: object, base: int) -> int:
    """Parse a number at the start of `cp`, stopping at the first character that isn't a
    digit; no error is ever reported (use kstrtoull)."""
    value, end = simple_strntoull(c_bytes(cp), 0, INT_MAX, int(base))
    _end(endp, end)
    return value


simple_strtoul = simple_strtoull


def simple_strtoll(cp: object, endp: object, base: int) -> int:
    value, end = simple_strntoll(c_bytes(cp), 0, INT_MAX, int(base))
    _end(endp, end)
    return _signed(value)


def simple_strtol(cp: object, endp: object, base: int) -> int:
    raw = c_bytes(cp)
    if raw[:1] == b"-":
        value, end = simple_strntoull(raw, 1, INT_MAX, int(base))
        _end(endp, end)
        return _signed((-value) & ULLONG_MAX)
    value, end = simple_strntoull(raw, 0, INT_MAX, int(base))
    _end(endp, end)
    return _signed(value)


__all__ = ["kstrtobool", "kstrtoint", "kstrtol", "kstrtoll", "kstrtos16", "kstrtos32",
           "kstrtos64", "kstrtos8", "kstrtou16", "kstrtou32", "kstrtou64", "kstrtou8",
           "kstrtouint", "kstrtoul", "kstrtoull", "simple_strtol", "simple_strtoll",
           "simple_strtoul", "simple_strtoull"]
