"""`kmod dmesg -F FILE` against the machine's real /usr/bin/dmesg (util-linux 2.38.1), byte
for byte, for the inputs and options where 2.38.1 and current util-linux agree.

Left out on purpose (they changed after 2.38.1, see reference-strings §1.3): facilities 12
and up with -x, caller ids, `x+`/`+x` level ranges, JSON, -d together with filters, records
whose '<N>' or '[time]' prefix is malformed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REAL = "/usr/bin/dmesg"
KMOD = str(Path(sys.executable).parent / "kmod")

pytestmark = pytest.mark.skipif(not os.path.exists(REAL), reason="needs /usr/bin/dmesg")

LOCALES = ["C", "C.UTF-8"]


def both(args: list[str], path: Path, locale: str, home: Path) -> tuple[tuple, tuple]:
    env = dict(os.environ, LC_ALL=locale, TZ="GMT", KMODSIM_HOME=str(home))
    env.pop("KMODSIM_BOOT_TIME", None)
    real = subprocess.run([REAL, *args, "-F", str(path)], capture_output=True, env=env,
                          timeout=60)
    ours = subprocess.run([KMOD, "dmesg", *args, "-F", str(path)], capture_output=True,
                          env=env, timeout=60)
    return ((real.returncode, real.stdout, real.stderr),
            (ours.returncode, ours.stdout, ours.stderr))


def sample() -> bytes:
    """Every level in a few facilities, multi-line records, unprintable and non-ASCII bytes,
    a long line, an empty message, subsystem prefixes and a segfault line."""
    recs = []
    t = 0
    for fac in (0, 1, 3, 10, 11):
        for lev in range(8):
            t += 1234567
            recs.append(b"<%d>[%5d.%06d] mod%d: level %d message" % (
                fac * 8 + lev, t // 1_000_000, t % 1_000_000, fac, lev))
    recs += [
        b"<6>[  100.000001] first line\nsecond line\n\nfourth after an empty one",
        b"<4>[  100.500000] ctrl \x01\x02\x1b[31m del \x7f tab\there cr\rend",
        b"<3>[  101.000000] utf8 caf\xc3\xa9 \xe2\x82\xac bad \xff\xfe cut \xe2\x82",
        b"<5>[  101.000000] NUL \x00 inside",
        b"<6>[  102.250000] " + b"long " * 400 + b"end",
        b"<6>[  103.000000] ",
        b"<6>[  104.000000] app[42]: segfault at 0 ip 0 sp 0 error 4",
        b"<2>[  105.000000] a: b: c:d",
        b"<6>[99999.999999] trailing newline kept\n",
    ]
    return b"\n".join(recs) + b"\n"


OPTION_SETS = [
    [], ["-x"], ["-d"], ["-t"], ["-r"], ["-x", "-t"], ["-d", "-t"], ["-t", "-d"],
    ["--time-format", "delta"], ["--time-format", "notime"], ["--noescape"],
    ["-l", "err,warn"], ["-l", "0,7"], ["-l", "debug", "-x"], ["-f", "kern"],
    ["-f", "user,daemon,authpriv,ftp", "-x"], ["-k"], ["-u", "-x"], ["-l", "err", "-f", "kern"],
    ["--color=always"], ["--color=always", "-x"], ["--color=always", "-d"],
    ["--color=always", "-t"], ["--color=always", "-l", "crit,alert,warn"],
    ["--color=never"], ["-L=always"], ["-P"], ["-s", "65536"], ["-w", "-x"],
]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("args", OPTION_SETS, ids=lambda a: " ".join(a) or "default")
def test_same_as_util_linux(args, locale, tmp_path, home):
    path = tmp_path / "dump"
    path.write_bytes(sample())
    real, ours = both(args, path, locale, home)
    assert ours == real


@pytest.mark.parametrize("data", [
    b"no prefix at all",
    b"<6>no time",
    b"[    5.000000] no level",
    b"<6>[    1.000000] last record without newline",
    b"\n\n<6>[    1.000000] leading newlines",
    b"<6>[    1.000000] x\n\n\n",
    b"<6>[    1.000000] x\x00\x00\x00",
    b"\x00\x00<6>[    1.000000] after NULs",
    b"<6>[   -1.000001] negative time",
    b"<6>[    1.5] short usec\n<6>[1.000000]no space",
])
@pytest.mark.parametrize("args", [[], ["-x"], ["-d"], ["-r"], ["-t"]],
                         ids=lambda a: " ".join(a) or "default")
def test_odd_buffers(data, args, tmp_path, home):
    path = tmp_path / "dump"
    path.write_bytes(data)
    real, ours = both(args, path, "C", home)
    assert ours == real


# -- random buffers ------------------------------------------------------------------------
_PIECES = [b"a", b"Z", b" ", b":", b": ", b"\n", b"\n\n", b">", b"[", b"]", b"\t", b"\r",
           b"\x00", b"\x01", b"\x1f", b"\x7f", b"\\", b"\xc3\xa9", b"\xe2\x82\xac", b"\xff",
           b"\xe2\x82", b"segfault at", b"usb 1-1: ", b"1", b"."]
_record = st.tuples(
    st.integers(0, 95),  # facilities below 12: 2.38.1 can't decode the rest
    st.integers(0, 99999), st.integers(0, 999999),
    st.lists(st.sampled_from(_PIECES), max_size=10).map(b"".join),
    st.booleans(),
)


def _buffer(records: list[tuple[int, int, int, bytes, bool]], trailing_nl: bool) -> bytes:
    out = []
    for pri, sec, usec, text, space in records:
        body = (b" " if space else b"") + text
        if body[:1] == b"[" or body[:2] == b" [":  # one space is skipped after the time:
            body = body.replace(b"[", b"x[", 1)  # a '[' then is a caller id to HEAD only
        out.append(b"<%d>[%5d.%06d]%s" % (pri, sec, usec, body))
    return b"\n".join(out) + (b"\n" if trailing_nl else b"")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(_record, min_size=1, max_size=8), trailing_nl=st.booleans(),
       args=st.sampled_from(OPTION_SETS), locale=st.sampled_from(LOCALES))
def test_random_buffers_match_util_linux(records, trailing_nl, args, locale, tmp_path, home):
    path = tmp_path / "dump"
    path.write_bytes(_buffer(records, trailing_nl))
    real, ours = both(args, path, locale, home)
    assert ours == real


# -- on a terminal: colours by default ---------------------------------------------------
def _on_pty(cmd: list[str], env: dict[str, str]) -> bytes:
    import pty

    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(cmd, stdout=slave, stderr=subprocess.DEVNULL, env=env)
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        p.wait(timeout=60)
        return b"".join(chunks)
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)


@pytest.mark.parametrize("term", ["xterm", "dumb"])
@pytest.mark.parametrize("args", [[], ["-L"], ["--color=auto", "-x"], ["--color=never"]],
                         ids=lambda a: " ".join(a) or "default")
def test_terminal_colours_like_util_linux(args, term, tmp_path, home):
    path = tmp_path / "dump"
    path.write_bytes(sample())
    env = dict(os.environ, LC_ALL="C", TZ="GMT", TERM=term, KMODSIM_HOME=str(home),
               XDG_CONFIG_HOME=str(tmp_path))  # no terminal-colors.d schemes
    real = _on_pty([REAL, *args, "-F", str(path)], env)
    ours = _on_pty([KMOD, "dmesg", *args, "-F", str(path)], env)
    assert ours == real
