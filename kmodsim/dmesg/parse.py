"""Readers for dmesg's inputs: syslog(2)-format dumps (-F), /dev/kmsg-format dumps (-K) and
the simulated ring buffer, all turned into `Entry` objects for the renderer.

The byte-level rules are those of util-linux dmesg.c (get_next_syslog_record,
parse_kmsg_record and their helpers), kept exact because odd input shows them: a record
ends only at a newline followed by '<', a failed timestamp parse still moves past '[',
a kmsg record without a trailing newline loses its last character, and so on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from kmodsim.dmesg.levels import FACILITY_NAMES, DmesgError, strtol

PID_CHARS_MAX = 20  # sizeof("9223372036854775807"): caller ids this long are dropped
PID_CHARS_DEFAULT = 11  # sizeof("2147483647"): the caller width when pid_max is unreadable
SYSLOG_CALLER_ID_CHARS = 5  # sizeof("32767") - 1: the caller width for syslog(2) buffers
KMSG_BUF = 2049  # PRINTK_MESSAGE_MAX + 1: a -K record this long is "too large"


class Entry:
    """One record as dmesg's print_record() sees it (struct dmesg_record)."""

    __slots__ = ("level", "facility", "sec", "usec", "caller", "mesg", "after")

    def __init__(self, level: int, facility: int, sec: int, usec: int, caller: bytes,
                 mesg: bytes, after: bool = False) -> None:
        self.level = level  # -1 when not parsed or invalid
        self.facility = facility
        self.sec = sec
        self.usec = usec
        self.caller = caller  # b"" when the record has none
        self.mesg = mesg
        # whether the byte just past the message is non-NUL: safe_fwrite() peeks at it to
        # decide if a trailing newline gets the indentation
        self.after = after


def read_dump(path: str) -> bytes:
    """mmap_file_buffer(): the file's bytes, with dmesg's errors for unusable files."""
    import errno as _errno

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        raise DmesgError(f"cannot open {path}: {os.strerror(e.errno or 0)}") from None
    try:
        st = os.fstat(fd)
        import stat as _stat

        if _stat.S_ISDIR(st.st_mode):
            code = _errno.ENODEV  # mmap() of a directory
        elif st.st_size == 0:
            code = _errno.EINVAL  # mmap() of nothing
        else:
            code = 0
        if code:
            raise DmesgError(f"cannot mmap: {path}: {os.strerror(code)}")
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise DmesgError(f"cannot mmap: {path}: {os.strerror(e.errno or 0)}") from None
    finally:
        os.close(fd)


def _at(buf: bytes, i: int) -> int:
    """buf[i], or NUL past the end (mmap pads the last page with zeros)."""
    return buf[i] if 0 <= i < len(buf) else 0


def _skip_item(buf: bytes, begin: int, end: int, sep: bytes) -> int:
    while begin < end:
        c = buf[begin]
        begin += 1
        if c == 0 or c in sep:
            break
    return begin


def split_pri(num: int) -> tuple[int, int]:
    """LOG_FAC()/LOG_PRI() of a priority, with parse_faclev()'s range checks (which let
    facility 24 through: it compares with '>' rather than '>=')."""
    fac = (num & 0x3F8) >> 3
    lev = num & 7
    if fac > len(FACILITY_NAMES):
        fac = -1
    return fac, lev


def _parse_faclev(buf: bytes, i: int, end: int, sep: int) -> tuple[int, int, int]:
    """Returns (index after the separator, facility, level); index unchanged on failure."""
    j = buf.find(sep, i, end)
    if j < 0 or 0 in buf[i:j]:
        return i, -1, -1
    num, k, overflow = strtol(buf, i)
    if not overflow and k > i and _at(buf, k) == sep:
        fac, lev = split_pri(num)
        return k + 1, fac, lev
    return i, -1, -1


