"""dmesg's command line: a GNU getopt_long() work-alike (permutation, long-option prefixes,
optional arguments, glibc's error messages) and the option handling of dmesg.c's main().

click is not used for the options themselves: getopt's behaviour (e.g. `-L always` vs
`-Lalways`, `--dec` for `--decode`, "is ambiguous; possibilities: ...") is part of what
dmesg prints.
"""

from __future__ import annotations

from collections.abc import Iterator

from kmodsim.dmesg.levels import (
    FACILITY_HELP,
    FACILITY_NAMES,
    LEVEL_HELP,
    LEVEL_NAMES,
    DmesgError,
    parse_level,
    parse_list,
)
from kmodsim.getopt import GetoptError
from kmodsim.getopt import getopt_long as _getopt_long

# time formats, numbered as dmesg.c's DMESG_TIMEFTM_*
NONE, CTIME, CTIME_DELTA, DELTA, RELTIME, TIME, TIME_DELTA, ISO8601 = range(8)
_FMT_COUNT = 8
_TIME_FORMATS = {"notime": NONE, "ctime": CTIME, "delta": DELTA, "reltime": RELTIME,
                 "iso": ISO8601, "raw": TIME}

SHORTOPTS = "CcDdEeF:f:HhJK:kL::l:n:iPprSs:TtuVWwx"
# (name, has_arg: 0 none, 1 required, 2 optional, value) in dmesg.c's order
LONGOPTS = (
    ("buffer-size", 1, "s"), ("clear", 0, "C"), ("color", 2, "L"),
    ("console-level", 1, "n"), ("console-off", 0, "D"), ("console-on", 0, "E"),
    ("decode", 0, "x"), ("file", 1, "F"), ("facility", 1, "f"), ("follow", 0, "w"),
    ("follow-new", 0, "W"), ("human", 0, "H"), ("help", 0, "h"), ("json", 0, "J"),
    ("kernel", 0, "k"), ("kmsg-file", 1, "K"), ("level", 1, "l"), ("since", 1, "since"),
    ("syslog", 0, "S"), ("raw", 0, "r"), ("read-clear", 0, "c"), ("reltime", 0, "e"),
    ("show-delta", 0, "d"), ("ctime", 0, "T"), ("noescape", 0, "noescape"),
    ("notime", 0, "t"), ("nopager", 0, "P"), ("until", 1, "until"),
    ("userspace", 0, "u"), ("version", 0, "V"), ("time-format", 1, "time-format"),
    ("force-prefix", 0, "p"),
)
# mutually exclusive options, rows as in dmesg.c
_EXCL = ("CDEcnr", "FK", "Hr", "Lr", "Sw", "Tr", "dr", "er", "rx", "rt")

TRY_HELP = "Try 'kmod dmesg --help' for more information."


def getopt_long(argv: list[str]) -> Iterator[tuple[str, str | None]]:
    """dmesg's options through GNU getopt_long(); errors become dmesg's (with --help hint)."""
    try:
        yield from _getopt_long(argv, SHORTOPTS, LONGOPTS)
    except GetoptError as e:
        raise DmesgError(e.message, try_help=True) from None


class Control:
    """struct dmesg_control: everything the options decide."""

    def __init__(self) -> None:
        self.action = "read"  # read | read_clear | clear | console_off | console_on | level
        self.method = "kmsg"  # kmsg (the live ring buffer) | syslog | mmap (-F)
        self.filename: str | None = None
        self.levels: set[int] | None = None
        self.facilities: set[int] | None = None
        self.time_fmts: list[int] = []  # empty: the default, raw time
        self.since = 0
        self.until = 0
        self.follow = False
        self.end = False
        self.raw = False
        self.noesc = False
        self.decode = False
        self.pager = False
        self.nopager = False
        self.colormode = "undef"
        self.color = False
        self.json = False
        self.force_prefix = False
        self.console_level = 0
        self.caller_id_size = 0

    # -- the time format list (include/exclude/replace_time_fmt in dmesg.c) ---------------
    def has_fmt(self, fmt: int) -> bool:
        return fmt in self.time_fmts if self.time_fmts else fmt == TIME

    def include_fmt(self, fmt: int) -> None:
        if self.time_fmts and fmt in self.time_fmts:
            return
        if len(self.time_fmts) < _FMT_COUNT:
            self.time_fmts.append(fmt)

    def _merge_delta(self, delta: int, old: int, new: int) -> None:
        if delta in self.time_fmts:
            self.time_fmts.remove(delta)
        if old in self.time_fmts:
            self.time_fmts[self.time_fmts.index(old)] = new

    def formats(self) -> list[int]:
        return self.time_fmts or [TIME]

    @property
    def parse_pri(self) -> bool:
        """Whether records' <pri> is parsed at all (dmesg skips it when nothing needs it)."""
        return (self.levels is not None or self.facilities is not None or self.decode
                or self.color or self.json or (self.raw and self.method == "kmsg"))


