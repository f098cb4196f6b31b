"""Wall-clock side of dmesg: the boot time, the C-locale time strings dmesg builds with
strftime(), and lib/timeutils.c's parse_timestamp() for --since/--until."""

from __future__ import annotations

import os
import time

from kmodsim.dmesg.levels import DmesgError

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
USEC = 1_000_000


def env_boot_time() -> tuple[int, int] | None:
    """KMODSIM_BOOT_TIME ("sec.fraction" since the epoch) as (sec, usec), if set."""
    s = os.environ.get("KMODSIM_BOOT_TIME")
    if not s:
        return None
    sec, _, frac = s.strip().partition(".")
    try:
        return int(sec), int((frac + "000000")[:6]) if frac else 0
    except ValueError:
        return None


def host_boot_time() -> tuple[int, int, int]:
    """get_boot_time() and get_suspended_time() of lib/monotonic.c, for this host:
    (boot sec, boot usec, suspended usec)."""
    now = time.time_ns() // 1000
    boot = time.clock_gettime_ns(time.CLOCK_BOOTTIME) // 1000
    mono = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    sec, usec = divmod(now - boot, USEC)
    return sec, usec, max(boot - mono, 0)


def localtime(t: int) -> time.struct_time | None:
    try:
        return time.localtime(t)
    except (OverflowError, OSError, ValueError):
        return None


def ctime_str(tm: time.struct_time | None) -> str:
    """strftime("%a %b %e %H:%M:%S %Y") in the C locale."""
    if tm is None:
        return ""
    return (f"{_DAYS[tm.tm_wday]} {_MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {tm.tm_year}")


def short_ctime(tm: time.struct_time | None) -> str:
    """strftime("%b%e %H:%M") in the C locale."""
    if tm is None:
        return ""
    return f"{_MONTHS[tm.tm_mon - 1]}{tm.tm_mday:2d} {tm.tm_hour:02d}:{tm.tm_min:02d}"


def iso_str(usec_total: int) -> str:
    """strtimeval_iso(ISO_TIMESTAMP_COMMA_T): 2009-02-13T23:31:30,123456+00:00."""
    sec, usec = divmod(usec_total, USEC)
    tm = localtime(sec)
    if tm is None:
        return "(null)"
    gmtoff = tm.tm_gmtoff if tm.tm_isdst >= 0 else 0
    tmin = int(gmtoff / 60)
    zhour = int(tmin / 60)  # C division truncates toward zero
    zmin = abs(tmin - zhour * 60)
    return (f"{tm.tm_year:4d}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:"
            f"{tm.tm_min:02d}:{tm.tm_sec:02d},{usec:06d}{zhour:+03d}:{zmin:02d}")


# -- parse_timestamp() ----------------------------------------------------------------------
_SEC_UNITS = (
    ("seconds", USEC), ("second", USEC), ("sec", USEC), ("s", USEC),
    ("minutes", 60 * USEC), ("minute", 60 * USEC), ("min", 60 * USEC),
    ("months", 2629800 * USEC), ("month", 2629800 * USEC),
    ("msec", 1000), ("ms", 1000), ("m", 60 * USEC),
    ("hours", 3600 * USEC), ("hour", 3600 * USEC), ("hr", 3600 * USEC), ("h", 3600 * USEC),
    ("days", 86400 * USEC), ("day", 86400 * USEC), ("d", 86400 * USEC),
    ("weeks", 604800 * USEC), ("week", 604800 * USEC), ("w", 604800 * USEC),
    ("years", 31557600 * USEC), ("year", 31557600 * USEC), ("y", 31557600 * USEC),
    ("usec", 1), ("us", 1), ("", USEC),
)
_WS = " \t\n\r"


def _parse_sec(t: str) -> int:
    """parse_sec(): "5min", "1h 30min", "2.5s"."""
    from kmodsim.dmesg.levels import strtol

    total = 0
    something = False
    p = 0
    while True:
        while p < len(t) and t[p] in _WS:
            p += 1
        if p >= len(t):
            if not something:
                raise ValueError
            return total
        val, e, overflow = strtol(t, p)
        if overflow or val < 0:
            raise ValueError
        frac, ndig = 0, 0
        if e < len(t) and t[e] == ".":
            b = e + 1
            frac, e, overflow = strtol(t, b)
            if overflow or frac < 0 or e == b:
                raise ValueError
            ndig = e - b
        elif e == p:
            raise ValueError
        while e < len(t) and t[e] in _WS:
            e += 1
        for suffix, mult in _SEC_UNITS:
            if t.startswith(suffix, e):
                k = frac * mult
                for _ in range(ndig):
                    k //= 10
                total += val * mult + k
                p = e + len(suffix)
                something = True
                break


