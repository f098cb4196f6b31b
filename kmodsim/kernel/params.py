"""Module parameters given at insmod, parsed as kernel/params.c parses them."""

from __future__ import annotations

from dataclasses import dataclass

from kmodsim.kernel.errno import EINVAL, ENOSPC, ERANGE

_INT_RANGES = {
    "byte": (0, 0xFF),
    "short": (-(1 << 15), (1 << 15) - 1),
    "ushort": (0, (1 << 16) - 1),
    "int": (-(1 << 31), (1 << 31) - 1),
    "uint": (0, (1 << 32) - 1),
    "hexint": (0, (1 << 32) - 1),
    "long": (-(1 << 63), (1 << 63) - 1),
    "ulong": (0, (1 << 64) - 1),
    "ullong": (0, (1 << 64) - 1),
}
_TRUE = ("y", "Y", "1", "on", "On", "ON", "oN", "t", "T")
_FALSE = ("n", "N", "0", "off", "Off", "OFF", "oFF", "f", "F")
MAX_CHARP = 1024


class ParamError(Exception):
    def __init__(self, errno: int) -> None:
        super().__init__(errno)
        self.errno = errno


def _kstrtoll(text: str, unsigned: bool) -> int:
    """kstrto*(s, 0, …): base from the prefix, one trailing newline allowed."""
    s = text[:-1] if text.endswith("\n") else text
    neg = s.startswith("-")
    if neg and unsigned:
        raise ParamError(EINVAL)
    if s.startswith(("-", "+")):
        s = s[1:]
    base = 10
    if s[:2].lower() == "0x":
        base, s = 16, s[2:]
    elif s.startswith("0") and len(s) > 1:
        base, s = 8, s[1:]
    if not s or not all(c in "0123456789abcdefABCDEF"[: base + (6 if base == 16 else 0)]
                        for c in s):
        raise ParamError(EINVAL)
    value = int(s, base)
    return -value if neg else value


def parse_value(ptype: str, text: str | None) -> object:
    """One value of type `ptype` (the module_param type name)."""
    if ptype in ("bool", "invbool"):
        if text is None or text == "":
            value = True
        elif text in _TRUE or text.lower() in ("on", "y", "yes", "true"):
            value = True
        elif text in _FALSE or text.lower() in ("off", "n", "no", "false"):
            value = False
        else:
            raise ParamError(EINVAL)
        return (not value) if ptype == "invbool" else value
    if text is None:
        raise ParamError(EINVAL)
    if ptype == "charp":
        if len(text) > MAX_CHARP:
            raise ParamError(ENOSPC)
        return text
    lo, hi = _INT_RANGES.get(ptype, _INT_RANGES["int"])
    value = _kstrtoll(text, unsigned=lo == 0)
    if not lo <= value <= hi:
        raise ParamError(ERANGE)
    return value


@dataclass
class Assignment:
    name: str
    value: str | None  # None when given without '='


def split_args(argv: list[str]) -> list[Assignment]:
    """insmod's `name=value` words (the shell already removed any quotes)."""
    out = []
    for word in argv:
        name, eq, value = word.partition("=")
        out.append(Assignment(name.replace("-", "_"), value if eq else None))
    return out


def args_text(argv: list[str]) -> str:
    """The option string insmod hands the kernel: values with spaces get quoted."""
    words = []
    for word in argv:
        name, eq, value = word.partition("=")
        words.append(f'{name}="{value}"' if eq and " " in value else word)
    return " ".join(words)
