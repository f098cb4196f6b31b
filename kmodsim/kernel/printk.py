"""printk and the pr_* family (include/linux/printk.h, kernel/printk/printk.c)."""

from __future__ import annotations

import os
import sqlite3

from kmodsim.formats.kmsg import Record
from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.cformat import format_c
from kmodsim.kernel.time import TimeState, now_usec

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
    formatted = format_c(fmt, args)
    prefix_level, cont, text = _parse_prefix(formatted)
    # pr_info() and friends are printk(KERN_INFO fmt): their level is a 2-byte prefix too
    prefix_len = len(formatted) - len(text) + (0 if level == -1 else 2)
    if level == -1:
        level = prefix_level
    _current.entry().state(PrintkState).add(level, text, cont, prefix_len)
    return len(text)


def printk(fmt: str, *args: object) -> int:
    return vprintk(fmt, args)


def _pr_fmt(fmt: str) -> str:
    """pr_*()'s format through the module's `pr_fmt`, if it defines one (C's
    `#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt` is `def pr_fmt(fmt): return
    KBUILD_MODNAME + ": " + fmt`)."""
    module = _current.module()
    custom = module.ns.get("pr_fmt") if module is not None else None
    return custom(fmt) if callable(custom) else fmt


def pr_emerg(fmt: str, *args: object) -> int:
    return vprintk(_pr_fmt(fmt), args, LOGLEVEL_EMERG)


def pr_alert(fmt: str, *args: object) -> int:
    return vprintk(_pr_fmt(fmt), args, LOGLEVEL_ALERT)


def pr_crit(fmt: str, *args: object) -> int:
    return vprintk(_pr_fmt(fmt), args, LOGLEVEL_CRIT)


def pr_err(fmt: str, *args: object) -> int:
    return vprintk(_pr_fmt(fmt), args, LOGLEVEL_ERR)


def pr_warn(fmt: str, *args: object) -> int:
    return vprintk(_pr_fmt(fmt), args, LOGLEVEL_WARNING)


pr_warning = pr_warn


def pr_notice(fmt: str, *args: object) -> int:
    return vprintk(_pr_fmt(fmt), args, LOGLEVEL_NOTICE)


def pr_info(fmt: str, *args: object) -> int:
    return vprintk(_pr_fmt(fmt), args, LOGLEVEL_INFO)


def pr_cont(fmt: str, *args: object) -> int:
    return vprintk(KERN_CONT + fmt, args)


def pr_debug(fmt: str, *args: object) -> int:
    """Compiled out unless the module defines DEBUG (as `#define DEBUG` would)."""
    module = _current.module()
    if module is None or not module.ns.get("DEBUG"):
        return 0
    return vprintk(_pr_fmt(fmt), args, LOGLEVEL_DEBUG)


pr_devel = pr_debug


# -- the ring buffer ------------------------------------------------------------------------

LOG_BUF_LEN = 128 * 1024  # CONFIG_LOG_BUF_SHIFT=17
LOG_BUF_LEN_MAX = 1 << 31  # log_buf_len= is capped there
MIN_LOG_BUF_LEN = 4096  # kmodsim lets a boot shrink the buffer (the kernel only grows it)
# CONSOLE_LOG_MAX less PREFIX_MAX (32: no CONFIG_PRINTK_CALLER): the most one printk reserves
LOG_LINE_MAX = 1024 - 32
TRUNC_MSG = b"<truncated>"
RECORD_OVERHEAD = 16  # bytes a record's descriptor costs in the kernel's ring buffer
# Records the ring buffer dropped stay in the table (below printk.first_seq, unseen) until
# this many have: one DELETE for many, rather than one more page written by every command.
TRIM_BATCH = 256
READ_AHEAD = 64  # the oldest records a full ring reads at once (and remembers)
# The ring's counters and the clock's last reading change with every record, and the records
# themselves give them back (catch_up): so they are written to the meta table only when a page
# of it is written anyway, or once every CHECKPOINT records (what a later entry reads back).
COUNTERS = frozenset({"printk.next_seq", "printk.log_bytes", "printk.first_seq",
                      "time.last_usec"})
CHECKPOINT = 32
# KERN_ERR and worse reach the console, as on a distribution kernel booted with `quiet`
CONSOLE_LOGLEVEL_DEFAULT = 4


