"""dmesg's building blocks, in process: list parsing, getopt, the two dump parsers, escaping,
JSON and time formats. Expected values are derived from util-linux's dmesg.c rules."""

from __future__ import annotations

import io

import pytest

from kmodsim.dmesg.escape import escape
from kmodsim.dmesg.levels import DmesgError, parse_level, parse_list
from kmodsim.dmesg.main import run, syslog_buffer
from kmodsim.dmesg.options import (
    CTIME_DELTA,
    DELTA,
    NONE,
    RELTIME,
    TIME_DELTA,
    getopt_long,
    parse_args,
)
from kmodsim.dmesg.parse import parse_kmsg_file, parse_syslog, unhexmangle
from kmodsim.dmesg.render import json_string, subsys_end
from kmodsim.formats.kmsg import Record


@pytest.fixture
def gmt(monkeypatch: pytest.MonkeyPatch):
    """TZ=GMT for this test only: the C library reads TZ again at tzset()."""
    import time

    monkeypatch.setenv("TZ", "GMT")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def dmesg(*args: str, data: bytes | None = None, tmp_path=None) -> tuple[int, bytes, bytes]:
    out, err = io.BytesIO(), io.BytesIO()
    argv = list(args)
    if data is not None:
        f = tmp_path / "dump"
        f.write_bytes(data)
        argv = [a if a != "DUMP" else str(f) for a in argv]
    rc = run(argv, stdout=out, stderr=err)
    return rc, out.getvalue(), err.getvalue()


# -- level and facility lists -------------------------------------------------------------
def test_level_lists_names_numbers_and_ranges():
    assert parse_list("err,warn", levels=True) == {3, 4}
    assert parse_list("ERR,6", levels=True) == {3, 6}
    assert parse_list("err+", levels=True) == {0, 1, 2, 3}
    assert parse_list("+warn", levels=True) == {4, 5, 6, 7}
    assert parse_list("", levels=True) == set()
    assert parse_list("kern,local7,12", levels=False) == {0, 23, 12}


@pytest.mark.parametrize(("arg", "message"), [
    ("-1", "unknown level '-1'"),
    ("8", "unknown level '8'"),
    ("+", "unknown level '+'"),
    ("foo,bar", "unknown level 'foo,bar'"),  # C quotes from the bad item to the end
    ("err,", "unknown level 'err,'"),
    ("99999999999999999999", "failed to parse level '99999999999999999999': "
                             "Numerical result out of range"),
])
def test_level_errors_quote_like_util_linux(arg, message):
    with pytest.raises(DmesgError) as e:
        parse_list(arg, levels=True)
    assert e.value.message == message


def test_empty_list_item_fails_silently():
    with pytest.raises(DmesgError) as e:
        parse_list(",err", levels=True)
    assert e.value.message is None


def test_console_level_is_one_based():
    assert parse_level("1") == 1
    assert parse_level("debug") == 8
    with pytest.raises(DmesgError, match="unknown level '0'"):
        parse_level("0")


# -- options ---------------------------------------------------------------------------------
def test_getopt_permutes_and_takes_attached_arguments():
    assert list(getopt_long(["x", "-lerr", "--dec", "-L", "--color=always", "-Lnever"])) == [
        ("l", "err"), ("x", None), ("L", None), ("L", "always"), ("L", "never"), ("", "x")]


@pytest.mark.parametrize(("argv", "message"), [
    (["-X"], "invalid option -- 'X'"),
    (["--foo=1"], "unrecognized option '--foo=1'"),
    (["-l"], "option requires an argument -- 'l'"),
    (["--level"], "option '--level' requires an argument"),
    (["--dec=1"], "option '--decode' doesn't allow an argument"),
    (["--co"], "option '--co' is ambiguous; possibilities: '--color' '--console-level' "
               "'--console-off' '--console-on'"),
])
def test_getopt_errors(argv, message):
    with pytest.raises(DmesgError) as e:
        list(getopt_long(argv))
    assert (e.value.message, e.value.try_help) == (message, True)


