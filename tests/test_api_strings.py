"""Strings and conversions (string.h, kstrtox.h, sprintf, sscanf) as C has them: what they
return is what the real 6.1 kernel returned for the same input (tests/api_data holds what a
probe module printed there), and an overflow through them is KASAN's report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import messages

from kmodsim.errors import Killed, ProcError
from kmodsim.kernel import kstrtox
from kmodsim.kernel import string as S

DATA = Path(__file__).parent / "api_data" / "kstrtox-6.1.tsv"
_FUNCS = {"int": kstrtox.kstrtoint, "uint": kstrtox.kstrtouint, "long": kstrtox.kstrtol,
          "ulong": kstrtox.kstrtoul, "ll": kstrtox.kstrtoll, "ull": kstrtox.kstrtoull,
          "u8": kstrtox.kstrtou8, "s8": kstrtox.kstrtos8, "u16": kstrtox.kstrtou16,
          "s16": kstrtox.kstrtos16}
_SIMPLE = {"sul": kstrtox.simple_strtoul, "sl": kstrtox.simple_strtol,
           "sll": kstrtox.simple_strtoll}


def _real_kernel_rows() -> list[tuple[str, str, int, int]]:
    rows = []
    for line in DATA.read_text().splitlines():
        if line and not line.startswith("#"):
            text, kind, a, b = line.split("\t")
            rows.append((json.loads(text), kind, int(a), int(b)))
    return rows


class _End:
    value = 0


def test_kstrto_and_simple_strto_agree_with_the_real_kernel_on_799_inputs():
    rows = _real_kernel_rows()
    assert len(rows) == 799
    wrong = []
    for text, kind, a, b in rows:
        name, base = re.fullmatch(r"(uint|ulong|ull|u16|s16|u8|s8|int|long|ll|sul|sll|sl)(\d+)",
                                  kind).groups()  # type: ignore[union-attr]
        if name in _FUNCS:
            err, value = _FUNCS[name](text, int(base))
            got = (err, value if not err else 7)  # C leaves *res alone on an error
        else:
            end = _End()
            value = _SIMPLE[name](text, end, int(base))
            got = (value & (1 << 64) - 1 if name == "sul" else value, end.value)
        if got != (a, b):
            wrong.append((text, kind, (a, b), got))
    assert wrong == []


@pytest.mark.parametrize("text,expected", [
    ("y", (0, True)), ("Y", (0, True)), ("yes", (0, True)), ("1", (0, True)),
    ("n", (0, False)), ("N", (0, False)), ("no", (0, False)), ("0", (0, False)),
    ("on", (0, True)), ("ON", (0, True)), ("oN", (0, True)), ("off", (0, False)),
    ("of", (0, False)), ("o", (-22, False)), ("t", (0, True)), ("true", (0, True)),
    ("f", (0, False)), ("false", (0, False)), ("enable", (-22, False)),
    ("disable", (-22, False)), ("", (-22, False)), ("2", (-22, False)),
    ("On\n", (0, True)), ("Off", (0, False)),
])
def test_kstrtobool_as_recorded_on_6_1(text, expected):
    assert kstrtox.kstrtobool(text) == expected


def test_a_char_array_is_read_up_to_its_nul():
    assert kstrtox.kstrtoint(bytearray(b"42\n\0garbage"), 10) == (0, 42)
    assert kstrtox.kstrtoint(b"42\0", 10) == (0, 42)


# -- the sprintf family: return values as C's (recorded on 6.1) ------------------------------

def test_snprintf_returns_the_would_be_length_scnprintf_what_was_written():
    buf = bytearray(16)
    assert S.snprintf(buf, 5, "%s", "hello world") == 11
    assert bytes(buf[:5]) == b"hell\0"
    assert S.scnprintf(buf, 5, "%s", "hello world") == 4
    assert S.snprintf(buf, 0, "%d", 12345) == 5
    assert S.scnprintf(buf, 0, "%d", 12345) == 0
    assert S.scnprintf(buf, 1, "%d", 12345) == 0 and buf[0] == 0
    assert S.sprintf(buf, "%d-%s", 42, "ab") == 5
    assert bytes(buf[:6]) == b"42-ab\0"


def test_strscpy_strncpy_and_friends():
    buf = bytearray(b"x" * 16)
    assert S.strscpy(buf, "hello", 3) == -7  # -E2BIG, and what fit is NUL-terminated
    assert bytes(buf[:3]) == b"he\0"
    assert S.strscpy(buf, "hi", 3) == 2
    assert S.strscpy(buf, "abc", 4) == 3
    assert S.strscpy(buf, "abc", 0) == -7
    buf = bytearray(b"x" * 16)
    S.strncpy(buf, "ab", 5)
    assert list(buf[:6]) == [97, 98, 0, 0, 0, 120]  # padded to 5 with NULs, no more
    S.strncpy(buf, "abcdefgh", 3)
    assert list(buf[:4]) == [97, 98, 99, 0]
    dst = bytearray(12)
    S.strcpy(dst, "foo")
    S.strcat(dst, "bar")
    assert S.strlen(dst) == 6 and bytes(dst[:7]) == b"foobar\0"
    assert S.strnlen("hello", 3) == 3 and S.strnlen("hi", 10) == 2


def test_comparisons_and_searches_as_recorded_on_6_1():
    assert (S.strcmp("a", "b"), S.strcmp("b", "a"), S.strcmp("abc", "abc"),
            S.strcmp("ab", "abc")) == (-1, 1, 0, -1)
    assert (S.strncmp("abcd", "abce", 3), S.strncmp("abcd", "abce", 4)) == (0, -1)
    assert (S.strcasecmp("HeLLo", "hello"), S.strcasecmp("a", "B")) == (0, -1)
    assert (S.memcmp("abc", "abd", 3), S.memcmp("b", "a", 1)) == (-1, 1)
    assert S.strchr("hello", "l") == "llo" and S.strrchr("hello", ord("l")) == "lo"
    assert S.strchr("hello", "z") is None
    assert S.strstr("hello world", "o w") == "o world" and S.strstr("abc", "x") is None
    buf = bytearray(b"key=value\0")
    eq = S.strchr(buf, "=")
    eq[0] = 0  # a pointer into the buffer: writing through it changes the buffer
    assert S.strlen(buf) == 3 and bytes(eq[1:6]) == b"value"


def test_strsep_and_strim_as_recorded_on_6_1():
    rest = bytearray(b"a,b,,c\0")
    tokens = []
    while rest is not None:
        tok, rest = S.strsep(rest, ",")
        tokens.append((bytes(tok).split(b"\0")[0], None if rest is None else
                       bytes(rest).split(b"\0")[0]))
    assert tokens == [(b"a", b"b,,c"), (b"b", b",c"), (b"", b"c"), (b"c", None)]
    line = bytearray(b"  hello world \n\t\0")
    trimmed = S.strim(line)
    assert bytes(trimmed).split(b"\0")[0] == b"hello world"
    assert S.strim("  x y \n") == "x y"


@pytest.mark.parametrize("text,fmt,expected", [
    ("12 34", "%d %d", (2, 12, 34)),
    ("12 abc", "%d %d", (1, 12, None)),
    ("ff", "%x", (1, 255)),
    ("hello world", "%7s", (1, "hello")),
    ("add 5", "%7s %d", (2, "add", 5)),
    ("x=3", "x=%d", (1, 3)),
    ("Q", "%c", (1, "Q")),
    ("", "%d", (0, None)),  # the kernel's sscanf says 0 here, not EOF (-1)
    ("-5 0x1f", "%d %i", (2, -5, 31)),
    ("1 2", "%*d %d", (1, 2)),
    ("abcdefghij", "%3s", (1, "abc")),
    ("7\n", "%d\n", (1, 7)),
    ("  9", "%d", (1, 9)),
    ("12abc", "%d%s", (2, 12, "abc")),
    ("4294967296", "%u", (1, 0)),  # an unsigned int wraps
    ("+", "%d", (0, None)),
    (b"get 3\n", "%3s %d", (2, b"get", 3)),
])
def test_sscanf_as_recorded_on_6_1(text, fmt, expected):
    assert S.sscanf(text, fmt) == expected


def test_ctype():
    assert S.isdigit("7") and not S.isdigit("x") and S.isspace(ord("\t"))
    assert S.tolower("Q") == "q" and S.toupper(ord("a")) == ord("A")
    assert S.isxdigit("F") and not S.isxdigit("g")


# -- through a module: the kernel's convention and KASAN ------------------------------------

def test_module_parses_numbers_written_to_proc(machine, module_file):
    machine.insmod(module_file("numbers", """
        MODULE_LICENSE("GPL")
        total = 0
        def numbers_write(file, buf, count, ppos):
            global total
            err, value = kstrtoint_from_user(buf, count, 0)
            if err:
                pr_info("numbers: %d\\n", err)
                return err
            total += value
            return count
        def numbers_read(file, buf, count, ppos):
            text = bytearray(32)
            n = scnprintf(text, len(text), "%d\\n", total)
            return simple_read_from_buffer(buf, count, ppos, text, n)
        @module_init
        def numbers_init():
            proc_create("numbers", 0o666, None, proc_ops(proc_read=numbers_read,
                                                         proc_write=numbers_write))
            return 0
        @module_exit
        def numbers_exit():
            remove_proc_entry("numbers", None)
        """))
    for text in (b"5\n", b"0x10\n", b"-3\n"):
        machine.proc_write("numbers", text)
    assert machine.proc_read("numbers") == b"18\n"
    with pytest.raises(ProcError) as e:
        machine.proc_write("numbers", b"12x\n")
    assert e.value.errno == 22
    with pytest.raises(ProcError) as e:
        machine.proc_write("numbers", b"99999999999\n")
    assert e.value.errno == 34
    assert messages(machine)[-2:] == ["numbers: -22", "numbers: -34"]


def test_strcpy_past_a_kmalloc_buffer_is_a_kasan_report(machine, module_file):
    with pytest.raises(Killed):
        machine.insmod(module_file("copier", """
            MODULE_LICENSE("GPL")
            @module_init
            def copier_init():
                small = kmalloc(8, GFP_KERNEL)
                strcpy(small, "eight ch")  # 8 characters and the NUL: 9 bytes
                return 0
            """))
    text = "\n".join(messages(machine))
    assert "BUG: KASAN: slab-out-of-bounds in copier_init+" in text
    assert "Write of size 9 at addr " in text
    assert "kmodsim: hint: write of 9 bytes at offset 0 of a 8-byte buffer" in text


def test_reading_an_unterminated_char_array_is_a_kasan_report(machine, module_file):
    path = module_file("unterminated", """
        MODULE_LICENSE("GPL")
        name = bytearray(b"abcd")  # no NUL anywhere
        def w(file, buf, count, ppos):
            return strlen(name)
        @module_init
        def unterminated_init():
            proc_create("unterminated", 0o666, None, proc_ops(proc_write=w))
            return 0
        """)
    machine.insmod(path)
    with pytest.raises(Killed):
        machine.proc_write("unterminated", b"x")
    text = "\n".join(messages(machine))
    assert "BUG: KASAN: global-out-of-bounds in w+" in text
    assert "Read of size 1" in text


def test_sprintf_into_a_str_is_refused_with_a_clear_error(machine, module_file):
    with pytest.raises(Killed):
        machine.insmod(module_file("immutable", """
            MODULE_LICENSE("GPL")
            @module_init
            def immutable_init():
                sprintf("fixed", "%d", 5)
                return 0
            """))
    assert any("the destination must be writable memory" in m for m in messages(machine))