class PrintkState(State):
    """The ring buffer (table `log`), the record still open for a continuation, and the
    console settings. Records logged in an entry are written to the table at its end."""

    PREFIX = "printk"

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.records: list[Record] = []  # logged, not yet written to the store
        self.logged: list[Record] = []  # everything this entry logged (for the console)
        self.open_record = False  # the last record still waits for its continuation
        self.cleared = False  # dmesg -C emptied the ring: no record gives the counters back

    def add(self, level: int, text: str, cont: bool, prefix_len: int = 2) -> None:
        """vprintk_store(): `text` follows `prefix_len` bytes of KERN_* prefix in what was
        formatted. One printk reserves at most LOG_LINE_MAX bytes, prefix and terminating
        NUL included (a u16: past 64 KiB the count wraps, as in the kernel); what doesn't
        fit is cut, trailing newline and all, so the record stays open."""
        raw = _encode(text)
        reserve = min((prefix_len + len(raw) + 1) & 0xFFFF, LOG_LINE_MAX)
        keep = max(0, reserve - 1 - prefix_len)
        if keep < len(raw):
            raw = raw[:keep]
            text = raw.decode("utf-8", "surrogateescape")
        ends_line = raw.endswith(b"\n")
        if ends_line:
            text = text[:-1]
            raw = raw[:-1]
        last = self.records[-1] if self.records else None
        # prb_reserve_in_last(): a continuation extends the open record while it fits
        if cont and self.open_record and last is not None and \
                len(_encode(last.text)) + reserve <= LOG_LINE_MAX:
            last.text += text
        else:
            if level < 0:
                level = MESSAGE_LOGLEVEL_DEFAULT
            capacity = self.int_var("log_buf_len", LOG_BUF_LEN)
            if len(raw) + RECORD_OVERHEAD > capacity:  # truncate_msg(): too big for the ring
                raw = raw[:max(0, capacity // 4 - len(TRUNC_MSG))] + TRUNC_MSG
                text = raw.decode("utf-8", "surrogateescape")
            if self.var("unfinished") is not None:  # a new record finalizes the open one
                self.set_var("unfinished", None)
            seq = self.int_var("next_seq")
            self.set_var("next_seq", seq + 1)
            self.records.append(Record(seq, now_usec(self.k), level, text, cont=cont,
                                       caller=f"T{self.k.task.pid}"))
        self.open_record = not ends_line

    def save(self) -> None:
        dirty = self.k.meta_dirty
        if self.records:
            first_seq = self.records[0].seq
            newest_usec = self._flush()
            if self._given_back(first_seq, newest_usec):
                dirty.difference_update(COUNTERS)
                return
        if self.cleared or not dirty.isdisjoint(COUNTERS):  # all of them, so they agree
            dirty.update(key for key in COUNTERS if key in self.k.meta)

    def _flush(self) -> int:
        """Write the records logged; the newest one's timestamp."""
        db = self.k.db
        rows = []
        used = self.int_var("log_bytes")
        newest_usec = 0
        for r in self.records:
            kept, size = _stored(r.text)
            rows.append((r.seq, r.ts_usec, r.level, r.facility, int(r.cont), r.caller, kept))
            used += size
            newest_usec = max(newest_usec, r.ts_usec)
        db.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self.logged.extend(self.records)
        clock = self.k.state(TimeState)
        if newest_usec > clock.int_var("last_usec"):  # a timer's record, logged at its deadline
            clock.set_var("last_usec", newest_usec)  # as catch_up() would read it back
        capacity = self.int_var("log_buf_len", LOG_BUF_LEN)
        if used > capacity:
            kept = self.k.remembered("log")
            oldest = kept.pop("oldest", None) if kept is not None else None
            used, first, oldest = _drop_oldest(db, used, capacity, self.int_var("first_seq"),
                                               oldest)
            if kept is not None and oldest:  # the next command's oldest, from `first` on
                kept["oldest"] = oldest
            self.set_var("first_seq", first)  # older records are gone; their rows go
            if first - self.int_var("deleted_to") >= TRIM_BATCH:  # a batch at a time
                db.execute("DELETE FROM log WHERE seq < ?", (first,))
                self.set_var("deleted_to", first)
        self.set_var("log_bytes", used)
        if self.open_record:  # readers see a record only once it is finalized
            self.set_var("unfinished", self.records[-1].seq)
        self.records = []
        return newest_usec

    def _given_back(self, first_seq: int, newest_usec: int) -> bool:
        """After a flush of records first_seq on, the newest logged at newest_usec: may the
        counters go unwritten? Only when nothing else of the meta table is written, no
        checkpoint is due, the ring wasn't emptied, and catch_up() gives them back."""
        return (not self.cleared and self.k.meta_dirty.issubset(COUNTERS)
                and first_seq // CHECKPOINT == self.int_var("next_seq") // CHECKPOINT
                and self.k.state(TimeState).int_var("last_usec") <= newest_usec)

    def console_lines(self) -> list[str]:
        """What the console showed of this entry's records: those more urgent than
        console_loglevel, unless the console is off (dmesg -D)."""
        if not self.int_var("console_enabled", 1):
            return []
        level = self.int_var("console_loglevel", CONSOLE_LOGLEVEL_DEFAULT)
        out = []
        for r in self.logged:
            if r.level < level:
                sec, usec = divmod(r.ts_usec, 1_000_000)
                out.extend(f"[{sec:5d}.{usec:06d}] {line}\n" for line in r.text.split("\n"))
        return out

    def clear(self) -> None:
        """dmesg -C: the ring buffer empties; sequence numbers go on."""
        self.k.db.execute("DELETE FROM log")
        self.set_var("log_bytes", 0)
        self.cleared = True
        kept = self.k.remembered("log")
        if kept is not None:
            kept.clear()

    def records_after(self, after_seq: int | None) -> list[Record]:
        # a record still open for a continuation (no newline yet) isn't finalized: /dev/kmsg
        # readers don't see it until its newline, or the next record, comes
        unfinished = self.var("unfinished")
        rows = self.k.db.execute(
            "SELECT seq, ts_usec, level, facility, cont, caller, text FROM log "
            "WHERE seq > ? AND seq >= ? AND seq IS NOT ? ORDER BY seq",
            (-1 if after_seq is None else after_seq, self.int_var("first_seq"), unfinished))
        # Caller ids are kept, but /dev/kmsg shows them only on a kernel built with
        # CONFIG_PRINTK_CALLER, which distribution kernels are not: dmesg's plain layout.
        caller = os.environ.get("KMODSIM_PRINTK_CALLER", "") not in ("", "0")
        return [Record(s, t, lv, tx if isinstance(tx, str) else
                       bytes(tx).decode("utf-8", "surrogateescape"), fac, bool(c),
                       cl if caller else None)
                for s, t, lv, fac, c, cl, tx in rows]


def _drop_oldest(db: sqlite3.Connection, used: int, capacity: int, first: int,
                 oldest: list[tuple[int, int]] | None) -> tuple[int, int, list[tuple[int, int]]]:
    """The oldest records make room, as in the kernel's ring buffer, until `used` bytes fit
    in `capacity`: (used, the first record kept, what is left of `oldest`). `oldest`: (seq,
    size) of the oldest records from `first` on, newest first, read a batch at a time."""
    oldest = oldest or []
    while used > capacity:
        if not oldest:
            oldest = [(seq, _size(text)) for seq, text in db.execute(
                "SELECT seq, text FROM log WHERE seq >= ? ORDER BY seq LIMIT ?",
                (first, READ_AHEAD))][::-1]
            if not oldest:
                break
        seq, size = oldest.pop()
        used -= size
        first = seq + 1
    return used, first, oldest


def catch_up(db: sqlite3.Connection, meta: dict[str, object]) -> None:
    """Bring the machine-wide values as read from the meta table up to date with the records
    logged since the ring's counters were last written there (PrintkState._given_back):
    the next sequence number, the bytes used and the first record kept, and the clock's last
    reading (a record's timestamp is a time the clock showed)."""
    def stored(key: str, default: int = 0) -> int:
        return int(meta.get(key, default))  # type: ignore[call-overload]

    rows = db.execute("SELECT seq, ts_usec, text FROM log WHERE seq >= ? ORDER BY seq",
                      (stored("printk.next_seq"),)).fetchall()
    if not rows:
        return
    meta["printk.next_seq"] = rows[-1][0] + 1
    meta["time.last_usec"] = max(stored("time.last_usec"), *(row[1] for row in rows))
    used = stored("printk.log_bytes") + sum(_size(row[2]) for row in rows)
    capacity = stored("printk.log_buf_len", LOG_BUF_LEN)
    if used > capacity:
        used, meta["printk.first_seq"], _ = _drop_oldest(
            db, used, capacity, stored("printk.first_seq"), None)
    meta["printk.log_bytes"] = used


def memparse(text: str) -> int | None:
    """lib/cmdline.c memparse(): a number in C's notation (0x hex, 0 octal) with an optional
    K, M, G, T, P or E suffix, in 64-bit arithmetic that wraps as the kernel's does; what
    follows is ignored. None if `text` doesn't start with a number."""
    s = text.lower()
    base, i = 10, 0
    if s[:1] == "0":
        if s[1:2] == "x" and s[2:3] and s[2] in "0123456789abcdef":
            base, i = 16, 2
        else:
            base = 8
    digits = "0123456789abcdef"[:base]
    start, value = i, 0
    while i < len(s) and s[i] in digits:
        value = (value * base + digits.index(s[i])) & 0xFFFF_FFFF_FFFF_FFFF
        i += 1
    if i == start and base != 8:
        return None
    shift = "kmgtpe".find(s[i:i + 1]) + 1 if s[i:i + 1] else 0
    return (value << (10 * shift)) & 0xFFFF_FFFF_FFFF_FFFF


def log_buf_len_update(size: int) -> tuple[int, list[str]]:
    """kernel/printk/printk.c log_buf_len_update(): the ring buffer a log_buf_len= boot
    parameter gives (capped at 2 GiB, rounded up to a power of two; 0 keeps the default),
    and the kernel's messages about it."""
    messages = []
    if size > LOG_BUF_LEN_MAX:
        size = LOG_BUF_LEN_MAX
        messages.append("log_buf over 2G is not supported.")
    if size:
        size = 1 << (size - 1).bit_length()
    return size or LOG_BUF_LEN, messages


def boot_log_buf(k: Kernel, size: int, messages: list[str]) -> None:
    """A boot with log_buf_len=: the early messages, then setup_log_buf()'s report when the
    buffer grew (the early records are copied; what they took is no longer free)."""
    state = k.state(PrintkState)
    for text in messages:
        state.add(LOGLEVEL_ERR, f"printk: {text}\n", False)
    if size > LOG_BUF_LEN:
        used = sum(len(_encode(r.text)) for r in state.records)
        free = max(0, LOG_BUF_LEN - used)
        state.add(LOGLEVEL_INFO, f"printk: log_buf_len: {size} bytes\n", False)
        state.add(LOGLEVEL_INFO, f"printk: early log buf free: {free}"
                                 f"({free * 100 // LOG_BUF_LEN}%)\n", False)
    state.set_var("log_buf_len", size)


def _encode(text: str) -> bytes:
    """A record's bytes. Text holds what isn't UTF-8 (a learner's Latin-1 through %s) as
    surrogate escapes; a lone surrogate from elsewhere becomes its escape's text."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


def _stored(text: str) -> tuple[str | bytes, int]:
    """What SQLite keeps of a record, text when it is UTF-8, else its bytes (a blob in the
    same column, as the kernel keeps bytes); and its size in the ring (_size)."""
    try:
        return text, _size(text.encode("utf-8"))
    except UnicodeEncodeError:
        raw = _encode(text)
        return raw, _size(raw)


def _size(text: str | bytes) -> int:
    raw = text if isinstance(text, bytes) else _encode(text)
    return len(raw) + RECORD_OVERHEAD


def log(k: Kernel, level: int, text: str, cont: bool = False) -> None:
    """printk() from the kernel's own code: `text` ends with a newline to end the record."""
    k.state(PrintkState).add(level, text, cont)


def log_lines(k: Kernel, lines: list[tuple[int, str]]) -> None:
    state = k.state(PrintkState)
    for level, text in lines:
        state.add(level, text + "\n", False)


def hint(k: Kernel, text: str) -> None:
    """kmodsim's own line after a kernel report (unless hints are off)."""
    if os.environ.get("KMODSIM_NO_HINTS", "") in ("", "0"):
        state = k.state(PrintkState)
        state.add(6, text + "\n", False)
