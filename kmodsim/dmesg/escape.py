"""safe_fwrite(): how dmesg writes message bytes.

Non-printable bytes become `\\xNN`; a newline followed by more text is followed by `indent`
spaces. What is printable depends on the locale's character set, as with mbrtowc() and
iswprint(): in a UTF-8 locale valid printable multibyte characters pass through, in the
C/POSIX locale every byte >= 0x80 is escaped.
"""

from __future__ import annotations

import os

# bytes printed as they are in every locale: isprint() or isspace() in ASCII
_PLAIN = bytes(range(0x20, 0x7F)) + b"\t\n\v\f\r"
_PRINTABLE_NO_NL = bytes(range(0x20, 0x7F))
_utf8: bool | None = None


def _locale_env() -> dict[str, str]:
    """The environment the process started with: Python may have coerced a C locale into
    C.UTF-8 (PEP 538) in os.environ, which the real dmesg would never see."""
    try:
        with open("/proc/self/environ", "rb") as f:
            raw = f.read()
    except OSError:
        return dict(os.environ)
    env = {}
    for item in raw.split(b"\0"):
        k, sep, v = item.partition(b"=")
        if sep:
            env[k.decode(errors="replace")] = v.decode(errors="replace")
    return env


def utf8_locale() -> bool:
    """Whether setlocale(LC_ALL, "") would give a UTF-8 LC_CTYPE."""
    global _utf8
    if _utf8 is None:
        env = _locale_env()
        name = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
        low = name.lower()
        ok = False
        if "utf-8" in low or "utf8" in low:
            import _locale

            try:  # a locale that isn't installed leaves dmesg in the C locale
                old = _locale.setlocale(_locale.LC_CTYPE)
                _locale.setlocale(_locale.LC_CTYPE, name)
                _locale.setlocale(_locale.LC_CTYPE, old)
                ok = True
            except _locale.Error:
                ok = False
        _utf8 = ok
    return _utf8


def _hex(b: bytes) -> bytes:
    return b"".join(b"\\x%02x" % c for c in b)


def _printable_char(ch: str) -> bool:
    """iswprint() || iswspace() for a multibyte character, after glibc's tables: only
    control characters and unassigned code points are unprintable."""
    import unicodedata

    return unicodedata.category(ch) not in ("Cc", "Cn")


def _utf8_len(buf: bytes, i: int) -> int:
    """Length of a valid UTF-8 sequence at buf[i] (a byte >= 0x80), or 0 if invalid."""
    c = buf[i]
    n = 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF else 4 if 0xF0 <= c <= 0xF4 else 0
    if not n or i + n > len(buf):
        return 0
    try:
        buf[i:i + n].decode("utf-8")
    except UnicodeDecodeError:
        return 0
    return n


def escape(data: bytes, indent: int, after: bool, noesc: bool = False) -> bytes:
    """The bytes safe_fwrite() writes for `data`; `after` says whether the byte following
    `data` in dmesg's buffer is non-NUL (it decides the indentation of a final newline)."""
    if not data.translate(None, _PRINTABLE_NO_NL):
        return data  # the usual case: nothing to escape, no newline
    pad = b" " * indent
    if (noesc and b"\0" not in data) or not data.translate(None, _PLAIN):
        if not indent or b"\n" not in data:
            return data
        body = data[:-1].replace(b"\n", b"\n" + pad)
        last = data[-1:]
        return body + (last + pad if last == b"\n" and after else last)
    out = bytearray()
    n = len(data)
    utf8 = None
    i = 0
    while i < n:
        c = data[i]
        if c == 10:
            out.append(10)
            if indent and (data[i + 1] != 0 if i + 1 < n else after):
                out += pad
        elif noesc or 0x20 <= c < 0x7F or c in (9, 11, 12, 13):
            out.append(c)
        elif c < 0x80:
            out += b"\\x%02x" % c
        else:
            if utf8 is None:
                utf8 = utf8_locale()
            size = _utf8_len(data, i) if utf8 else 0
            if size:
                seq = data[i:i + size]
                out += seq if _printable_char(seq.decode("utf-8")) else _hex(seq)
                i += size
                continue
            out += b"\\x%02x" % c
        i += 1
    return bytes(out)
