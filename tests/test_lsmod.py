"""lsmod's layout, byte for byte, against kmod's tools/lsmod.c format."""

from __future__ import annotations

from kmodsim.formats.lsmod import render_lsmod
from kmodsim.formats.procmodules import proc_modules_line


def test_lsmod_rows_match_kmod():
    # kmod 30 output, from the real tools run against a fake /proc and /sys
    assert render_lsmod([("hello", 12288, 0, []), ("nf_tables", 380928, 1, ["nft_chain_nat"]),
                         ("btusb", 11216, 0, []),
                         ("averyveryverylongmodulename_x", 4096, 2, [])]) == (
        "Module                  Size  Used by\n"
        "hello                  12288  0\n"
        "nf_tables             380928  1 nft_chain_nat\n"
        "btusb                  11216  0\n"
        "averyveryverylongmodulename_x     4096  2\n")


def test_holders_are_comma_separated():
    assert render_lsmod([("snd", 98304, 2, ["snd_pcm", "snd_timer"])]).splitlines()[1] == (
        "snd                    98304  2 snd_pcm,snd_timer")


def test_proc_modules_lines():
    assert proc_modules_line("btusb", 11216, 0, [], "Live", "", False) == (
        "btusb 11216 0 - Live 0x0000000000000000")
    assert proc_modules_line("snd", 98304, 2, ["snd_pcm", "snd_timer"], "Live", "", False) == (
        "snd 98304 2 snd_pcm,snd_timer, Live 0x0000000000000000")
    assert proc_modules_line("hello", 16384, 0, [], "Loading", "OE", False) == (
        "hello 16384 0 - Loading 0x0000000000000000 (OE+)")


def test_lsmod_lists_newest_first(kmod):
    kmod("insmod", "modules/hello.py")
    kmod("insmod", "modules/counter.py")
    kmod("insmod", "modules/procfile.py")
    assert kmod("lsmod").stdout == (
        "Module                  Size  Used by\n"
        "procfile               12288  0\n"
        "counter                12288  0\n"
        "hello                  12288  0\n")
