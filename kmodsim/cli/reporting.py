"""What went wrong, said on the terminal: the few lines a command prints after `Killed` when
it made the kernel report something, and the pieces `kmod explain` (kmodsim.cli.explain) is
made of. Kept free of kmodsim.cli, which imports it after a command.

The kernel's reports stay where the kernel puts them, in the ring buffer (`kmod dmesg`);
these are kmodsim's own words about them, each line prefixed `kmodsim:`. After a command they
are printed only when stderr is a terminal (or KMODSIM_EXPLAIN=1): a teacher's script that
compares stderr sees what the real tools print, `Killed` and nothing more.

Their colours follow util-linux's rule: --color (KMODSIM_COLOR), else none with NO_COLOR set,
else on a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

from kmodsim.errors import KmodError

if TYPE_CHECKING:
    from kmodsim.formats.kmsg import Record
    from kmodsim.formats.reports import Report
    from kmodsim.machine import Machine

SHOWN_AFTER_COMMAND = 3  # reports explained after one command; more are counted
CONTEXT_LINES = 4  # lines of source either side of the faulting one

BOLD, RED, DIM, RESET = "\033[1m", "\033[31m", "\033[2m", "\033[0m"


def color_wanted(stream: TextIO) -> bool:
    """kmodsim's own colours, by util-linux's rule: `--color` (KMODSIM_COLOR) always, never,
    or auto (on a terminal that has colours); without it, NO_COLOR (set to anything) turns
    them off, else auto."""
    mode = os.environ.get("KMODSIM_COLOR")
    if mode == "always":
        return True
    if mode == "never" or (mode != "auto" and "NO_COLOR" in os.environ):
        return False
    if os.environ.get("TERM", "") in ("", "dumb"):
        return False
    try:
        return os.isatty(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False


# -- reading the reports ----------------------------------------------------------------------

def records(m: Machine, callers: bool = False) -> list[Record]:
    """The ring buffer; with `callers`, each record's task (T<pid>), which /dev/kmsg shows
    only on a kernel with CONFIG_PRINTK_CALLER (KMODSIM_PRINTK_CALLER=1)."""
    if not callers:
        return m.log_records()
    saved = os.environ.get("KMODSIM_PRINTK_CALLER")
    os.environ["KMODSIM_PRINTK_CALLER"] = "1"
    try:
        return m.log_records()
    finally:
        if saved is None:
            del os.environ["KMODSIM_PRINTK_CALLER"]
        else:
            os.environ["KMODSIM_PRINTK_CALLER"] = saved


def reports_since(m: Machine, started: float) -> list[Report]:
    """The reports this process's task logged since `started` (time.time())."""
    from kmodsim.formats.reports import find_reports

    logged = records(m, callers=True)
    since = int((started - m.boot_time()) * 1_000_000)
    me = f"T{os.getpid()}"
    return find_reports(r for r in logged if r.caller == me and r.ts_usec >= since)


