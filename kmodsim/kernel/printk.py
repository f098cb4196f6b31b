"""printk and the pr_* family (include/linux/printk.h, kernel/printk/printk.c)."""

from __future__ import annotations

import os

from kmodsim.formats.kmsg import Record
from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.cformat import format_c
from kmodsim.kernel.time import now_usec

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
    log(_current.entry(), level, text, cont)
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


# -- the ring buffer ------------------------------------------------------------------------

LOG_BUF_LEN = 128 * 1024  # CONFIG_LOG_BUF_SHIFT=17
RECORD_OVERHEAD = 16  # bytes a record's descriptor costs in the kernel's ring buffer
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
        self.hints = os.environ.get("KMODSIM_NO_HINTS", "") in ("", "0")

    def add(self, level: int, text: str, cont: bool) -> None:
        ends_line = text.endswith("\n")
        if ends_line:
            text = text[:-1]
        if cont and self.open_record and self.records:
            self.records[-1].text += text
        else:
            if level < 0:
                level = MESSAGE_LOGLEVEL_DEFAULT
            seq = self.int_var("next_seq")
            self.set_var("next_seq", seq + 1)
            self.records.append(Record(seq, now_usec(self.k), level, text, cont=cont,
                                       caller=f"T{self.k.task.pid}"))
        self.open_record = not ends_line

    def save(self) -> None:
        if self.records:
            self._flush()

    def _flush(self) -> None:
        db = self.k.db
        db.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [(r.seq, r.ts_usec, r.level, r.facility, int(r.cont), r.caller, r.text)
                        for r in self.records])
        self.logged.extend(self.records)
        used = self.int_var("log_bytes") + sum(_size(r.text) for r in self.records)
        capacity = self.int_var("log_buf_len", LOG_BUF_LEN)
        if used > capacity:  # the oldest records make room, as in the kernel's ring buffer
            cut = None
            for seq, text in db.execute("SELECT seq, text FROM log ORDER BY seq"):
                if used <= capacity:
                    break
                used -= _size(text)
                cut = seq
            if cut is not None:
                db.execute("DELETE FROM log WHERE seq <= ?", (cut,))
        self.set_var("log_bytes", used)
        self.records = []

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

    def records_after(self, after_seq: int | None) -> list[Record]:
        rows = self.k.db.execute(
            "SELECT seq, ts_usec, level, facility, cont, caller, text FROM log "
            "WHERE seq > ? ORDER BY seq", (-1 if after_seq is None else after_seq,))
        # Caller ids are kept, but /dev/kmsg shows them only on a kernel built with
        # CONFIG_PRINTK_CALLER, which distribution kernels are not: dmesg's plain layout.
        caller = os.environ.get("KMODSIM_PRINTK_CALLER", "") not in ("", "0")
        return [Record(s, t, lv, tx, fac, bool(c), cl if caller else None)
                for s, t, lv, fac, c, cl, tx in rows]


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape")) + RECORD_OVERHEAD


def log(k: Kernel, level: int, text: str, cont: bool = False) -> None:
    """printk() from the kernel's own code: `text` ends with a newline to end the record."""
    k.state(PrintkState).add(level, text, cont)


def log_lines(k: Kernel, lines: list[tuple[int, str]]) -> None:
    state = k.state(PrintkState)
    for level, text in lines:
        state.add(level, text + "\n", False)


def hint(k: Kernel, text: str) -> None:
    """kmodsim's own line after a kernel report (unless hints are off)."""
    state = k.state(PrintkState)
    if state.hints:
        state.add(6, text + "\n", False)