def parse_args(argv: list[str]) -> Control | str:
    """The Control for argv, or "help"/"version" when those options came first."""
    from kmodsim.dmesg.parse import SYSLOG_CALLER_ID_CHARS, caller_id_size

    ctl = Control()
    excl_state = [""] * len(_EXCL)
    for opt, arg in getopt_long(argv):
        if opt == "":
            raise DmesgError("bad usage", try_help=True)
        for row_i, row in enumerate(_EXCL):
            if len(opt) == 1 and opt in row:
                if not excl_state[row_i]:
                    excl_state[row_i] = opt
                elif excl_state[row_i] != opt:
                    names = " ".join(_long_name(c) for c in row)
                    raise DmesgError(f"mutually exclusive arguments: {names}")
        if opt == "C":
            ctl.action = "clear"
        elif opt == "c":
            ctl.action = "read_clear"
        elif opt == "D":
            ctl.action = "console_off"
        elif opt == "E":
            ctl.action = "console_on"
        elif opt == "d":
            ctl.include_fmt(TIME_DELTA)
        elif opt == "e":
            ctl.include_fmt(RELTIME)
        elif opt == "F":
            ctl.filename, ctl.method = arg, "mmap"
            ctl.caller_id_size = SYSLOG_CALLER_ID_CHARS
        elif opt == "K":
            ctl.filename, ctl.method = arg, "kmsg"
            ctl.caller_id_size = caller_id_size()
        elif opt == "f":
            ctl.facilities = (ctl.facilities or set()) | parse_list(arg or "", levels=False)
        elif opt == "H":
            ctl.include_fmt(RELTIME)
            ctl.colormode = "auto"
            ctl.pager = True
        elif opt == "J":
            ctl.json = True
        elif opt == "k":
            ctl.facilities = (ctl.facilities or set()) | {0}
        elif opt == "L":
            ctl.colormode = "auto" if arg is None else _colormode(arg)
        elif opt == "l":
            ctl.levels = (ctl.levels or set()) | parse_list(arg or "", levels=True)
        elif opt == "n":
            ctl.action = "level"
            ctl.console_level = parse_level(arg or "")
        elif opt == "P":
            ctl.nopager = True
        elif opt == "p":
            ctl.force_prefix = True
        elif opt == "r":
            ctl.raw = True
        elif opt == "S":
            ctl.method = "syslog"
        elif opt == "s":
            _buffer_size(arg or "")
        elif opt == "T":
            ctl.include_fmt(CTIME)
        elif opt == "t":
            ctl.include_fmt(NONE)
        elif opt == "u":
            ctl.facilities = (ctl.facilities or set()) | set(range(1, len(FACILITY_NAMES)))
        elif opt == "w":
            ctl.follow = True
        elif opt == "W":
            ctl.follow = ctl.end = True
        elif opt == "x":
            ctl.decode = True
        elif opt == "time-format":
            if arg not in _TIME_FORMATS:
                raise DmesgError(f"unknown time format: {arg}")
            ctl.include_fmt(_TIME_FORMATS[arg])
        elif opt == "noescape":
            ctl.noesc = True
        elif opt in ("since", "until"):
            from kmodsim.dmesg.clock import parse_time_arg

            setattr(ctl, opt, parse_time_arg(arg or ""))
        elif opt == "h":
            return "help"
        elif opt == "V":
            return "version"
        else:  # 'i' is in dmesg's optstring but handled by nothing
            raise DmesgError(None, try_help=True)
    _settle(ctl)
    return ctl


def _settle(ctl: Control) -> None:
    """What main() does between option parsing and acting on them."""
    if ctl.json:
        ctl.time_fmts = []
        ctl.force_prefix = ctl.raw = False
        ctl.noesc = ctl.nopager = True
    # --notime with a delta keeps just the delta; without one, no time at all
    if ctl.has_fmt(NONE):
        ctl.time_fmts = [DELTA] if (ctl.has_fmt(TIME_DELTA) or ctl.has_fmt(DELTA)) else [NONE]
    if ctl.has_fmt(TIME_DELTA) and ctl.has_fmt(CTIME):
        ctl._merge_delta(TIME_DELTA, CTIME, CTIME_DELTA)
    if ctl.has_fmt(DELTA):
        if ctl.has_fmt(TIME):
            ctl._merge_delta(DELTA, TIME, TIME_DELTA)
        elif ctl.has_fmt(CTIME):
            ctl._merge_delta(DELTA, CTIME, CTIME_DELTA)
    if ctl.follow:
        ctl.nopager = True
    if ctl.nopager:
        ctl.pager = False


