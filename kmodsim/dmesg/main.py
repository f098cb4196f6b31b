"""`dmesg` as a function of its arguments: what dmesg.c's main() does once options are
parsed, over dump files (-F/-K) or the simulated machine's ring buffer.

Kept free of click so that a launcher can call `run()` without importing it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from kmodsim.dmesg.levels import DmesgError
from kmodsim.dmesg.options import TRY_HELP, Control, needs_boot_time, parse_args
from kmodsim.errors import KmodError

if TYPE_CHECKING:
    from kmodsim.dmesg.parse import Entry
    from kmodsim.dmesg.render import Renderer
    from kmodsim.formats.kmsg import Record
    from kmodsim.machine import Machine

FOLLOW_INTERVAL = 0.2  # seconds between polls of the ring buffer with -w/-W


class _Stop(Exception):
    """SIGINT/SIGTERM while following: leave quietly."""


def run(argv: list[str], stdout: BinaryIO | None = None, stderr: BinaryIO | None = None,
        machine: Callable[[], Machine] | None = None) -> int:
    """Run dmesg with argv (options only, no program name); returns the exit status.

    `machine` gives the simulated machine when the ring buffer is needed (never for
    -F/-K reads); by default a Machine for KMODSIM_HOME.
    """
    global _machine_factory
    out = stdout or sys.stdout.buffer
    err = stderr or sys.stderr.buffer
    _machine_factory = machine
    try:
        try:
            return _run(argv, out)
        except DmesgError as e:
            out.flush()
            if e.message is not None:
                err.write(f"dmesg: {e.message}\n".encode(errors="surrogateescape"))
            if e.try_help:
                err.write(f"{TRY_HELP}\n".encode())
            err.flush()
            return e.status
        except KmodError as e:  # the machine can't be used (the store), as other commands say
            out.flush()
            err.write("".join(line + "\n" for line in e.lines).encode(errors="surrogateescape"))
            err.flush()
            return e.exit_code
    except BrokenPipeError:
        # like dmesg, a reader that went away is not an error; keep Python from
        # complaining again when it flushes stdout at exit
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 0


def _run(argv: list[str], out: BinaryIO) -> int:
    parsed = parse_args(argv)
    if parsed == "help":
        from kmodsim.dmesg.options import usage

        out.write(usage().encode())
        out.flush()
        return 0
    if parsed == "version":
        from kmodsim.dmesg.options import version

        out.write(version().encode())
        out.flush()
        return 0
    assert isinstance(parsed, Control)
    ctl = parsed
    live = ctl.filename is None and ctl.method != "mmap"
    boot_usec = _boot_usec(ctl, live) if needs_boot_time(ctl) else 0
    if not ctl.json:
        ctl.color = _colors_wanted(ctl.colormode, out)

    if ctl.action in ("read", "read_clear"):
        if ctl.raw and ctl.method != "kmsg" and (ctl.levels is not None
                                                 or ctl.facilities is not None):
            raise DmesgError("--raw can be used together with --level or --facility only "
                             "when reading messages from /dev/kmsg")
        if ctl.force_prefix and ctl.method != "kmsg":
            raise DmesgError("only kmsg supports multi-line messages")
        from kmodsim.dmesg.render import Renderer

        renderer = Renderer(ctl, boot_usec)
        if live:
            _read_live(ctl, renderer, out)
        else:
            _read_file(ctl, renderer, out)
        if ctl.action == "read_clear" and not live:
            _machine().clear_log()
        return 0
    m = _machine()
    if ctl.action == "clear":
        m.clear_log()
    elif ctl.action in ("console_off", "console_on"):
        m.set_console_enabled(ctl.action == "console_on")
    elif ctl.action == "level":
        m.set_console_level(ctl.console_level)
    return 0


_machine_factory: Callable[[], Machine] | None = None


def _machine() -> Machine:
    if _machine_factory is not None:
        return _machine_factory()
    from kmodsim.machine import Machine

    return Machine()


def _boot_usec(ctl: Control, live: bool) -> int:
    """Boot time plus time spent suspended, in microseconds since the epoch."""
    from kmodsim.dmesg import clock

    env = clock.env_boot_time()
    if env is not None:
        return env[0] * 1_000_000 + env[1]
    if live:
        return int(round(_machine().boot_time() * 1_000_000))
    # a dump file: like dmesg, read it against this host's boot
    sec, usec, suspended = clock.host_boot_time()
    return sec * 1_000_000 + usec + suspended


def _colors_wanted(mode: str, out: BinaryIO) -> bool:
    """colors_init(): `always`, or a terminal that has colours for auto/undefined. With no
    -L/--color option, `kmod --color=WHEN` (KMODSIM_COLOR) decides; with neither, NO_COLOR
    (set to anything) turns colours off, as in util-linux 2.41."""
    if mode == "undef" and os.environ.get("KMODSIM_COLOR") in ("auto", "always", "never"):
        mode = os.environ["KMODSIM_COLOR"]
    if mode == "always":
        return True
    if mode == "never":
        return False
    if mode == "undef" and "NO_COLOR" in os.environ:
        return False
    try:
        tty = os.isatty(out.fileno())
    except (OSError, ValueError, AttributeError):
        tty = False
    term = os.environ.get("TERM", "")
    return tty and term not in ("", "dumb", "unknown")


def _emit(renderer: Renderer, entries: Iterable[Entry], out: BinaryIO, pager: bool) -> None:
    record = renderer.record
    try:
        for e in entries:
            record(e)
    finally:
        # what was rendered before a failure (e.g. "record too large") is still printed
        renderer.finish()
        data = renderer.take()
        if pager and data:
            _page(data, out)
        else:
            out.write(data)
            out.flush()


def _page(data: bytes, out: BinaryIO) -> None:
    """pager_open(): through $PAGER (default less, LESS=FRSX) when stdout is a terminal."""
    try:
        tty = os.isatty(out.fileno())
    except (OSError, ValueError, AttributeError):
        tty = False
    pager = os.environ.get("PAGER", "less")
    if not tty or not pager or pager == "cat":
        out.write(data)
        out.flush()
        return
    import subprocess

    env = dict(os.environ)
    env.setdefault("LESS", "FRSX")
    env.setdefault("LV", "-c")
    try:
        proc = subprocess.Popen(["/bin/sh", "-c", pager], stdin=subprocess.PIPE, env=env)
    except OSError:
        out.write(data)
        out.flush()
        return
    try:
        assert proc.stdin is not None
        proc.stdin.write(data)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    proc.wait()


def _read_file(ctl: Control, renderer: Renderer, out: BinaryIO) -> None:
    from kmodsim.dmesg import parse

    assert ctl.filename is not None
    buf = parse.read_dump(ctl.filename)
    if ctl.method == "mmap":
        if ctl.raw:
            # raw_print(): the file as it is, escaped, ending with a newline
            from kmodsim.dmesg.escape import escape

            data = escape(buf, 0, False, ctl.noesc)
            out.write(data if buf.endswith(b"\n") else data + b"\n")
            out.flush()
            return
        entries: Iterator[Entry] = parse.parse_syslog(buf, ctl.parse_pri)
    else:
        entries = parse.parse_kmsg_file(buf, ctl.parse_pri)
    _emit(renderer, entries, out, ctl.pager)


def to_entries(records: Iterable[Record]) -> Iterator[Entry]:
    """Ring-buffer records as dmesg reads them from /dev/kmsg: the kernel escapes the text
    and dmesg unescapes it, so the message is the text's bytes, newlines included."""
    from kmodsim.dmesg.parse import PID_CHARS_MAX, Entry, split_pri

    for r in records:
        fac, lev = split_pri(r.pri)
        caller = r.caller.encode() if r.caller else b""
        if len(caller) >= PID_CHARS_MAX - 1:
            caller = b""
        yield Entry(lev, fac, r.ts_usec // 1_000_000, r.ts_usec % 1_000_000, caller,
                    r.text.encode("utf-8", "surrogateescape"))


