"""C strings and memory (include/linux/string.h, lib/string.c, linux/ctype.h) and the
sprintf family (lib/vsprintf.c).

Strings come as module code holds them: `str` and `bytes` are string literals (read whole),
a `bytearray` or a kmalloc'd `KernelBuffer` is a char array (read up to its first NUL byte,
written in place). A function C gives a destination buffer (strcpy, memcpy, sprintf…) writes
into a bytearray or KernelBuffer and returns what C returns. Reading a char array that has no
NUL, or writing past its end, is an out-of-bounds access: KASAN's report, as in C.

A `char *` C returns that points into its argument (strchr, strstr, strim…) comes back as a
view of the same memory (a memoryview) when the argument is a buffer, or as a slice of a
str/bytes argument; NULL is None. Where C also writes through a pointer argument (strsep's
`char **`, sscanf's `&x`), the Python form returns what C returns first, then those values:
`tok, rest = strsep(rest, ",")`, `n, a, b = sscanf(buf, "%d %d")` (README, "C <-> kmodsim").
"""

from __future__ import annotations

from kmodsim.kernel import _current
from kmodsim.kernel.cformat import format_c
from kmodsim.kernel.debug.kasan import KasanFault
from kmodsim.kernel.errno import E2BIG
from kmodsim.kernel.kstrtox import INT_MAX, c_bytes, simple_strntoll, simple_strntoull

_SPACE = b" \t\n\v\f\r"

# -- memory access, checked as KASAN checks it ---------------------------------------------


def _memory(buf: object) -> bytearray | memoryview | bytes:
    raw = getattr(buf, "kmod_bytes", None)  # a KernelBuffer
    if raw is not None:
        return raw()
    if isinstance(buf, str):
        return buf.encode("utf-8", "surrogateescape")
    if isinstance(buf, (bytes, bytearray, memoryview)):
        return buf
    raise TypeError(f"expected a string or a buffer (str, bytes, bytearray), got "
                    f"{type(buf).__name__}")


def _fault(buf: object, size: int, access: str, offset: int, via: str) -> KasanFault:
    """KASAN's report of a bad access to `buf` (as uaccess.bad_kernel_length classifies it)."""
    info = getattr(buf, "__dict__", {})
    if info.get("freed"):
        return KasanFault("slab-use-after-free", access, size, buf, offset, via)
    lm = _current.module()
    if "addr" in info:
        kind = "slab-out-of-bounds"
    elif lm is not None and any(v is buf for v in lm.ns.values()):
        kind = "global-out-of-bounds"
    else:
        kind = "stack-out-of-bounds"
    return KasanFault(kind, access, size, buf, offset, via)


def _live(buf: object, access: str, via: str) -> None:
    if getattr(buf, "__dict__", {}).get("freed"):
        raise _fault(buf, 1, access, 0, via)


def _cstr(s: object, via: str, limit: int | None = None) -> bytes:
    """The C string at `s`: a literal whole, a char array up to its NUL. A char array with
    no NUL (within `limit` bytes, if given) is read past its end: KASAN."""
    if isinstance(s, (str, bytes)):
        raw = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s
        nul = raw.find(b"\0")
        out = raw if nul < 0 else raw[:nul]
        return out if limit is None else out[:limit]
    _live(s, "read", via)
    mem = _memory(s)
    end = len(mem) if limit is None else min(len(mem), limit)
    data = bytes(mem[:end])
    nul = data.find(b"\0")
    if nul >= 0:
        return data[:nul]
    if limit is not None and limit <= len(mem):
        return data
    raise _fault(s, 1, "read", len(mem), via)


def _writable(dst: object, via: str) -> bytearray | memoryview:
    if isinstance(dst, (str, bytes)):
        raise TypeError(f"{via}: the destination must be writable memory: a bytearray(n) or "
                        f"a kmalloc'd buffer, not a {type(dst).__name__}")
    _live(dst, "write", via)
    mem = _memory(dst)
    if isinstance(mem, memoryview) and mem.readonly:
        raise TypeError(f"{via}: the destination is read-only memory")
    return mem  # type: ignore[return-value]