def parse_syslog(buf: bytes, parse_pri: bool) -> Iterator[Entry]:
    """get_next_syslog_record() over a whole syslog(2)-format buffer."""
    n = len(buf)
    pos = 0
    remaining = n
    find = buf.find
    while remaining > 0:
        last = pos + remaining - 1
        begin = pos
        while begin <= last and buf[begin] == 0:  # zero(s) at the end of the buffer?
            begin += 1
        if begin > last:
            return
        end = find(b"\n<", begin + 1, last + 1)
        if end < 0:
            end = last + 1
        level = facility = -1
        sec = usec = 0
        caller = b""
        if buf[begin] == 60:  # '<'
            if parse_pri:
                begin, facility, level = _parse_faclev(buf, begin + 1, end, 62)
            else:
                begin = _skip_item(buf, begin, end, b">")
        c0 = buf[begin] if begin < n else 0
        c1 = buf[begin + 1] if begin + 1 < n else 0
        if c0 == 91 and (c1 == 32 or 48 <= c1 <= 57):  # '[' then ' ' or digit
            begin, sec, usec = _parse_timestamp(buf, begin + 1, end)
            if begin < end and buf[begin] == 32:
                begin += 1
            c0 = buf[begin] if begin < n else 0
            c1 = buf[begin + 1] if begin + 1 < n else 0
        if c0 == 91 and c1 in (32, 84, 67):  # '[' then ' ', 'T' or 'C'
            start = begin + 1
            while start < end and buf[start] == 32:
                start += 1
            begin = _skip_item(buf, begin, end, b"]")
            id_size = begin - start
            if 1 < id_size < PID_CHARS_MAX:
                caller = buf[start:start + id_size - 1].split(b"\0", 1)[0]
            if begin < end:
                mstart, msize = begin + 1, end - begin - 1
            else:
                mstart, msize = end, 0
        else:
            mstart, msize = begin, end - begin
        remaining -= end - pos
        has_next = remaining > 0
        if has_next:
            pos = end + 1
            remaining -= 1
        # don't count the newline ending the last message
        if (not has_next or buf[end] != 10) and _at(buf, end - 1) == 10 and msize > 0:
            msize -= 1
        mend = mstart + msize
        yield Entry(level, facility, sec, usec, caller, buf[mstart:mend], _at(buf, mend) != 0)


def _parse_timestamp(buf: bytes, i: int, end: int) -> tuple[int, int, int]:
    """parse_syslog_timestamp(): "sec.usec]". On failure the index stays just past '[' but
    whatever strtol() read is kept, as in C."""
    j = buf.find(b"]", i, end)
    if j < 0:
        return i, 0, 0
    field = buf[i:j]
    # the usual "[    1.000000]": plain digits, decided without the general strtol()
    dot = field.find(b".")
    if dot > 0 and j - i < 32:
        sec_s = field[:dot].lstrip(b" ")
        usec_s = field[dot + 1:]
        if sec_s.isdigit() and usec_s.isdigit() and len(sec_s) < 19 and len(usec_s) < 19:
            return j + 1, int(sec_s), int(usec_s)
    if 0 in field:
        return i, 0, 0
    sec, k, overflow = strtol(buf, i)
    usec = 0
    s = i
    if not overflow and _at(buf, k) == 46 and _at(buf, k + 1):  # '.'
        s = k + 1
        usec, k, overflow = strtol(buf, s)
    if overflow or k == s or _at(buf, k) != 93:
        return i, sec, usec
    return k + 1, sec, usec


