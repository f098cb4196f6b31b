"""The kernel's vsnprintf, for the formats modules use: `%d %u %lu %zu %x %s %c %p %%` and friends.

Python's `%` operator knows no length modifiers and no unsigned wrap-around, so format
strings are walked conversion by conversion, as lib/vsprintf.c does.
"""

from __future__ import annotations

_FLAGS = "-+ #0"
_LENGTHS = ("hh", "ll", "h", "l", "L", "q", "j", "z", "Z", "t")
_CONVERSIONS = "diouxXcsp%eEfgGn"
_BITS = {"hh": 8, "h": 16, "": 32, "l": 64, "ll": 64, "L": 64, "q": 64, "j": 64, "z": 64,
         "Z": 64, "t": 64}
_POINTER_EXT = "SsBFfKRrhbMmIiEUdDgGaCNV"


def _spec(fmt: str, i: int) -> tuple[str, str, str, str, str, int] | None:
    """Parse the conversion starting after the '%' at fmt[i-1]: (flags, width, precision,
    length, conversion, end) or None when it is not one (printed as is, as vsnprintf does)."""
    n = len(fmt)
    j = i
    while j < n and fmt[j] in _FLAGS:
        j += 1
    flags = fmt[i:j]
    k = j
    if k < n and fmt[k] == "*":
        k += 1
    else:
        while k < n and fmt[k].isdigit():
            k += 1
    width = fmt[j:k]
    prec = ""
    if k < n and fmt[k] == ".":
        m = k + 1
        if m < n and fmt[m] == "*":
            m += 1
        else:
            while m < n and fmt[m].isdigit():
                m += 1
        prec, k = fmt[k + 1 : m], m
    length = next((ln for ln in _LENGTHS if fmt.startswith(ln, k)), "")
    k += len(length)
    if k >= n or fmt[k] not in _CONVERSIONS:
        return None
    return flags, width, prec, length, fmt[k], k + 1


def _text(value: object) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        nul = raw.find(b"\0")  # C strings end at the first NUL
        return (raw if nul < 0 else raw[:nul]).decode("utf-8", "surrogateescape")
    if value is None:
        return "(null)"
    return str(value)


def _pointer(value: object) -> str:
    # %p prints a hashed value in current kernels, never the real address
    return "%016x" % ((id(value) * 0x9E3779B97F4A7C15) & 0xFFFFFFFF)


def format_c(fmt: str, args: tuple) -> str:
    """Format like printk: consumes `args` in order; raises TypeError when they run out."""
    if "%" not in fmt:
        return fmt
    out: list[str] = []
    pos = 0
    it = iter(args)

    def take() -> object:
        try:
            return next(it)
        except StopIteration:
            raise TypeError(f"printk format {fmt!r}: not enough arguments") from None

    while True:
        at = fmt.find("%", pos)
        if at < 0:
            break
        parsed = _spec(fmt, at + 1)
        if parsed is None:
            out.append(fmt[pos : at + 1])
            pos = at + 1
            continue
        flags, width, prec, length, conv, end = parsed
        out.append(fmt[pos:at])
        pos = end
        if conv == "%":
            out.append("%")
            continue
        if width == "*":
            width = str(take())
        if prec == "*":
            prec = str(take())
        value = take()
        spec = "%" + flags + width + ("." + prec if prec else "")
        if conv in "di":
            out.append((spec + "d") % int(value))  # type: ignore[call-overload]
        elif conv in "ouxX":
            number = int(value)  # type: ignore[call-overload]
            if number < 0:
                number &= (1 << _BITS[length]) - 1
            out.append((spec + ("d" if conv == "u" else conv)) % number)
        elif conv == "c":
            ch = chr(value) if isinstance(value, int) else _text(value)[:1]
            out.append((spec + "s") % ch)
        elif conv == "s":
            out.append((spec + "s") % _text(value))
        elif conv == "p":
            # %pS, %pK, %pI4 …: the kernel's pointer extensions are part of the conversion
            if pos < len(fmt) and fmt[pos] in _POINTER_EXT:
                pos += 1
                while pos < len(fmt) and fmt[pos].isdigit():
                    pos += 1
            out.append(_pointer(value))
        elif conv == "n":
            continue  # the kernel ignores %n
        else:  # floating point: the kernel has none, but be kind to learners
            out.append((spec + conv) % float(value))  # type: ignore[arg-type]
    out.append(fmt[pos:])
    return "".join(out)