def _store(dst: object, offset: int, data: bytes, via: str) -> None:
    """Write `data` at `dst[offset:]`, as far as the memory goes, then report the overflow."""
    mem = _writable(dst, via)
    n = len(data)
    room = len(mem) - offset
    if n > room:
        raise _fault(dst, n, "write", offset, via)
    if n:
        if isinstance(mem, bytearray):
            bytearray.__setitem__(mem, slice(offset, offset + n), data)
        else:
            mem[offset : offset + n] = data


def _view(s: object, offset: int) -> object:
    """A pointer `s + offset` into C string `s`, as module code gets it back."""
    if isinstance(s, str):
        return s.encode("utf-8", "surrogateescape")[offset:].decode("utf-8", "surrogateescape")
    if isinstance(s, bytes):
        return s[offset:]
    return memoryview(_memory(s))[offset:]


def _char(c: object) -> int:
    if isinstance(c, int):
        return c & 0xFF
    raw = c.encode() if isinstance(c, str) else bytes(c)  # type: ignore[arg-type]
    if len(raw) != 1:
        raise TypeError(f"expected one character, got {c!r}")
    return raw[0]


# -- string.h --------------------------------------------------------------------------------


def strlen(s: object) -> int:
    return len(_cstr(s, "strlen"))


def strnlen(s: object, count: int) -> int:
    return len(_cstr(s, "strnlen", int(count)))


def strcpy(dst: object, src: object) -> object:
    """Copy src and its NUL into dst; returns dst."""
    _store(dst, 0, _cstr(src, "strcpy") + b"\0", "strcpy")
    return dst


def strncpy(dst: object, src: object, count: int) -> object:
    """Copy at most `count` bytes of src, padding with NULs to `count`; no NUL is added
    when src is `count` bytes or longer (as C's strncpy)."""
    count = int(count)
    data = _cstr(src, "strncpy", count)[:count]
    _store(dst, 0, data + b"\0" * (count - len(data)), "strncpy")
    return dst


def strscpy(dst: object, src: object, count: int) -> int:
    """Copy src into dst (`count` bytes big) with its NUL: the length copied, or -E2BIG when
    src didn't fit (dst then holds as much as fit, NUL-terminated)."""
    count = int(count)
    if count <= 0:
        return -E2BIG
    data = _cstr(src, "strscpy", count)
    if len(data) >= count:
        _store(dst, 0, data[: count - 1] + b"\0", "strscpy")
        return -E2BIG
    _store(dst, 0, data + b"\0", "strscpy")
    return len(data)


def strlcpy(dst: object, src: object, size: int) -> int:
    """Copy with truncation; returns strlen(src) (prefer strscpy)."""
    data = _cstr(src, "strlcpy")
    size = int(size)
    if size:
        n = min(len(data), size - 1)
        _store(dst, 0, data[:n] + b"\0", "strlcpy")
    return len(data)


def strcat(dst: object, src: object) -> object:
    """Append src (and a NUL) after dst's string; returns dst."""
    start = len(_cstr(dst, "strcat"))
    _store(dst, start, _cstr(src, "strcat") + b"\0", "strcat")
    return dst


def strncat(dst: object, src: object, count: int) -> object:
    start = len(_cstr(dst, "strncat"))
    _store(dst, start, _cstr(src, "strncat", int(count))[: int(count)] + b"\0", "strncat")
    return dst


def strlcat(dst: object, src: object, count: int) -> int:
    count = int(count)
    start = len(_cstr(dst, "strlcat", count))
    data = _cstr(src, "strlcat")
    if start < count:
        n = min(len(data), count - start - 1)
        _store(dst, start, data[:n] + b"\0", "strlcat")
    return start + len(data)


def strcmp(a: object, b: object) -> int:
    """0 when equal, else -1 or 1 (lib/string.c's strcmp)."""
    x, y = _cstr(a, "strcmp"), _cstr(b, "strcmp")
    return 0 if x == y else (-1 if x < y else 1)


def strncmp(a: object, b: object, count: int) -> int:
    count = int(count)
    x, y = _cstr(a, "strncmp", count)[:count], _cstr(b, "strncmp", count)[:count]
    return 0 if x == y else (-1 if x < y else 1)