def test_time_format_resolution():
    ctl = parse_args(["-d", "-t"])
    assert ctl.time_fmts == [DELTA]
    ctl = parse_args(["-t", "-T"])
    assert ctl.time_fmts == [NONE]
    ctl = parse_args(["-T", "-d"])
    assert ctl.time_fmts == [CTIME_DELTA]
    ctl = parse_args(["-e", "-d"])
    assert ctl.time_fmts == [RELTIME, TIME_DELTA]
    ctl = parse_args(["-J", "-T", "-p"])
    assert (ctl.time_fmts, ctl.force_prefix, ctl.noesc) == ([], False, True)


def test_cli_errors(tmp_path):
    assert dmesg("-C", "-c") == (1, b"", b"dmesg: mutually exclusive arguments: --clear "
                                         b"--console-off --console-on --read-clear "
                                         b"--console-level --raw\n")
    assert dmesg("-F", "x", "extra") == (
        1, b"", b"dmesg: bad usage\nTry 'kmod dmesg --help' for more information.\n")
    assert dmesg("--time-format", "bogus") == (1, b"", b"dmesg: unknown time format: bogus\n")
    assert dmesg("--since", "bogus") == (1, b"", b'dmesg: invalid time value "bogus"\n')
    assert dmesg("--color=sometimes") == (1, b"", b"dmesg: unsupported color mode: "
                                                  b"'sometimes'\n")
    assert dmesg("-F", str(tmp_path / "none")) == (
        1, b"", f"dmesg: cannot open {tmp_path / 'none'}: No such file or directory\n".encode())
    assert dmesg("-F", str(tmp_path)) == (
        1, b"", f"dmesg: cannot mmap: {tmp_path}: No such device\n".encode())
    assert dmesg("-r", "-l", "err", "-F", "DUMP", data=b"<3>x\n", tmp_path=tmp_path) == (
        1, b"", b"dmesg: --raw can be used together with --level or --facility only when "
                b"reading messages from /dev/kmsg\n")
    assert dmesg("-p", "-F", "DUMP", data=b"<3>x\n", tmp_path=tmp_path) == (
        1, b"", b"dmesg: only kmsg supports multi-line messages\n")
    assert dmesg("-F", "DUMP", data=b"", tmp_path=tmp_path)[2].endswith(
        b": Invalid argument\n")


def test_help_and_version():
    rc, out, _ = dmesg("-h")
    assert rc == 0 and out.startswith(b"\nUsage:\n kmod dmesg [options]\n")
    assert b"  local7 - local use 7\n" in out and out.endswith(b"see dmesg(1).\n")
    rc, out, _ = dmesg("--version")
    assert rc == 0 and out.startswith(b"dmesg from util-linux")


# -- syslog(2) dumps -------------------------------------------------------------------------
def entries(data: bytes, pri: bool = True) -> list[tuple]:
    return [(e.facility, e.level, e.sec, e.usec, e.caller, e.mesg)
            for e in parse_syslog(data, pri)]


def test_syslog_records_end_at_newline_before_angle_bracket():
    assert entries(b"<6>[    1.000000] a\nb\n<3>[    2.5] c\n") == [
        (0, 6, 1, 0, b"", b"a\nb"), (0, 3, 2, 5, b"", b"c")]


def test_syslog_caller_ids_with_or_without_space():
    assert entries(b"<6>[    1.000000] [  T42] a\n<6>[    1.000000][    C3] b") == [
        (0, 6, 1, 0, b"T42", b"a"), (0, 6, 1, 0, b"C3", b"b")]


def test_syslog_bad_prefixes_stay_in_the_message():
    # HEAD requires the '>' after the number and a ']' before reading the time; a failed
    # timestamp still skips the '[', and what strtol() read is kept
    assert entries(b"<1x\n<6>[1.5 x\n<6>[2.x] y") == [
        (-1, -1, 0, 0, b"", b"1x"), (0, 6, 0, 0, b"", b"1.5 x"), (0, 6, 2, 0, b"", b"2.x] y")]


def test_syslog_facility_24_passes_the_range_check():
    assert entries(b"<199>x")[0][:2] == (24, 7)