def unhexmangle(buf: bytes, start: int, length: int) -> bytes:
    """lib/mangle.c unhexmangle_to_buffer(): decode \\xNN escapes in at most length-1 bytes
    (length 0 wraps around in C: no limit), stopping at a NUL."""
    limit = length - 1 if length > 0 else 1 << 64
    stop = buf.find(b"\0", start)
    if stop < 0:
        stop = len(buf)
    stop = min(stop, start + limit)
    src = buf[start:stop]
    if b"\\x" not in src:
        return src
    out = bytearray()
    i = 0
    n = len(src)
    hexdigits = b"0123456789abcdefABCDEF"
    while i < n:
        c = src[i]
        if (c == 92 and i + 3 < limit and i + 3 < n and src[i + 1] == 120
                and src[i + 2] in hexdigits and src[i + 3] in hexdigits):
            out.append(int(src[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(c)
            i += 1
    return bytes(out)


def parse_kmsg_record(buf: bytes, parse_pri: bool) -> Entry | None:
    """parse_kmsg_record() on one record (without its terminating NUL)."""
    sz = len(buf)
    if sz == 0 or buf[0] == 0:
        return None
    buf = buf + b"\0"
    end = sz - 1
    p = 0
    while p < end and buf[p] in b" \t\n\v\f\r":
        p += 1
    level = facility = -1
    sec = usec = 0
    caller = b""

    def last_field(q: int) -> bool:
        return not buf[q] or (q > 0 and buf[q - 1] == 59)  # ';'

    while True:  # a block to break out of, like the C gotos
        if parse_pri:
            p, facility, level = _parse_faclev(buf, p, end, 44)
        else:
            p = _skip_item(buf, p, end, b",")
        if last_field(p):
            break
        p = _skip_item(buf, p, end, b",;")  # sequence number
        if last_field(p):
            break
        p, sec, usec = _parse_kmsg_timestamp(buf, p, end, sec, usec)
        if last_field(p):
            break
        p = _skip_item(buf, p, end, b",;")  # flags and other optional fields
        p, caller = _parse_callerid(buf, p, end)
        break
    mesg = p
    p = _skip_item(buf, p, end, b"\n")
    if buf[p] and buf[p] != 10:
        p -= 1
    text = unhexmangle(buf, mesg, p - mesg + 1)
    # the decoded text is NUL-terminated in place, so nothing follows it
    return Entry(level, facility, sec, usec, caller, text, False)


def _parse_kmsg_timestamp(buf: bytes, i: int, end: int, sec: int, usec: int
                          ) -> tuple[int, int, int]:
    region = buf[i:end]
    if b"," not in region.split(b"\0", 1)[0] and b";" not in region.split(b"\0", 1)[0]:
        return i, sec, usec
    v, k, overflow = strtol(buf, i, unsigned=True)
    if not overflow and k <= end and buf[k] in (59, 44):
        return k + 1, v // 1_000_000, v % 1_000_000
    return i, sec, usec


def _parse_callerid(buf: bytes, p: int, end: int) -> tuple[int, bytes]:
    nul = buf.find(b"\0", p)
    cid = buf.find(b"caller=", p, nul)
    scn = buf.find(b";", p, nul)
    if cid >= 0 and scn >= 0 and cid < scn:
        nxt = cid + 7
        after = _skip_item(buf, nxt, end, b",;")
        size = after - nxt
        if size < PID_CHARS_MAX:
            return after, buf[nxt:nxt + size - 1] if size > 0 else b""
    return p, b""


def parse_kmsg_file(buf: bytes, parse_pri: bool) -> Iterator[Entry]:
    """print_kmsg_file(): NUL-separated /dev/kmsg records."""
    pos = 0
    n = len(buf)
    while pos < n:
        nul = buf.find(b"\0", pos)
        stop = n if nul < 0 else nul
        if stop - pos >= KMSG_BUF:
            raise DmesgError("record too large")
        rec = parse_kmsg_record(buf[pos:stop], parse_pri)
        if rec is not None:
            yield rec
        pos = stop + 1 if stop < n else n


def caller_id_size() -> int:
    """max_threads_id_size(): the length of /proc/sys/kernel/pid_max's contents."""
    try:
        with open("/proc/sys/kernel/pid_max", "rb") as f:
            data = f.read(PID_CHARS_MAX)
    except OSError:
        return PID_CHARS_DEFAULT
    return len(data.split(b"\0", 1)[0])