def _casecmp(x: bytes, y: bytes) -> int:
    for i in range(max(len(x), len(y)) + 1):
        c1 = x[i] if i < len(x) else 0
        c2 = y[i] if i < len(y) else 0
        c1, c2 = _lower(c1), _lower(c2)
        if c1 != c2 or c1 == 0:
            return c1 - c2
    return 0


def strcasecmp(a: object, b: object) -> int:
    return _casecmp(_cstr(a, "strcasecmp"), _cstr(b, "strcasecmp"))


def strncasecmp(a: object, b: object, count: int) -> int:
    count = int(count)
    return _casecmp(_cstr(a, "strncasecmp", count)[:count], _cstr(b, "strncasecmp", count)[:count])


def strchr(s: object, c: object) -> object:
    """A pointer to the first `c` in s (None if there is none); strchr(s, 0) finds the NUL."""
    data = _cstr(s, "strchr")
    ch = _char(c)
    i = len(data) if ch == 0 else data.find(bytes([ch]))
    return None if i < 0 else _view(s, i)


def strrchr(s: object, c: object) -> object:
    data = _cstr(s, "strrchr")
    ch = _char(c)
    i = len(data) if ch == 0 else data.rfind(bytes([ch]))
    return None if i < 0 else _view(s, i)


def strnchr(s: object, count: int, c: object) -> object:
    data = _cstr(s, "strnchr", int(count))[: int(count)]
    i = data.find(bytes([_char(c)]))
    return None if i < 0 else _view(s, i)


def strstr(haystack: object, needle: object) -> object:
    i = _cstr(haystack, "strstr").find(_cstr(needle, "strstr"))
    return None if i < 0 else _view(haystack, i)


def strnstr(haystack: object, needle: object, length: int) -> object:
    i = _cstr(haystack, "strnstr", int(length))[: int(length)].find(_cstr(needle, "strnstr"))
    return None if i < 0 else _view(haystack, i)


def strpbrk(s: object, accept: object) -> object:
    data, chars = _cstr(s, "strpbrk"), _cstr(accept, "strpbrk")
    for i, b in enumerate(data):
        if b in chars:
            return _view(s, i)
    return None


def strspn(s: object, accept: object) -> int:
    data, chars = _cstr(s, "strspn"), _cstr(accept, "strspn")
    n = 0
    while n < len(data) and data[n] in chars:
        n += 1
    return n


def strcspn(s: object, reject: object) -> int:
    data, chars = _cstr(s, "strcspn"), _cstr(reject, "strcspn")
    n = 0
    while n < len(data) and data[n] not in chars:
        n += 1
    return n


def strsep(s: object, delim: object) -> tuple[object, object]:
    """C's `tok = strsep(&s, delim)`: `tok, s = strsep(s, delim)`. The token ends at the
    first delimiter, which a buffer gets a NUL written over; `s` moves past it, and is None
    after the last token (and the token None once `s` is None)."""
    if s is None:
        return None, None
    data = _cstr(s, "strsep")
    chars = _cstr(delim, "strsep")
    end = next((i for i, b in enumerate(data) if b in chars), -1)
    if end < 0:
        return _view(s, 0) if not isinstance(s, (str, bytes)) else s, None
    if isinstance(s, (str, bytes)):
        raw = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s
        tok, rest = raw[:end], raw[end + 1 :]
        if isinstance(s, str):
            return tok.decode("utf-8", "surrogateescape"), rest.decode("utf-8", "surrogateescape")
        return tok, rest
    _store(s, end, b"\0", "strsep")
    return _view(s, 0), _view(s, end + 1)


def skip_spaces(s: object) -> object:
    data = _cstr(s, "skip_spaces")
    i = 0
    while i < len(data) and data[i] in _SPACE:
        i += 1
    return _view(s, i)


def strim(s: object) -> object:
    """Strip whitespace at both ends: a buffer gets a NUL after its last non-space and the
    result points at its first non-space; a str or bytes comes back stripped."""
    data = _cstr(s, "strim")
    end = len(data)
    while end and data[end - 1] in _SPACE:
        end -= 1
    start = 0
    while start < end and data[start] in _SPACE:
        start += 1
    if isinstance(s, str):
        return data[start:end].decode("utf-8", "surrogateescape")
    if isinstance(s, bytes):
        return data[start:end]
    if end < len(data):
        _store(s, end, b"\0", "strim")
    return _view(s, start)


