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


MAX_ERRNO = 4095
DIRECT_MAP = 0xFFFF888000000000  # where objects that have no kmalloc address are said to be
TEXT_BASE = 0xFFFFFFFFC0000000  # the module area: functions


def address_of(value: object) -> int:
    """The address a pointer holds, as the kernel would print it with %px: 0 for NULL, an
    int as it is (an error pointer, a value cast to a pointer), a kmalloc'd buffer's or
    object's allocation address, and for anything else a stable address of its own."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value & 0xFFFFFFFFFFFFFFFF
    addr = getattr(value, "kmod_addr", None)
    if callable(addr):
        return int(addr())
    info = getattr(value, "__dict__", None)
    if isinstance(info, dict) and isinstance(info.get("addr"), int):
        return info["addr"]
    mem = info.get("__kmem__") if isinstance(info, dict) else None
    if mem is not None:  # an object of the module's, on memory kmalloc gave it
        return address_of(mem)
    if callable(value) and hasattr(value, "__code__"):
        return TEXT_BASE + (_hash(id(value.__code__)) & 0xFFFF0)
    return DIRECT_MAP + (_hash(id(value)) & 0x0FFFFFF8)


def _hash(n: int) -> int:
    """A stand-in for the kernel's siphash of a pointer with the boot's key: 32 bits."""
    return ((n * 0x9E3779B97F4A7C15) >> 17) & 0xFFFFFFFF


def _is_err(addr: int) -> bool:
    return addr >= (1 << 64) - MAX_ERRNO


def _padded(number: int, flags: str, width: str) -> str:
    """pointer_string(): 16 zero-padded hex digits, unless a width was given."""
    if not width:
        return f"{number:016x}"
    return ("%-*x" if "-" in flags else "%*x") % (int(width), number)


def _errname(addr: int) -> str:
    from kmodsim.kernel import errno

    err = (1 << 64) - addr
    for name, value in vars(errno).items():
        if name.startswith("E") and value == err and name not in ("EWOULDBLOCK",):
            return f"-{name}"
    return f"-{err}"


def _symbol(value: object, short: bool) -> str:
    """%pS (`fn+0x0/0x90 [module]`) and %ps (`fn [module]`) of a function."""
    code = getattr(value, "__code__", None)
    name = getattr(value, "__name__", None)
    if code is None or not isinstance(name, str):
        return f"0x{address_of(value):x}"
    module = getattr(value, "__module__", "") or ""
    owner = f" [{module.rsplit('.', 1)[-1]}]" if module.startswith("kmodsim.live.") else ""
    if short:
        return f"{name}{owner}"
    lines = [ln for _, _, ln in code.co_lines() if ln is not None] or [code.co_firstlineno]
    size = max(0x20, (max(lines) - min(lines + [code.co_firstlineno]) + 2) * 0x10)
    return f"{name}+0x0/0x{size:x}{owner}"


def _pointer(value: object, ext: str = "", flags: str = "", width: str = "") -> str:
    """%p and its extensions (lib/vsprintf.c pointer()): %p hashes the address, as current
    kernels do (NULL and error pointers print as they are), %px prints it raw, %pS/%ps name
    a function, %pe an error pointer's errno."""
    addr = address_of(value)
    kind = ext[:1]
    if kind in ("S", "s", "B") and addr and not _is_err(addr):
        return _symbol(value, kind == "s")
    if kind == "e" and _is_err(addr):
        return _errname(addr)
    if kind == "x" or not addr or _is_err(addr):
        return _padded(addr, flags, width)
    return _padded(_hash(addr), flags, width)


# A conversion, parsed: (flags, width, precision, length, conversion, %p's extension)
_Spec = tuple[str, str, str, str, str, str]
_COMPILED: dict[str, tuple[tuple[str, _Spec | None], ...]] = {}


def _compile(fmt: str) -> tuple[tuple[str, _Spec | None], ...]:
    """The format as (literal text, conversion after it or None) pairs; parsed once per
    format string, since a module prints the same few formats again and again."""
    pieces: list[tuple[str, _Spec | None]] = []
    pos = 0
    literal = ""
    while True:
        at = fmt.find("%", pos)
        if at < 0:
            break
        parsed = _spec(fmt, at + 1)
        if parsed is None:  # not a conversion: printed as is
            literal += fmt[pos : at + 1]
            pos = at + 1
            continue
        flags, width, prec, length, conv, end = parsed
        literal += fmt[pos:at]
        pos = end
        if conv == "%":
            literal += "%"
            continue
        ext = ""
        if conv == "p":
            # %pS, %px, %pI4 …: every letter and digit after %p is the pointer's extension
            while pos < len(fmt) and fmt[pos].isalnum() and fmt[pos].isascii():
                pos += 1
            ext = fmt[end:pos]
        pieces.append((literal, (flags, width, prec, length, conv, ext)))
        literal = ""
    pieces.append((literal + fmt[pos:], None))
    if len(_COMPILED) >= 4096:  # formats built at run time: keep it bounded
        _COMPILED.clear()
    compiled = _COMPILED[fmt] = tuple(pieces)
    return compiled


def format_c(fmt: str, args: tuple) -> str:
    """Format like printk: consumes `args` in order; raises TypeError when they run out."""
    if "%" not in fmt:
        return fmt
    pieces = _COMPILED.get(fmt) or _compile(fmt)
    out: list[str] = []
    taken = 0
    for literal, parsed in pieces:
        out.append(literal)
        if parsed is None:
            break
        flags, width, prec, length, conv, ext = parsed
        if taken + 1 + (width == "*") + (prec == "*") > len(args):
            raise TypeError(f"printk format {fmt!r}: not enough arguments")
        if width == "*":
            width = str(args[taken])
            taken += 1
        if prec == "*":
            prec = str(args[taken])
            taken += 1
        value = args[taken]
        taken += 1
        if conv == "n":
            continue  # the kernel ignores %n
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
            out.append(_pointer(value, ext, flags, width))
        else:  # floating point: the kernel has none, but be kind to learners
            out.append((spec + conv) % float(value))  # type: ignore[arg-type]
    return "".join(out)
