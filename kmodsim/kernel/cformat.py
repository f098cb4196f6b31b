"""The kernel's vsnprintf, for the formats modules use: `%d %u %lu %zu %x %s %c %p %%` and friends.

Python's `%` operator knows no length modifiers and no unsigned wrap-around, so format
strings are walked conversion by conversion, as lib/vsprintf.c does.
"""

from __future__ import annotations

import re

_SPEC = re.compile(
    r"%(?P<flags>[-+ #0]*)(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?"
    r"(?P<length>hh|h|ll|l|L|q|j|z|Z|t)?(?P<conv>[diouxXcsp%eEfgGn])"
)
_BITS = {"hh": 8, "h": 16, None: 32, "l": 64, "ll": 64, "L": 64, "q": 64, "j": 64, "z": 64,
         "Z": 64, "t": 64}


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

    for m in _SPEC.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        conv = m["conv"]
        if conv == "%":
            out.append("%")
            continue
        flags = m["flags"]
        width = m["width"]
        prec = m["prec"]
        if width == "*":
            width = str(take())
        if prec == "*":
            prec = str(take())
        value = take()
        spec = "%" + flags + (width or "") + ("." + prec if prec is not None else "")
        if conv in "di":
            out.append((spec + "d") % int(value))  # type: ignore[call-overload]
        elif conv in "ouxX":
            number = int(value)  # type: ignore[call-overload]
            if number < 0:
                number &= (1 << _BITS[m["length"]]) - 1
            out.append((spec + ("d" if conv == "u" else conv)) % number)
        elif conv == "c":
            ch = chr(value) if isinstance(value, int) else _text(value)[:1]
            out.append((spec + "s") % ch)
        elif conv == "s":
            out.append((spec + "s") % _text(value))
        elif conv == "p":
            # %pS / %pK / %pI4 … : consume the extension letters the kernel uses
            ext = re.match(r"[A-Za-z]+", fmt[pos:])
            if ext and ext.group(0)[0] in "SsBFfKRrhbMmIiEUdDgGaCNV":
                pos += len(ext.group(0))
            out.append(_pointer(value))
        elif conv == "n":
            continue  # the kernel ignores %n
        else:  # floating point: the kernel has none, but be kind to learners
            out.append((spec + conv) % float(value))  # type: ignore[arg-type]
    out.append(fmt[pos:])
    return "".join(out)