# -- /dev/kmsg dumps -------------------------------------------------------------------------
def kentries(data: bytes, pri: bool = True) -> list[tuple]:
    return [(e.facility, e.level, e.sec, e.usec, e.caller, e.mesg)
            for e in parse_kmsg_file(data, pri)]


def test_kmsg_records_unescape_and_drop_dictionary():
    data = (b"6,1,1500000,-,caller=T7;a\\x0ab\\x5c\n SUBSYSTEM=acpi\n\0"
            b"30,2,0,c;daemon\n\0")
    assert kentries(data) == [(0, 6, 1, 500000, b"T7", b"a\nb\\"),
                              (3, 6, 0, 0, b"", b"daemon")]


def test_kmsg_record_without_newline_loses_its_last_character():
    assert kentries(b"6,1,0,-;hello")[0][5] == b"hel"


def test_kmsg_raw_newline_ends_the_message():
    assert kentries(b"6,1,0,-;one\ntwo\n\0")[0][5] == b"one"


def test_kmsg_record_too_large(tmp_path):
    rc, out, err = dmesg("-K", "DUMP", data=b"6,1,0,-;ok\n\0" + b"6,2,0,-;" + b"x" * 2100,
                         tmp_path=tmp_path)
    assert (rc, out, err) == (1, b"[    0.000000] ok\n", b"dmesg: record too large\n")


def test_unhexmangle_keeps_incomplete_escapes():
    assert unhexmangle(b"a\\x4", 0, 5) == b"a\\x4"
    assert unhexmangle(b"a\\x41", 0, 5) == b"a\\x4"  # the escape must fit in the length
    assert unhexmangle(b"\\x41\\x4g", 0, 9) == b"A\\x4g"


# -- rendering -------------------------------------------------------------------------------
def test_escape_in_c_locale(monkeypatch):
    monkeypatch.setattr("kmodsim.dmesg.escape._utf8", False)
    assert escape(b"a\x01\x7f\xc3\xa9\tb", 0, False) == b"a\\x01\\x7f\\xc3\\xa9\tb"
    assert escape(b"a\nb\n", 3, True) == b"a\n   b\n   "
    assert escape(b"a\nb\n", 3, False) == b"a\n   b\n"
    assert escape(b"a\x00\n\x00", 2, False) == b"a\\x00\n\\x00"


def test_escape_in_utf8_locale(monkeypatch):
    monkeypatch.setattr("kmodsim.dmesg.escape._utf8", True)
    assert escape(b"\xc3\xa9\xc2\x85\xff\xe2\x80", 0, False) == (
        b"\xc3\xa9\\xc2\\x85\\xff\\xe2\\x80")


def test_json_strings():
    assert json_string(b'a"b\\c\n\t\x01\xc3\xa9') == b'"a\\"b\\\\c\\n\\t\\u0001\xc3\xa9"'
    assert json_string(b"x\x00y") == b'"x"'
    assert json_string(b"\x00") == b"null"


def test_subsystem_prefix():
    assert subsys_end(b"mymod: init failed") == 7
    assert subsys_end(b"mymod: ") == -1  # nothing after the blank
    assert subsys_end(b"a:b: c") == 5
    assert subsys_end(b"no prefix") == -1


def test_json_layout_and_empty_output(tmp_path):
    data = b"<4>[    1.000000] [   T1] a\n<6>[    2.000000] \n<14>[    3.000000] b"
    rc, out, _ = dmesg("-J", "-x", "-F", "DUMP", data=data, tmp_path=tmp_path)
    assert out == (b'{\n   "dmesg": [\n      {\n'
                   b'         "fac": "kern",\n         "pri": "warn",\n'
                   b'         "time":     1.000000,\n         "caller": "T1",\n'
                   b'         "msg": "a"\n      },{\n'
                   b'         "fac": "user",\n         "pri": "info",\n'
                   b'         "time":     3.000000,\n         "msg": "b"\n      }\n   ]\n}\n')
    assert dmesg("-J", "-l", "emerg", "-F", "DUMP", data=data, tmp_path=tmp_path) == (
        0, b"", b"")