def needs_boot_time(ctl: Control) -> bool:
    return bool(any(ctl.has_fmt(f) for f in (RELTIME, CTIME, CTIME_DELTA, ISO8601))
                or ctl.since or ctl.until)


def _long_name(c: str) -> str:
    for name, _, val in LONGOPTS:
        if val == c:
            return f"--{name}"
    return f"-{c}"


def _colormode(arg: str) -> str:
    p = arg[1:] if arg.startswith("=") else arg
    low = p.lower()
    if low in ("auto", "never", "always"):
        return low
    raise DmesgError(f"unsupported color mode: '{p}'")


def _buffer_size(arg: str) -> int:
    """strtou32_or_err(): accepted and checked, though kmodsim has no buffer to size."""
    from kmodsim.dmesg.levels import strtol

    v, end, overflow = strtol(arg, 0)
    if end == 0 or end != len(arg) or arg.lstrip().startswith("-"):
        raise DmesgError(f"invalid buffer size argument: '{arg}'")
    if overflow or v > 0xFFFFFFFF:
        raise DmesgError(f"invalid buffer size argument: '{arg}': "
                         "Numerical result out of range")
    return max(v, 4096)


def usage() -> str:
    lines = [
        "",
        "Usage:",
        " kmod dmesg [options]",
        "",
        "Display or control the kernel ring buffer.",
        "",
        "Options:",
        " -C, --clear                 clear the kernel ring buffer",
        " -c, --read-clear            read and clear all messages",
        " -D, --console-off           disable printing messages to console",
        " -E, --console-on            enable printing messages to console",
        " -F, --file <file>           use the file instead of the kernel log buffer",
        " -K, --kmsg-file <file>      use the file in kmsg format",
        " -f, --facility <list>       restrict output to defined facilities",
        " -H, --human                 human readable output",
        " -J, --json                  use JSON output format",
        " -k, --kernel                display kernel messages",
        " -L, --color[=<when>]        colorize messages (auto, always or never)",
        "                               colors are enabled by default",
        " -l, --level <list>          restrict output to defined levels",
        " -n, --console-level <level> set level of messages printed to console",
        " -P, --nopager               do not pipe output into a pager",
        " -p, --force-prefix          force timestamp output on each line of multi-line"
        " messages",
        " -r, --raw                   print the raw message buffer",
        "     --noescape              don't escape unprintable character",
        " -S, --syslog                force to use syslog(2) rather than /dev/kmsg",
        " -s, --buffer-size <size>    buffer size to query the kernel ring buffer",
        " -u, --userspace             display userspace messages",
        " -w, --follow                wait for new messages",
        " -W, --follow-new            wait and print only new messages",
        " -x, --decode                decode facility and level to readable string",
        " -d, --show-delta            show time delta between printed messages",
        " -e, --reltime               show local time and time delta in readable format",
        " -T, --ctime                 show human-readable timestamp (may be inaccurate!)",
        " -t, --notime                don't show any timestamp with messages",
        "     --time-format <format>  show timestamp using the given format:",
        "                               [delta|reltime|ctime|notime|iso|raw]",
        "Suspending/resume will make ctime and iso timestamps inaccurate.",
        "     --since <time>          display the lines since the specified time",
        "     --until <time>          display the lines until the specified time",
        "",
        f"{' -h, --help':<29}display this help",
        f"{' -V, --version':<29}display version",
        "",
        "Supported log facilities:",
        *(f" {n:>7} - {h}" for n, h in zip(FACILITY_NAMES, FACILITY_HELP, strict=True)),
        "",
        "Supported log levels (priorities):",
        *(f" {n:>7} - {h}" for n, h in zip(LEVEL_NAMES, LEVEL_HELP, strict=True)),
        "",
        "For more details see dmesg(1).",
    ]
    return "\n".join(lines) + "\n"


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as pkg_version

    try:
        v = pkg_version("kmodsim")
    except PackageNotFoundError:
        v = "unknown"
    return f"dmesg from util-linux 2.41 (kmodsim {v})\n"