def _subseconds(t: str) -> int | None:
    if not t or t[0] not in ".,":
        return None
    ret, factor = 0, USEC // 10
    for ch in t[1:]:
        if not ("0" <= ch <= "9") or factor < 1:
            return None
        ret += int(ch) * factor
        factor //= 10
    return ret


def _strptime_fields(t: str, fmt: str) -> tuple[dict[str, int], str] | None:
    """A small strptime() for the numeric formats parse_timestamp() tries: returns the
    fields and the unparsed rest, or None."""
    fields: dict[str, int] = {}
    i = 0
    widths = {"Y": 4, "y": 2, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
    j = 0
    while j < len(fmt):
        f = fmt[j]
        if f == "%":
            code = fmt[j + 1]
            j += 2
            while i < len(t) and t[i] in _WS:
                i += 1  # glibc skips white space before numeric fields
            k = i
            while k < len(t) and k - i < widths[code] and t[k].isdigit():
                k += 1
            if k == i:
                return None
            fields[code] = int(t[i:k])
            i = k
        else:
            if i >= len(t) or t[i] != f:
                return None
            i += 1
            j += 1
    return fields, t[i:]


def parse_timestamp(t: str, now: float | None = None) -> int:
    """lib/timeutils.c parse_timestamp(): microseconds since the epoch."""
    x = int(time.time() if now is None else now)
    tm = list(time.localtime(x)[:6])  # Y m d H M S
    plus = minus = ret = 0
    weekday = -1
    if t == "now":
        pass
    elif t in ("today", "yesterday", "tomorrow"):
        tm[2] += {"today": 0, "yesterday": -1, "tomorrow": 1}[t]
        tm[3] = tm[4] = tm[5] = 0
    elif t.startswith("+"):
        plus = _parse_sec(t[1:])
    elif t.startswith("-"):
        minus = _parse_sec(t[1:])
    elif t.startswith("@"):
        from kmodsim.dmesg.levels import strtol

        val, e, overflow = strtol(t, 1)
        if e == 1 or overflow:
            raise ValueError
        rest = t[e:]
        if rest:
            sub = _subseconds(rest)
            if sub is None:
                raise ValueError
            ret = sub
        return max(val * USEC + ret, 0)
    elif t.endswith(" ago"):
        minus = _parse_sec(t[:-4])
    else:
        days = ("Sunday", "Sun", "Monday", "Mon", "Tuesday", "Tue", "Wednesday", "Wed",
                "Thursday", "Thu", "Friday", "Fri", "Saturday", "Sat")
        for idx, name in enumerate(days):
            if t[:len(name)].lower() == name.lower() and t[len(name):len(name) + 1] == " ":
                weekday = idx // 2
                t = t[len(name) + 1:]
                break
        tm, ret = _parse_date(t, tm)
    secs = int(time.mktime((tm[0], tm[1], tm[2], tm[3], tm[4], tm[5], 0, 0, -1)))
    if weekday >= 0 and (time.localtime(secs).tm_wday + 1) % 7 != weekday:
        raise ValueError
    ret += secs * USEC + plus
    return ret - minus if ret > minus else 0


def _parse_date(t: str, tm: list[int]) -> tuple[list[int], int]:
    attempts = (
        ("%y-%m-%d %H:%M:%S", True), ("%Y-%m-%d %H:%M:%S", True),
        ("%Y-%m-%dT%H:%M:%S", True), ("%y-%m-%d %H:%M", False), ("%Y-%m-%d %H:%M", False),
        ("%y-%m-%d", False), ("%Y-%m-%d", False), ("%H:%M:%S", True), ("%H:%M", False),
        ("%Y%m%d%H%M%S", True),
    )
    for fmt, subsec in attempts:
        got = _strptime_fields(t, fmt)
        if got is None:
            continue
        fields, rest = got
        ret = 0
        if rest:
            sub = _subseconds(rest) if subsec else None
            if sub is None:
                continue
            ret = sub
        new = list(tm)
        if "y" in fields:
            y = fields["y"]
            new[0] = y + (2000 if y < 69 else 1900)
        if "Y" in fields:
            new[0] = fields["Y"]
        if "m" in fields:
            new[1] = fields["m"]
        if "d" in fields:
            new[2] = fields["d"]
        if "H" in fields:
            new[3] = fields["H"]
            new[4] = fields.get("M", 0)
            new[5] = fields.get("S", 0)
        else:
            new[3] = new[4] = new[5] = 0
        if not (1 <= new[1] <= 12 and 1 <= new[2] <= 31 and new[3] <= 23 and new[4] <= 59
                and new[5] <= 61):
            continue
        return new, ret
    raise ValueError


def parse_time_arg(arg: str) -> int:
    try:
        return parse_timestamp(arg)
    except (ValueError, OverflowError):
        raise DmesgError(f'invalid time value "{arg}"') from None
