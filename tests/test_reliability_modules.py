"""Bad module files: insmod's own message and a reason, exit 1, nothing loaded, nothing left."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import MODULES

from kmodsim.errors import InsmodError
from kmodsim.machine import Machine

EMPTY_LSMOD = "Module                  Size  Used by\n"
BUILTIN = "/proc/devices\n/proc/modules\n/proc/sys\n/proc/sys/kernel\n/proc/sys/kernel/tainted\n"


def insert_error(path: str, text: str) -> str:
    return f"insmod: ERROR: could not insert module {path}: {text}"


def live_modules() -> set[str]:
    return {m for m in sys.modules if m.startswith("kmodsim.live.")}


@pytest.fixture(autouse=True)
def no_live_module_left():
    """In-process loads (the Python API) must not leave a module registered behind."""
    before = live_modules()
    yield
    assert live_modules() <= before


def nothing_left(kmod) -> None:
    assert kmod("lsmod").stdout == EMPTY_LSMOD
    assert kmod("proc", "read", "modules").stdout == ""
    assert kmod("proc", "ls").stdout == BUILTIN


def write(tmp_path: Path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def test_not_found(kmod, tmp_path):
    path = str(tmp_path / "missing.py")
    r = kmod("insmod", path)
    assert (r.returncode, r.stderr) == (
        1, f"insmod: ERROR: could not load module {path}: No such file or directory\n")
    nothing_left(kmod)


def test_a_directory(kmod, tmp_path):
    r = kmod("insmod", str(tmp_path))
    assert (r.returncode, r.stderr) == (1, insert_error(str(tmp_path), "Is a directory") + "\n")
    nothing_left(kmod)


@pytest.mark.parametrize("content", [b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
                                     b"\xff\xfe\xfa\xce"])
def test_not_python_at_all(kmod, tmp_path, content):
    path = write(tmp_path, "binary.py", content)
    r = kmod("insmod", path)
    lines = r.stderr.splitlines()
    assert r.returncode == 1
    assert lines[0] == insert_error(path, "Invalid module format")
    assert lines[1].startswith(f"{path}: not a Python module file (")
    assert len(lines) == 2
    nothing_left(kmod)


def test_text_with_nul_bytes(kmod, tmp_path):
    path = write(tmp_path, "nul.py", "x = 1\0\n")
    r = kmod("insmod", path)
    assert r.returncode == 1
    assert r.stderr.splitlines()[0] == insert_error(path, "Invalid module format")
    assert "null bytes" in r.stderr
    nothing_left(kmod)


def test_syntax_error_shows_the_line_and_where(kmod, tmp_path):
    path = write(tmp_path, "broken.py", "from kmodsim.kernel import *\n\ndef f(:\n    pass\n")
    r = kmod("insmod", path)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        insert_error(path, "Invalid module format"),
        f'  File "{path}", line 3',
        "    def f(:",
        "          ^",
        "SyntaxError: invalid syntax"]
    nothing_left(kmod)


def test_import_of_a_missing_package(kmod, tmp_path):
    path = write(tmp_path, "imp.py", "from kmodsim.kernel import *\nimport no_such_package\n")
    r = kmod("insmod", path)
    assert (r.returncode, r.stderr.splitlines()) == (1, [
        insert_error(path, "Invalid module format"),
        f"{path}:2: ModuleNotFoundError: No module named 'no_such_package'"])
    nothing_left(kmod)


def test_a_kernel_symbol_that_does_not_exist(kmod, tmp_path, machine):
    path = write(tmp_path, "sym.py", "from kmodsim.kernel import printk, no_such_symbol\n")
    r = kmod("insmod", path)
    assert (r.returncode, r.stderr.splitlines()) == (1, [
        insert_error(path, "Unknown symbol in module"),
        f"{path}:1: kmodsim.kernel has no symbol 'no_such_symbol'"])
    assert [r.text for r in machine.log_records()] == ["sym: Unknown symbol no_such_symbol "
                                                       "(err -2)"]
    nothing_left(kmod)


@pytest.mark.parametrize(("code", "error"), [
    ("x = 1 // 0", "ZeroDivisionError: integer division or modulo by zero"),
    ("raise RuntimeError('no')", "RuntimeError: no"),
    ("import sys\nsys.exit(0)", "SystemExit: 0"),
    ("undefined_name", "NameError: name 'undefined_name' is not defined"),
])
def test_top_level_code_that_fails(kmod, tmp_path, code, error):
    source = f"from kmodsim.kernel import *\nMODULE_LICENSE('GPL')\n{code}\n"
    path = write(tmp_path, "top.py", source)
    r = kmod("insmod", path)
    lines = r.stderr.splitlines()
    assert (r.returncode, lines[0]) == (1, insert_error(path, "Invalid module format"))
    assert lines[1].startswith(f"{path}:") and lines[1].endswith(error)
    nothing_left(kmod)


@pytest.mark.parametrize("content", ["", "x = 1\nprint('a script, not a module')\n",
                                     "# only a comment\n"])
def test_a_file_that_is_not_a_module(kmod, tmp_path, content, machine):
    """No init, no MODULE_*, no kernel API: not a module (the kernel's `No module found`)."""
    path = write(tmp_path, "script.py", content)
    r = kmod("insmod", path)
    assert (r.returncode, r.stderr.splitlines()) == (1, [
        insert_error(path, "Invalid module format"),
        f"{path}: not a kernel module: no module_init, no MODULE_LICENSE and no "
        f"`from kmodsim.kernel import`"])
    assert [r.text for r in machine.log_records()] == ["script: No module found in object"]
    nothing_left(kmod)


def test_dev_null_is_not_a_module(kmod):
    r = kmod("insmod", "/dev/null")
    assert r.stderr.splitlines()[0] == insert_error("/dev/null", "Invalid module format")
    nothing_left(kmod)


def test_dev_zero_is_not_read_forever(kmod):
    r = kmod("insmod", "/dev/zero")
    assert (r.returncode, r.stderr.splitlines()[0]) == (
        1, insert_error("/dev/zero", "File too large"))
    nothing_left(kmod)


@pytest.mark.parametrize("source", [
    "from kmodsim.kernel import *\n",
    "from kmodsim.kernel import MODULE_LICENSE\nMODULE_LICENSE('GPL')\n",
    "def init_module():\n    return 0\n",
])
def test_a_module_without_init_loads_as_the_kernel_loads_it(kmod, tmp_path, source):
    path = write(tmp_path, "noinit.py", source)
    assert kmod("insmod", path).returncode == 0
    assert kmod("lsmod").stdout.splitlines()[1].startswith("noinit ")
    assert kmod("rmmod", "noinit").returncode in (0, 1)  # no exit: busy, as in the kernel


def test_python_api_raises_insmod_error_and_leaves_nothing(machine, tmp_path):
    for content in [b"\xff", "def f(:", "1/0", "", "from kmodsim.kernel import nope"]:
        path = write(tmp_path, "bad.py", content)
        with pytest.raises(InsmodError) as info:
            machine.insmod(path)
        assert info.value.lines[0].startswith(f"insmod: ERROR: could not insert module {path}")
    with pytest.raises(InsmodError):
        machine.insmod(str(tmp_path / "a\0b.py"))
    assert machine.modules() == []
    assert machine.proc_list() == [p.removeprefix("/proc/") for p in BUILTIN.split()]
    Machine(machine.store.home).insmod(str(MODULES / "counter.py"))  # still usable
