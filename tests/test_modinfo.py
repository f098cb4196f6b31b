"""kmod modinfo: kmod's layout (value at column 16), a real build's key order."""

from __future__ import annotations

from pathlib import Path

SOURCE = '''from kmodsim.kernel import *
MODULE_LICENSE("GPL")
MODULE_AUTHOR("Jane Doe <jane@example.com>")
MODULE_DESCRIPTION("A simple hello module")
MODULE_VERSION("1.0")
count = 1
module_param("count", int, 0o644)
MODULE_PARM_DESC("count", "How many times")
flag = False
module_param("flag", bool, 0)
MODULE_PARM_DESC("desc_only", "Only a description")
'''


def test_modinfo_layout_and_order(kmod, tmp_path: Path):
    (tmp_path / "hello.py").write_text(SOURCE)
    r = kmod("modinfo", "hello.py", cwd=tmp_path)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == f"filename:       {tmp_path}/hello.py"
    assert lines[1:5] == ["version:        1.0", "description:    A simple hello module",
                          "author:         Jane Doe <jane@example.com>", "license:        GPL"]
    assert lines[5].startswith("srcversion:     ") and len(lines[5]) == 16 + 23
    assert lines[6:10] == ["depends:        ", "retpoline:      Y", "name:           hello",
                           "vermagic:       6.1.0-kmodsim SMP preempt mod_unload modversions "]
    # in the order of each parameter's last declaration, as kmod reads a real build
    assert lines[10:] == ["parm:           count:How many times (int)",
                          "parm:           flag:bool",
                          "parm:           desc_only:Only a description"]


def test_modinfo_fields(kmod, tmp_path: Path):
    (tmp_path / "hello.py").write_text(SOURCE)
    assert kmod("modinfo", "-F", "license", "hello.py", cwd=tmp_path).stdout == "GPL\n"
    assert kmod("modinfo", "-a", "hello.py", cwd=tmp_path).stdout == (
        "Jane Doe <jane@example.com>\n")
    assert kmod("modinfo", "-p", "hello.py", cwd=tmp_path).stdout == (
        "count:How many times (int)\nflag: (bool)\ndesc_only:Only a description\n")
    assert kmod("modinfo", "-0", "-F", "name", "hello.py", cwd=tmp_path).stdout == "hello\0"


def test_modinfo_errors(kmod, tmp_path: Path):
    r = kmod("modinfo", "nothere")
    assert (r.returncode, r.stderr) == (1, "modinfo: ERROR: Module nothere not found.\n")
    (tmp_path / "bad.py").write_bytes(b"\x7fELF\x00\x01")
    r = kmod("modinfo", "bad.py", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (
        1, "modinfo: ERROR: could not get modinfo from 'bad.py': Exec format error\n")


def test_modinfo_by_name_looks_in_lib_modules_which_has_no_out_of_tree_module(kmod):
    # as on the reference machine: modinfo reads files, never the loaded modules
    kmod("insmod", "modules/hello.py")
    r = kmod("modinfo", "-F", "description", "hello")
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "modinfo: ERROR: Module hello not "
                                                         "found.\n")
