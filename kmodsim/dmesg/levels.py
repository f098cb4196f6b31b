"""Level and facility names, and util-linux's parsing of `--level`/`--facility` lists.

The parsers follow dmesg.c's parse_level()/parse_facility() and lib/strutils.c's
string_to_bitarray() step by step, because their quirks show in the error messages: the
text quoted in `unknown level '%s'` runs from the bad item to the end of the whole list.
"""

from __future__ import annotations

LEVEL_NAMES = ("emerg", "alert", "crit", "err", "warn", "notice", "info", "debug")
LEVEL_HELP = (
    "system is unusable", "action must be taken immediately", "critical conditions",
    "error conditions", "warning conditions", "normal but significant condition",
    "informational", "debug-level messages",
)
FACILITY_NAMES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "res0", "res1", "res2", "res3",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)
FACILITY_HELP = (
    "kernel messages", "random user-level messages", "mail system", "system daemons",
    "security/authorization messages", "messages generated internally by syslogd",
    "line printer subsystem", "network news subsystem", "UUCP subsystem", "clock daemon",
    "security/authorization messages (private)", "FTP daemon",
    "reserved 0", "reserved 1", "reserved 2", "reserved 3",
    "local use 0", "local use 1", "local use 2", "local use 3",
    "local use 4", "local use 5", "local use 6", "local use 7",
)
LONG_MAX = (1 << 63) - 1
LONG_MIN = -(1 << 63)
_ERANGE_TEXT = "Numerical result out of range"


class DmesgError(Exception):
    """A failure dmesg reports as `dmesg: <message>` on stderr before exiting."""

    def __init__(self, message: str | None, status: int = 1, try_help: bool = False) -> None:
        super().__init__(message)
        self.message = message  # None: exit quietly, as string_to_bitarray() failures do
        self.status = status
        self.try_help = try_help


def strtol(s: str | bytes, i: int = 0, unsigned: bool = False) -> tuple[int, int, bool]:
    """C strtol()/strtoumax() on s[i:]: (value, index after the number, overflowed).

    The index equals `i` when there are no digits, as endptr does. Works on str and bytes.
    """
    n = len(s)
    b = isinstance(s, bytes)
    j = i
    while j < n and (s[j] in b" \t\n\v\f\r" if b else s[j] in " \t\n\v\f\r"):
        j += 1
    neg = False
    if j < n and s[j] in ((43, 45) if b else "+-"):
        neg = s[j] == (45 if b else "-")
        j += 1
    k = j
    while k < n and (48 <= s[k] <= 57 if b else "0" <= s[k] <= "9"):
        k += 1
    if k == j:
        return 0, i, False
    v = int(s[j:k])
    if unsigned:
        if v > (1 << 64) - 1:
            return (1 << 64) - 1, k, True
        return ((-v) & ((1 << 64) - 1)) if neg else v, k, False
    v = -v if neg else v
    if v > LONG_MAX:
        return LONG_MAX, k, True
    if v < LONG_MIN:
        return LONG_MIN, k, True
    return v, k, False


def _lookup(s: str, start: int, length: int, names: tuple[str, ...]) -> int:
    item = s[start:start + length].lower()  # c_strncasecmp over `length` chars
    for i, name in enumerate(names):
        if item == name:
            return i
    return -1


def parse_level(s: str, start: int = 0, length: int = 0) -> int:
    """LEVEL ::= number | name. With length 0 (`-n`), the result is 1..8 ("less than")."""
    offset = 0
    if not length:
        length = len(s) - start
        offset = 1
    text = s[start:]
    if start < len(s) and s[start].isdigit() and s[start].isascii():
        x, end, overflow = strtol(s, start)
        if overflow:
            raise DmesgError(f"failed to parse level '{text}': {_ERANGE_TEXT}")
        x -= offset
        if end - start == length and 0 <= x < len(LEVEL_NAMES):
            return x + offset
    else:
        i = _lookup(s, start, length, LEVEL_NAMES)
        if i >= 0:
            return i + offset
    raise DmesgError(f"unknown level '{text}'")


def parse_facility(s: str, start: int = 0, length: int = 0) -> int:
    if not length:
        length = len(s) - start
    text = s[start:]
    if start < len(s) and s[start].isdigit() and s[start].isascii():
        x, end, overflow = strtol(s, start)
        if overflow:
            raise DmesgError(f"failed to parse facility '{text}': {_ERANGE_TEXT}")
        if end - start == length and 0 <= x < len(FACILITY_NAMES):
            return x
    else:
        i = _lookup(s, start, length, FACILITY_NAMES)
        if i >= 0:
            return i
    raise DmesgError(f"unknown facility '{text}'")


def parse_list(s: str, levels: bool) -> set[int]:
    """string_to_bitarray(): comma-separated items; for levels `x+` adds every more urgent
    level and `+x` every less urgent one. An empty item fails without a message."""
    bits: set[int] = set()
    allow_range = len(LEVEL_NAMES) if levels else 0
    name2bit = parse_level if levels else parse_facility
    n = len(s)
    begin = -1
    p = 0
    while p < n:
        if begin < 0:
            begin = p
        end = -1
        if s[p] == ",":
            end = p
        if p + 1 == n:
            end = p + 1
        if end < 0:
            p += 1
            continue
        if end <= begin:
            raise DmesgError(None)
        lower = higher = False
        if allow_range:
            if s[end - 1] == "+":
                end -= 1
                lower = True
            elif s[begin] == "+":
                begin += 1
                higher = True
        bit = name2bit(s, begin, end - begin)
        bits.add(bit)
        if lower:
            bits.update(range(bit))
        elif higher:
            bits.update(range(bit + 1, allow_range))
        begin = -1
        if end >= n:
            break
        p += 1
    return bits