strstrip = strim


def strreplace(s: object, old: object, new: object) -> object:
    data = _cstr(s, "strreplace")
    o, n = _char(old), _char(new)
    _store(s, 0, bytes(n if b == o else b for b in data), "strreplace")
    return _view(s, len(data))


def sysfs_streq(a: object, b: object) -> bool:
    """Equal, ignoring one trailing newline on either (what `echo` adds)."""
    x, y = _cstr(a, "sysfs_streq"), _cstr(b, "sysfs_streq")
    return (x[:-1] if x.endswith(b"\n") else x) == (y[:-1] if y.endswith(b"\n") else y)


def match_string(array: object, n: int, string: object) -> int:
    """The index of `string` in the first `n` items of `array` (-1 for all), or -EINVAL."""
    from kmodsim.kernel.errno import EINVAL

    items = list(array)  # type: ignore[call-overload]
    wanted = _cstr(string, "match_string")
    for i, item in enumerate(items if int(n) < 0 else items[: int(n)]):
        if item is None:
            break
        if _cstr(item, "match_string") == wanted:
            return i
    return -EINVAL


# -- memory ----------------------------------------------------------------------------------


def _bytes_of(src: object, n: int, via: str) -> bytes:
    """`n` bytes read from src (an out-of-bounds read if it has fewer)."""
    if isinstance(src, (str, bytes)):
        raw = src.encode("utf-8", "surrogateescape") if isinstance(src, str) else src
        if isinstance(src, str):
            raw += b"\0"  # a string literal has its NUL
        if n > len(raw):
            raise _fault(src, n, "read", 0, via)
        return raw[:n]
    _live(src, "read", via)
    mem = _memory(src)
    if n > len(mem):
        raise _fault(src, n, "read", 0, via)
    return bytes(mem[:n])


def memset(dst: object, c: object, n: int) -> object:
    """Fill the first `n` bytes of dst with byte `c`; returns dst."""
    _store(dst, 0, bytes([_char(c)]) * int(n), "memset")
    return dst


def memcpy(dst: object, src: object, n: int) -> object:
    """Copy `n` bytes from src to dst; returns dst."""
    n = int(n)
    _store(dst, 0, _bytes_of(src, n, "memcpy"), "memcpy")
    return dst


def memmove(dst: object, src: object, n: int) -> object:
    n = int(n)
    _store(dst, 0, _bytes_of(src, n, "memmove"), "memmove")
    return dst


def memcmp(a: object, b: object, n: int) -> int:
    """0 when the first `n` bytes are equal, else the difference of the first that differ."""
    n = int(n)
    x, y = _bytes_of(a, n, "memcmp"), _bytes_of(b, n, "memcmp")
    for c1, c2 in zip(x, y, strict=True):
        if c1 != c2:
            return c1 - c2
    return 0


def memchr(s: object, c: object, n: int) -> object:
    i = _bytes_of(s, int(n), "memchr").find(bytes([_char(c)]))
    return None if i < 0 else _view(s, i)


def memzero_explicit(dst: object, n: int) -> None:
    memset(dst, 0, n)


# -- ctype.h ---------------------------------------------------------------------------------


def _c(c: object) -> int:
    return _char(c) if not isinstance(c, int) else c & 0xFF


def _lower(c: int) -> int:
    return c + 32 if 0x41 <= c <= 0x5A else c


def isdigit(c: object) -> bool:
    return 0x30 <= _c(c) <= 0x39


def isxdigit(c: object) -> bool:
    return isdigit(c) or 0x61 <= _lower(_c(c)) <= 0x66


def isalpha(c: object) -> bool:
    return 0x61 <= _lower(_c(c)) <= 0x7A


def isalnum(c: object) -> bool:
    return isalpha(c) or isdigit(c)


def isupper(c: object) -> bool:
    return 0x41 <= _c(c) <= 0x5A


def islower(c: object) -> bool:
    return 0x61 <= _c(c) <= 0x7A


def isspace(c: object) -> bool:
    return _c(c) in _SPACE