def shown_path(path: str) -> str:
    """A file as the user would type it: relative to here when it is below here."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def source_lines(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return None


def symbol_line(path: str, symbol: str) -> int | None:
    """The first line where module code names `symbol` (an unknown symbol's use)."""
    import io
    import tokenize

    try:
        with open(path, "rb") as f:
            tokens = list(tokenize.tokenize(io.BytesIO(f.read()).readline))
    except (OSError, SyntaxError, tokenize.TokenError):
        return None
    for tok in tokens:
        if tok.type == tokenize.NAME and tok.string == symbol:
            return tok.start[0]
    return None


def locate(report: Report, words: list[str] | None = None) -> None:
    """Fill in an unknown symbol's file and line: the module was never loaded, so the file
    is the one insmod was given (in `words`), or NAME.py here."""
    if report.symbol is None or report.file is not None:
        return
    from kmodsim.tools import module_file

    candidates = [module_file(w) for w in (words or [])[1:]
                  if not w.startswith("-") and w.endswith((".py", ".ko"))]
    candidates.append(f"{report.module}.py")
    for path in candidates:
        name = os.path.basename(path).removesuffix(".py").replace("-", "_")
        if name == report.module and os.path.isfile(path):
            report.file = os.path.abspath(path)
            report.line = symbol_line(path, report.symbol)
            return


def short_hint(report: Report) -> str | None:
    """The hint with its ` at FILE:LINE in fn()` said as ` at line LINE`: the file and the
    function are shown beside it."""
    if report.hint is None:
        return None
    if report.file is None or report.line is None or report.function is None:
        return report.hint
    at = f" at {report.file}:{report.line} in {report.function}()"
    return report.hint.replace(at, f" at line {report.line}", 1)


def way_out(m: Machine, report: Report, p: str, died: bool = False) -> str:
    """What to type next, from the machine as it is now. `died`: this process's task was
    killed, so the files it holds open (which keep the module in use) close when it exits,
    as a killed task's do. `p`: the name to suggest commands with (kmod or kmodsim)."""
    if report.panicked:
        return f"{p} reboot (the kernel has stopped)"
    name = report.module
    try:
        loaded = {info.name: info for info in m.modules()}
    except KmodError:  # the kernel has panicked since
        return f"{p} reboot (the kernel has stopped)"
    shown = shown_path(report.file) if report.file else None
    if name is None:
        return f"{p} reboot starts afresh"
    info = loaded.get(name)
    if info is None:
        return f"fix it, then {p} insmod {shown or name + '.py'}"
    if info.state == "Loading":
        return f"{p} reboot ({name} is stuck in its init: even rmmod -f can't remove it)"
    if (info.refcnt > 0 and not died) or info.state != "Live":
        return f"{p} rmmod -f {name} (it is in use), or {p} reboot"
    return f"{p} rmmod {name} (or {p} reboot), fix it, load it again"


# -- after a command --------------------------------------------------------------------------

def after_command(machine: Machine | None, words: list[str], started: float,
                  status: int, prog: str) -> None:
    """kmodsim's few lines on what the kernel reported while this command ran (nothing if it
    reported nothing). Never fails the command: the explanation is a courtesy."""
    try:
        sys.stdout.flush()
        if machine is None:
            if words[0] != "sh":
                return  # the command never reached the machine
            from kmodsim.machine import Machine

            machine = Machine()
        reports = reports_since(machine, started)
        if not reports:
            return
        for r in reports:
            locate(r, words)
        died = status in (128 + 9, 128 + 11)  # Killed, Segmentation fault
        sys.stderr.write(short_text(machine, reports, prog, color_wanted(sys.stderr), died))
        sys.stderr.flush()
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001
        if os.environ.get("KMODSIM_DEBUG"):
            raise
        del e


def short_text(m: Machine, reports: list[Report], prog: str, color: bool,
               died: bool = False) -> str:
    def paint(text: str, *styles: str) -> str:
        return "".join(styles) + text + RESET if color else text

    tag = paint("kmodsim:", DIM)
    out = []
    for r in reports[:SHOWN_AFTER_COMMAND]:
        hint = short_hint(r)
        if r.kind == "hint":  # the kernel said nothing: the hint is the headline
            out.append(f"{tag} {paint(hint or '', BOLD, RED)}")
            hint = None
        else:
            out.append(f"{tag} {paint(r.headline, BOLD, RED)}")
        where = None
        if r.file is not None:
            where = shown_path(r.file) + (f":{r.line}" if r.line else "")
            if r.function:
                where += f" in {r.function}()"
        if r.symbol is not None and where is not None:
            hint = f"{r.symbol} is defined nowhere, and no module exports it (a typo?)"
        if where is not None and hint:
            out.append(f"{tag}   {paint(where, BOLD)}: {hint}")
        elif where is not None:
            out.append(f"{tag}   {paint(where, BOLD)}")
        elif hint:
            out.append(f"{tag}   hint: {hint}")
        line = _line_of(r)
        if line is not None:
            out.append(f"{tag}   {r.line:>5} | {line.rstrip()}")
    if len(reports) > SHOWN_AFTER_COMMAND:
        more = len(reports) - SHOWN_AFTER_COMMAND
        out.append(f"{tag} and {more} more report{'s' if more > 1 else ''}: "
                   f"{prog} explain --list")
    out.append(f"{tag} way out: {way_out(m, reports[-1], prog, died)}; "
               f"details: {prog} explain")
    return "".join(line + "\n" for line in out)


def _line_of(r: Report) -> str | None:
    if r.file is None or r.line is None:
        return None
    lines = source_lines(r.file)
    if lines is None or not 0 < r.line <= len(lines):
        return None
    return lines[r.line - 1]
