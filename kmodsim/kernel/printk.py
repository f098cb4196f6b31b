"""printk and the pr_* family (include/linux/printk.h, kernel/printk/printk.c)."""

from __future__ import annotations

from kmodsim.kernel import _current
from kmodsim.kernel.cformat import format_c

KERN_SOH = "\001"
KERN_EMERG = KERN_SOH + "0"
KERN_ALERT = KERN_SOH + "1"
KERN_CRIT = KERN_SOH + "2"
KERN_ERR = KERN_SOH + "3"
KERN_WARNING = KERN_SOH + "4"
KERN_NOTICE = KERN_SOH + "5"
KERN_INFO = KERN_SOH + "6"
KERN_DEBUG = KERN_SOH + "7"
KERN_DEFAULT = ""
KERN_CONT = KERN_SOH + "c"

LOGLEVEL_DEFAULT = -1
LOGLEVEL_EMERG, LOGLEVEL_ALERT, LOGLEVEL_CRIT, LOGLEVEL_ERR = 0, 1, 2, 3
LOGLEVEL_WARNING, LOGLEVEL_NOTICE, LOGLEVEL_INFO, LOGLEVEL_DEBUG = 4, 5, 6, 7
# CONFIG_MESSAGE_LOGLEVEL_DEFAULT: the level of a printk() that names none
MESSAGE_LOGLEVEL_DEFAULT = 4


def _parse_prefix(text: str) -> tuple[int, bool, str]:
    """Strip the KERN_* prefixes as printk_parse_prefix() does: (level or -1, cont, rest)."""
    level, cont = -1, False
    while len(text) >= 2 and text[0] == KERN_SOH:
        kind = text[1]
        if "0" <= kind <= "7":
            if level == -1:
                level = int(kind)
        elif kind == "c":
            cont = True
        elif kind != "d":
            break
        text = text[2:]
    return level, cont, text


def vprintk(fmt: str, args: tuple, level: int = -1) -> int:
    if isinstance(fmt, (bytes, bytearray)):
        fmt = bytes(fmt).decode("utf-8", "surrogateescape")
    text = format_c(fmt, args)
    prefix_level, cont, text = _parse_prefix(text)
    if level == -1:
        level = prefix_level
    _current.entry().printk(level, text, cont)
    return len(text)


def printk(fmt: str, *args: object) -> int:
    return vprintk(fmt, args)


def pr_emerg(fmt: str, *args: object) -> int:
    return vprintk(fmt, args, LOGLEVEL_EMERG)


def pr_alert(fmt: str, *args: object) -> int:
    return vprintk(fmt, args, LOGLEVEL_ALERT)


def pr_crit(fmt: str, *args: object) -> int:
    return vprintk(fmt, args, LOGLEVEL_CRIT)


def pr_err(fmt: str, *args: object) -> int:
    return vprintk(fmt, args, LOGLEVEL_ERR)


def pr_warn(fmt: str, *args: object) -> int:
    return vprintk(fmt, args, LOGLEVEL_WARNING)


pr_warning = pr_warn


def pr_notice(fmt: str, *args: object) -> int:
    return vprintk(fmt, args, LOGLEVEL_NOTICE)


def pr_info(fmt: str, *args: object) -> int:
    return vprintk(fmt, args, LOGLEVEL_INFO)


def pr_cont(fmt: str, *args: object) -> int:
    return vprintk(KERN_CONT + fmt, args)


def pr_debug(fmt: str, *args: object) -> int:
    """Compiled out unless the module defines DEBUG (as `#define DEBUG` would)."""
    module = _current.module()
    if module is None or not module.ns.get("DEBUG"):
        return 0
    return vprintk(fmt, args, LOGLEVEL_DEBUG)


pr_devel = pr_debug