def isprint(c: object) -> bool:
    return 0x20 <= _c(c) <= 0x7E


def ispunct(c: object) -> bool:
    return isprint(c) and not isalnum(c) and _c(c) != 0x20


def iscntrl(c: object) -> bool:
    return _c(c) < 0x20 or _c(c) == 0x7F


def tolower(c: object) -> object:
    if isinstance(c, int):
        return _lower(c & 0xFF)
    return c.lower()  # type: ignore[attr-defined]


def toupper(c: object) -> object:
    if isinstance(c, int):
        c &= 0xFF
        return c - 32 if 0x61 <= c <= 0x7A else c
    return c.upper()  # type: ignore[attr-defined]


# -- the sprintf family (lib/vsprintf.c) ------------------------------------------------------


def _format(fmt: object, args: tuple) -> bytes:
    if isinstance(fmt, (bytes, bytearray, memoryview)):
        fmt = c_bytes(fmt).decode("utf-8", "surrogateescape")
    return format_c(str(fmt), args).encode("utf-8", "surrogateescape")


def vsnprintf(buf: object, size: int, fmt: object, args: tuple) -> int:
    """Format into buf, at most `size` bytes with the NUL; returns the length the whole
    output has (more than fits when it was cut), as C's vsnprintf does."""
    out = _format(fmt, tuple(args))
    size = int(size)
    if size > 0:
        n = min(len(out), size - 1)
        _store(buf, 0, out[:n] + b"\0", "vsnprintf")
    return len(out)


def snprintf(buf: object, size: int, fmt: object, *args: object) -> int:
    return vsnprintf(buf, size, fmt, args)


def vscnprintf(buf: object, size: int, fmt: object, args: tuple) -> int:
    """Like vsnprintf, but returns what was written (without the NUL): 0 when size is 0."""
    size = int(size)
    full = vsnprintf(buf, size, fmt, args)
    if size <= 0:
        return 0
    return min(full, size - 1)


def scnprintf(buf: object, size: int, fmt: object, *args: object) -> int:
    return vscnprintf(buf, size, fmt, args)


def vsprintf(buf: object, fmt: object, args: tuple) -> int:
    out = _format(fmt, tuple(args))
    _store(buf, 0, out + b"\0", "vsprintf")
    return len(out)


def sprintf(buf: object, fmt: object, *args: object) -> int:
    """Format into buf (it must be big enough: writing past it is KASAN's report); returns
    the length written, without the NUL."""
    return vsprintf(buf, fmt, args)


# -- sscanf ----------------------------------------------------------------------------------


def _skip(data: bytes, i: int) -> int:
    while i < len(data) and data[i] in _SPACE:
        i += 1
    return i


_QUALIFIER_BITS = {"H": 8, "h": 16, "l": 64, "L": 64, "z": 64, "": 32}


def _conversions(f: bytes) -> int:
    """How many values the format assigns (every conversion but %% and %*)."""
    n = j = 0
    while True:
        j = f.find(b"%", j)
        if j < 0 or j + 1 >= len(f):
            return n
        j += 1
        if f[j : j + 1] in (b"%", b"*"):
            j += 1
            continue
        while j < len(f) and (0x30 <= f[j] <= 0x39 or chr(f[j]) in "hlLz"):
            j += 1
        if j < len(f) and chr(f[j]) in "csoxXidun[":
            n += 1


def vsscanf(buf: object, fmt: object, _args: tuple = ()) -> tuple:
    """sscanf's work: (count, value, value, …), a value for every conversion of the format,
    None for those never reached."""
    num, values = _scan(buf, fmt)
    want = _conversions(_cstr(fmt, "vsscanf"))
    return (num, *values[:want], *[None] * (want - len(values)))


