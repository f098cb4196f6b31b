"""print_record(): one record as dmesg prints it, in text (with optional decode prefix,
time formats, caller id, colours) or as util-linux's JSON writer lays it out.

Output is bytes, appended to a list the caller writes out: messages are arbitrary bytes.
"""

from __future__ import annotations

from kmodsim.dmesg.escape import escape
from kmodsim.dmesg.levels import FACILITY_NAMES, LEVEL_NAMES
from kmodsim.dmesg.options import (
    CTIME,
    CTIME_DELTA,
    DELTA,
    ISO8601,
    NONE,
    RELTIME,
    TIME,
    TIME_DELTA,
    Control,
)
from kmodsim.dmesg.parse import Entry

# the default colour scheme (dmesg.c colors[], include/colors.h UL_COLOR_*)
RESET = b"\033[0m"
SUBSYS = b"\033[33m"
TIME_COLOR = b"\033[32m"
TIMEBREAK = b"\033[32m\033[1m"
LEVEL_COLORS = {1: b"\033[7m\033[31m", 2: b"\033[1m\033[31m", 3: b"\033[31m", 4: b"\033[1m"}
SEGFAULT = b"\033[2m\033[31m"

_JSON_SHORT = {8: b"\\b", 9: b"\\t", 10: b"\\n", 12: b"\\f", 13: b"\\r"}
_JSON_PLAIN_DEL = bytes(range(0x20)) + b'"\\'


def json_string(data: bytes) -> bytes:
    """fputs_quoted_json(): up to the first NUL; `null` when that leaves nothing."""
    nul = data.find(b"\0")
    if nul >= 0:
        data = data[:nul]
    if not data:
        return b"null"
    if len(data.translate(None, _JSON_PLAIN_DEL)) == len(data):
        return b'"' + data + b'"'
    out = bytearray(b'"')
    for c in data:
        if c in (34, 92):
            out += b"\\" + bytes((c,))
        elif c >= 0x20:
            out.append(c)
        else:
            out += _JSON_SHORT.get(c) or b"\\u00%02x" % c
    out += b'"'
    return bytes(out)


def subsys_end(mesg: bytes) -> int:
    """get_subsys_delimiter(): the end of a "subsystem: " prefix (after ': ' or ':\\t',
    with something after it), or -1."""
    nul = mesg.find(b"\0")
    limit = len(mesg) if nul < 0 else nul
    p = 0
    while True:
        d = mesg.find(b":", p, limit)
        if d < 0:
            return -1
        rest = len(mesg) - d - 1
        if rest <= 0:
            return -1
        if rest >= 2 and mesg[d + 1] in (32, 9):
            return d + 2
        p = d + 1