def syslog_buffer(records: Iterable[Record]) -> bytes:
    """The kernel's syslog(2) text for records (printk.c info_print_prefix with
    CONFIG_PRINTK_CALLER): every line of a record gets the prefix."""
    parts = []
    for r in records:
        sec, usec = divmod(r.ts_usec, 1_000_000)
        prefix = b"<%d>[%5d.%06d]" % (r.pri, sec, usec)
        if r.caller:
            prefix += b"[%6s]" % r.caller.encode()
        prefix += b" "
        for line in r.text.encode("utf-8", "surrogateescape").split(b"\n"):
            parts.append(prefix + line + b"\n")
    return b"".join(parts)


def _read_live(ctl: Control, renderer: Renderer, out: BinaryIO) -> None:
    from kmodsim.dmesg import parse

    m = _machine()
    if ctl.action == "read_clear":
        records = m.read_clear_log()
    else:
        records = m.log_records()
    if ctl.method == "syslog":
        ctl.caller_id_size = parse.SYSLOG_CALLER_ID_CHARS
        buf = syslog_buffer(records)
        if ctl.raw:
            from kmodsim.dmesg.escape import escape

            if buf:
                out.write(escape(buf, 0, False, ctl.noesc))
                out.flush()
            return
        _emit(renderer, parse.parse_syslog(buf, ctl.parse_pri), out, ctl.pager)
        return
    ctl.caller_id_size = parse.caller_id_size()
    last_seq = records[-1].seq if records else None
    if not ctl.follow:
        _emit(renderer, to_entries(records), out, ctl.pager)
        return
    _follow(m, ctl, renderer, out, [] if ctl.end else records, last_seq)


def _follow(m: object, ctl: Control, renderer: Renderer, out: BinaryIO,
            first: list[Record], last_seq: int | None) -> None:
    """-w/-W: print records as they are logged, until SIGINT or SIGTERM."""
    import signal
    import time

    def stop(signum: int, frame: object) -> None:
        raise _Stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        batch = first
        while True:
            if batch:
                for e in to_entries(batch):
                    renderer.record(e)
                data = renderer.take()
                if data:
                    out.write(data)
                    out.flush()
                last_seq = batch[-1].seq
            time.sleep(FOLLOW_INTERVAL)
            m.run_timers()  # type: ignore[attr-defined]
            batch = m.log_records(after_seq=last_seq)  # type: ignore[attr-defined]
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