def _scan(buf: object, fmt: object) -> tuple[int, list[object]]:
    text = isinstance(buf, str)
    data = _cstr(buf, "vsscanf")
    f = _cstr(fmt, "vsscanf")
    values: list[object] = []
    num = 0
    i = j = 0  # i in data, j in the format
    nf = len(f)

    def out(raw: bytes) -> object:
        return raw.decode("utf-8", "surrogateescape") if text else raw

    while j < nf:
        if f[j] in _SPACE:
            j = _skip(f, j + 1)
            i = _skip(data, i)
        if j < nf and f[j] != 0x25:  # '%'
            if i >= len(data) or f[j] != data[i]:
                break
            i += 1
            j += 1
            continue
        if j >= nf:
            break
        j += 1
        if j < nf and f[j] == 0x2A:  # '*': skip a field
            if i >= len(data):
                break
            while j < nf and f[j] not in _SPACE and f[j] != 0x25:
                if f[j] == 0x5B:  # '%*[' is not supported
                    return num, values
                j += 1
            while i < len(data) and data[i] not in _SPACE:
                i += 1
            continue
        width = -1
        if j < nf and 0x30 <= f[j] <= 0x39:
            k = j
            while j < nf and 0x30 <= f[j] <= 0x39:
                j += 1
            width = int(f[k:j])
            if width <= 0:
                break
        qualifier = ""
        if j < nf and chr(f[j]) in "hlLz":
            qualifier = chr(f[j])
            j += 1
            if j < nf and chr(f[j]) == qualifier and qualifier in "hl":
                qualifier = "H" if qualifier == "h" else "L"
                j += 1
        if j >= nf:
            break
        conv = chr(f[j])
        if conv == "n":
            values.append(i)
            j += 1
            continue
        if i >= len(data):
            break
        j += 1
        if conv == "c":
            n = 1 if width == -1 else width
            start = i
            while True:
                i += 1
                n -= 1
                if n <= 0 or i >= len(data):
                    break
            values.append(out(data[start:i]))
            num += 1
            continue
        if conv == "s":
            n = 0x7FFF if width == -1 else width
            i = _skip(data, i)
            start = i
            while i < len(data) and data[i] not in _SPACE and n:
                i += 1
                n -= 1
            values.append(out(data[start:i]))
            num += 1
            continue
        if conv == "%":
            if data[i] != 0x25:
                return num, values
            i += 1
            continue
        base = {"o": 8, "x": 16, "X": 16, "i": 0, "d": 10, "u": 10}.get(conv)
        if base is None:
            return num, values
        signed = conv in "di"
        i = _skip(data, i)
        digit = data[i : i + 1]
        if signed and digit == b"-":
            if width == 1:
                break
            digit = data[i + 1 : i + 2]
        if not digit or (base == 16 and digit.lower() not in b"0123456789abcdef") or (
                base in (10, 0) and not digit.isdigit()) or (
                base == 8 and digit not in b"01234567"):
            break
        limit = width if width >= 0 else INT_MAX
        if signed:
            value, end = simple_strntoll(data, i, limit, base)
        else:
            value, end = simple_strntoull(data, i, limit, base)
        bits = _QUALIFIER_BITS[qualifier]
        value &= (1 << bits) - 1
        if signed and value >> (bits - 1):
            value -= 1 << bits
        values.append(value)
        num += 1
        i = end
    return num, values


def sscanf(buf: object, fmt: object) -> tuple:
    """C's `n = sscanf(buf, "%d %s", &x, s)`: `n, x, s = sscanf(buf, "%d %s")`. n counts
    the conversions made; values follow in order (numbers as ints, %s and %c as str when buf
    is a str, else bytes, %n as an int); a conversion never reached is None (C leaves the
    variable as it was): check n."""
    return vsscanf(buf, fmt)


__all__ = ["isalnum", "isalpha", "iscntrl", "isdigit", "islower", "isprint", "ispunct",
           "isspace", "isupper", "isxdigit", "match_string", "memchr", "memcmp",
           "memcpy", "memmove", "memset", "memzero_explicit", "scnprintf",
           "skip_spaces", "snprintf", "sprintf", "sscanf", "strcasecmp", "strcat",
           "strchr", "strcmp", "strcpy", "strcspn", "strim", "strlcat", "strlcpy",
           "strlen", "strncasecmp", "strncat", "strnchr", "strncmp", "strncpy",
           "strnlen", "strnstr", "strpbrk", "strrchr", "strreplace", "strscpy",
           "strsep", "strspn", "strstr", "strstrip", "sysfs_streq", "tolower",
           "toupper", "vscnprintf", "vsnprintf", "vsprintf", "vsscanf"]