class Renderer:
    def __init__(self, ctl: Control, boot_usec: int = 0) -> None:
        self.ctl = ctl
        self.boot_usec = boot_usec  # boot time + time suspended, in epoch microseconds
        self.out: list[bytes] = []
        self.last_sec = 0
        self.last_usec = 0
        self.lasttm = (0, 0, 0)  # minute, hour, day of year of the last reltime record
        self.json_open = False
        self.fmts = ctl.formats()
        self.filtered = bool(ctl.levels is not None or ctl.facilities is not None
                             or ctl.since or ctl.until)
        # the plain `dmesg` layout, rendered without the general machinery
        self.simple = (self.fmts == [TIME] and not (ctl.decode or ctl.color or ctl.json
                       or ctl.raw or ctl.force_prefix or ctl.noesc))

    # -- filtering and delta -----------------------------------------------------------
    def accept(self, e: Entry) -> bool:
        ctl = self.ctl
        if ctl.levels is not None and (e.facility < 0 or e.level not in ctl.levels):
            return False
        if ctl.facilities is not None and (e.facility < 0 or e.facility not in ctl.facilities):
            return False
        if ctl.since or ctl.until:
            t = self.boot_usec + e.sec * 1_000_000 + e.usec
            if ctl.since and ctl.since >= t:
                return False
            if ctl.until and ctl.until <= t:
                return False
        return True

    def _delta(self, e: Entry) -> float:
        delta = 0.0
        if self.last_sec or self.last_usec:
            delta = (e.sec - self.last_sec) + (e.usec - self.last_usec) / 1e6
        self.last_sec, self.last_usec = e.sec, e.usec
        return delta

    # -- one record --------------------------------------------------------------------
    def record(self, e: Entry) -> None:
        out = self.out
        if self.filtered and not self.accept(e):
            # remember its time so that it does not distort the next delta
            self.last_sec, self.last_usec = e.sec, e.usec
            return
        if not e.mesg:
            if not self.ctl.json:
                out.append(b"\n")
            return
        if self.simple:
            self.last_sec, self.last_usec = e.sec, e.usec
            prefix = b"[%5d.%06d] " % (e.sec, e.usec)
            indent = len(prefix)
            if e.caller:
                cid = b"[%*s] " % (self.ctl.caller_id_size, e.caller)
                prefix += cid
                indent += len(cid)
            out.append(prefix)
            out.append(escape(e.mesg, indent, e.after))
            out.append(b"\n")
            return
        delta = self._delta(e)
        if self.ctl.json:
            self._json(e)
            return
        self._text(e, delta)

    def _text(self, e: Entry, delta: float) -> None:
        ctl = self.ctl
        out = self.out
        timebreak = False
        fp = b""
        if ctl.raw:
            ts = b"<%d>[%5d.%06d] " % ((e.facility << 3) | e.level, e.sec, e.usec)
            indent = len(ts)
        else:
            if ctl.decode and 0 <= e.level < 8 and 0 <= e.facility < len(FACILITY_NAMES):
                fp = b"%-6s:%-6s: " % (FACILITY_NAMES[e.facility].encode(),
                                      LEVEL_NAMES[e.level].encode())
            pieces = []
            indent = 0
            for fmt in self.fmts:
                piece, timebreak_now = self._time_piece(fmt, e, delta)
                timebreak = timebreak or timebreak_now
                indent = len(piece)
                if fmt == NONE:
                    break
                pieces.append(piece)
            ts = b"".join(pieces)
            indent += len(fp)
        reltime = RELTIME in self.fmts
        mesg = e.mesg
        lines: list[bytes] | None = None
        if ctl.force_prefix:
            nul = mesg.find(b"\0")
            lines = [x for x in (mesg if nul < 0 else mesg[:nul]).split(b"\n") if x]
        first = True
        while True:
            line_indent = indent
            if fp:
                out.append(fp)
            if ts:
                if ctl.color:
                    out.append(TIMEBREAK if timebreak else TIME_COLOR)
                out.append(ts if (first or not reltime) else b"[  +0.000000] ")
                if ctl.color:
                    out.append(RESET)
            if e.caller:
                cid = b"[%*s] " % (ctl.caller_id_size, e.caller)
                line_indent += len(cid)
                out.append(cid)
            if lines is not None:
                if not lines:
                    break
                line, after = lines.pop(0), False
            else:
                line, after = mesg, e.after
            if ctl.color:
                self._colored(line, e.level, line_indent, after)
            else:
                out.append(escape(line, line_indent, after, ctl.noesc))
            if not lines:
                break
            out.append(b"\n")
            first = False
        out.append(b"\n")

    def _colored(self, line: bytes, level: int, indent: int, after: bool) -> None:
        out = self.out
        noesc = self.ctl.noesc
        cut = subsys_end(line)
        if cut >= 0:
            out.append(SUBSYS)
            out.append(escape(line[:cut], indent, True, noesc))
            out.append(RESET)
            line = line[cut:]
        seq = LEVEL_COLORS.get(level)
        if seq is None and b"segfault at" in line:
            seq = SEGFAULT
        if seq:
            out.append(seq)
        out.append(escape(line, indent, after, noesc))
        if seq:
            out.append(RESET)

    def _time_piece(self, fmt: int, e: Entry, delta: float) -> tuple[bytes, bool]:
        from kmodsim.dmesg import clock

        if fmt == TIME:
            return b"[%5d.%06d] " % (e.sec, e.usec), False
        if fmt == TIME_DELTA:
            return b"[%5d.%06d <%12.6f>] " % (e.sec, e.usec, delta), False
        if fmt == DELTA:
            return b"[<%12.6f>] " % delta, False
        if fmt == NONE:
            return b"", False
        t = self.boot_usec + e.sec * 1_000_000 + e.usec
        if fmt == ISO8601:
            return clock.iso_str(t).encode() + b" ", False
        tm = clock.localtime(t // 1_000_000)
        if fmt == CTIME:
            return b"[%s] " % clock.ctime_str(tm).encode(), False
        if fmt == CTIME_DELTA:
            return b"[%s <%12.6f>] " % (clock.ctime_str(tm).encode(), delta), False
        # RELTIME: a time break when the minute, hour or day changes, else the delta
        cur = (tm.tm_min, tm.tm_hour, tm.tm_yday - 1) if tm else (0, 0, 0)
        last, self.lasttm = self.lasttm, cur
        if cur != last:
            return b"[%s] " % clock.short_ctime(tm).encode(), True
        if delta < 10:
            return b"[  %+8.6f] " % delta, False
        return b"[ %+9.6f] " % delta, False

    def _json(self, e: Entry) -> None:
        out = self.out
        if not self.json_open:
            self.json_open = True
            out.append(b'{\n   "dmesg": [\n      {\n')
        else:
            out.append(b",{\n")
        fields = []
        if 0 <= e.level < 8 and 0 <= e.facility < len(FACILITY_NAMES):
            if self.ctl.decode:
                fields.append(b'"fac": "%s"' % FACILITY_NAMES[e.facility].encode())
                fields.append(b'"pri": "%s"' % LEVEL_NAMES[e.level].encode())
            else:
                fields.append(b'"pri": %d' % ((e.facility << 3) | e.level))
        fields.append(b'"time": %5d.%06d' % (e.sec, e.usec))
        if e.caller:
            fields.append(b'"caller": ' + json_string(e.caller))
        fields.append(b'"msg": ' + json_string(e.mesg))
        out.append(b"         " + b",\n         ".join(fields) + b"\n      }")

    def finish(self) -> None:
        if self.json_open:
            self.out.append(b"\n   ]\n}\n")

    def take(self) -> bytes:
        data = b"".join(self.out)
        self.out.clear()
        return data