def test_force_prefix_with_kmsg(tmp_path):
    data = b"6,1,1000000,-;one\\x0a\\x0atwo\n\0"
    assert dmesg("-p", "-x", "-K", "DUMP", data=data, tmp_path=tmp_path)[1] == (
        b"kern  :info  : [    1.000000] one\nkern  :info  : [    1.000000] two\n")


def test_delta_counts_filtered_records(tmp_path):
    # HEAD remembers the time of a rejected record (2.38.1 did not)
    data = b"<6>[    1.000000] a\n<3>[    3.000000] b\n<6>[    6.000000] c\n"
    assert dmesg("-d", "-l", "info", "-F", "DUMP", data=data, tmp_path=tmp_path)[1] == (
        b"[    1.000000 <    0.000000>] a\n[    6.000000 <    3.000000>] c\n")


def test_colors(tmp_path):
    data = (b"<3>[    2.500000] mymod: init failed\n<6>[    3.000000] app[1]: segfault at 0\n"
            b"<1>[    4.000000] x\n")
    assert dmesg("--color=always", "-x", "-F", "DUMP", data=data, tmp_path=tmp_path)[1] == (
        b"kern  :err   : \x1b[32m[    2.500000] \x1b[0m\x1b[33mmymod: \x1b[0m"
        b"\x1b[31minit failed\x1b[0m\n"
        b"kern  :info  : \x1b[32m[    3.000000] \x1b[0m\x1b[33mapp[1]: \x1b[0m"
        b"\x1b[2m\x1b[31msegfault at 0\x1b[0m\n"
        b"kern  :alert : \x1b[32m[    4.000000] \x1b[0m\x1b[7m\x1b[31mx\x1b[0m\n")


def test_since_until_and_iso(tmp_path, monkeypatch, gmt):
    monkeypatch.setenv("KMODSIM_BOOT_TIME", "1234567890.123456")
    data = b"<6>[    1.000000] a\n<6>[   10.000000] b\n<6>[   20.000000] c\n"
    rc, out, _ = dmesg("--since", "2009-02-13 23:31:35", "--until", "@1234567905",
                       "--time-format", "iso", "-F", "DUMP", data=data, tmp_path=tmp_path)
    assert out == b"2009-02-13T23:31:40,123456+00:00 b\n"


def test_syslog_buffer_of_live_records():
    recs = [Record(1, 1_500_000, 6, "a\nb", caller="T42"), Record(2, 0, 3, "c", facility=1)]
    assert syslog_buffer(recs) == (b"<6>[    1.500000][   T42] a\n<6>[    1.500000][   T42] b\n"
                                   b"<11>[    0.000000] c\n")


@pytest.mark.parametrize(("text", "usec"), [
    # lib/timeutils.c's own test table (reference 1674180427, TZ=GMT)
    ("2012-09-22 16:34:22", 1348331662000000), ("2012-09-22 16:34:22,012", 1348331662012000),
    ("2012-09-22 16:34:22.012", 1348331662012000), ("@1348331662", 1348331662000000),
    ("@1348331662.234567", 1348331662234567), ("2012-09-22 16:34", 1348331640000000),
    ("2012-09-22", 1348272000000000), ("16:34:22", 1674232462000000),
    ("16:34:22,123456", 1674232462123456), ("16:34", 1674232440000000),
    ("now", 1674180427000000), ("yesterday", 1674086400000000),
    ("today", 1674172800000000), ("tomorrow", 1674259200000000),
    ("+5min", 1674180727000000), ("-5days", 1673748427000000),
    ("20120922163422", 1348331662000000), ("Sat 2012-09-22", 1348272000000000),
])
def test_parse_timestamp(text, usec, gmt):
    from kmodsim.dmesg.clock import parse_timestamp

    assert parse_timestamp(text, now=1674180427) == usec


def test_parse_timestamp_rejects_wrong_weekday_and_junk():
    from kmodsim.dmesg.clock import parse_time_arg

    for bad in ("Fri 2012-09-22", "2012-13-01", "@x", "5 parsecs ago", ""):
        with pytest.raises(DmesgError):
            parse_time_arg(bad)
