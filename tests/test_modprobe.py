"""depmod and modprobe: the index of the module search path, loading dependencies first,
removing those nothing uses any more; messages, dry runs and exit codes as kmod 30's (the
real machine printed each message quoted here: tests/oracle/symbols_pair has some)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from conftest import MODULES, ROOT

SYMBOLS = MODULES / "symbols"
MATHLIB = str(SYMBOLS / "mathlib.py")
MATHUSER = str(SYMBOLS / "mathuser.py")
DIRECTORY = "/lib/modules/6.1.0-kmodsim"
EMPTY_LSMOD = "Module                  Size  Used by\n"


@pytest.fixture
def indexed(kmod, monkeypatch):
    """The machine with modules/symbols indexed (KMODSIM_MODULE_PATH)."""
    monkeypatch.setenv("KMODSIM_MODULE_PATH", str(SYMBOLS))
    r = kmod("depmod")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    return kmod


def loaded(kmod) -> list[str]:
    return [line.split()[0] for line in kmod("lsmod").stdout.splitlines()[1:]]


def test_nothing_is_found_before_depmod(kmod):
    r = kmod("modprobe", "mathuser")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", f"modprobe: FATAL: Module mathuser not found in directory {DIRECTORY}\n")
    r = kmod("modprobe", "-r", "mathuser")
    assert (r.returncode, r.stderr) == (1, "modprobe: FATAL: Module mathuser not found.\n")


def test_depmod_writes_modules_dep_and_modules_symbols(indexed, home):
    folder = home / "lib" / "modules" / "6.1.0-kmodsim"
    assert (folder / "modules.dep").read_text() == (
        f"{MATHLIB}:\n{MATHUSER}: {MATHLIB}\n")
    assert (folder / "modules.symbols").read_text() == (
        "# Aliases for symbols, used by symbol_request().\n"
        "alias symbol:mathlib_add mathlib\n"
        "alias symbol:mathlib_calls mathlib\n"
        "alias symbol:mathlib_gcd mathlib\n")


def test_depmod_show_and_verbose(kmod):
    r = kmod("depmod", "-n", str(SYMBOLS))
    assert (r.returncode, r.stdout, r.stderr) == (0, f"{MATHLIB}:\n{MATHUSER}: {MATHLIB}\n", "")
    r = kmod("depmod", "-v", "-n", str(SYMBOLS))
    assert r.stdout.splitlines()[:3] == [f'{MATHUSER} needs "mathlib_calls": {MATHLIB}',
                                         f'{MATHUSER} needs "mathlib_add": {MATHLIB}',
                                         f'{MATHUSER} needs "mathlib_gcd": {MATHLIB}']
    assert kmod("modprobe", "mathuser").returncode == 1  # -n wrote no index


def test_modprobe_loads_the_dependencies_first(indexed):
    kmod = indexed
    r = kmod("modprobe", "-v", "mathuser", "a=35", "b=21")
    assert (r.returncode, r.stdout, r.stderr) == (
        0, f"insmod {MATHLIB} \ninsmod {MATHUSER} a=35 b=21\n", "")
    assert loaded(kmod) == ["mathuser", "mathlib"]
    assert "1 mathuser" in kmod("lsmod").stdout
    assert "mathuser: 35 + 21 = 56" in kmod("dmesg").stdout


def test_dry_runs_print_and_load_nothing(indexed):
    kmod = indexed
    expected = f"insmod {MATHLIB} \ninsmod {MATHUSER} \n"
    assert kmod("modprobe", "-n", "-v", "mathuser").stdout == expected
    assert kmod("modprobe", "--dry-run", "mathuser").stdout == ""
    assert kmod("modprobe", "--show-depends", "mathuser").stdout == expected
    assert kmod("lsmod").stdout == EMPTY_LSMOD
    kmod("modprobe", "mathlib")
    # loaded modules: skipped, but --show-depends lists them all
    assert kmod("modprobe", "-n", "-v", "mathuser").stdout == f"insmod {MATHUSER} \n"
    assert kmod("modprobe", "-D", "mathuser").stdout == expected


def test_a_loaded_module_is_fine_unless_first_time(indexed):
    kmod = indexed
    kmod("modprobe", "mathuser")
    r = kmod("modprobe", "-v", "mathuser")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    r = kmod("modprobe", "--first-time", "mathuser")
    assert (r.returncode, r.stderr) == (
        1, "modprobe: ERROR: could not insert 'mathuser': Module already in kernel\n")


def test_remove_takes_the_unused_dependencies_too(indexed):
    kmod = indexed
    kmod("modprobe", "mathuser")
    r = kmod("modprobe", "-r", "mathlib")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "modprobe: FATAL: Module mathlib is in use.\n")
    r = kmod("modprobe", "-r", "-n", "-v", "mathuser")
    assert (r.returncode, r.stdout) == (0, "rmmod mathuser\n")  # mathlib is still used then
    assert loaded(kmod) == ["mathuser", "mathlib"]
    r = kmod("modprobe", "-r", "-v", "mathuser")
    assert (r.returncode, r.stdout, r.stderr) == (0, "rmmod mathuser\nrmmod mathlib\n", "")
    assert kmod("lsmod").stdout == EMPTY_LSMOD
    assert kmod("modprobe", "-r", "mathuser").returncode == 0  # not loaded: nothing to do
    r = kmod("modprobe", "-r", "--first-time", "mathuser")
    assert (r.returncode, r.stderr) == (1, "modprobe: FATAL: Module mathuser is not in kernel.\n")


def test_remove_goes_on_after_a_failure(indexed):
    kmod = indexed
    kmod("modprobe", "mathuser")
    r = kmod("modprobe", "-r", "mathlib", "mathuser")
    assert (r.returncode, r.stderr) == (1, "modprobe: FATAL: Module mathlib is in use.\n")
    assert kmod("lsmod").stdout == EMPTY_LSMOD


def test_a_module_others_use_keeps_its_dependency(indexed):
    kmod = indexed
    kmod("insmod", MATHLIB)
    kmod("modprobe", "mathuser")
    kmod("modprobe", "-r", "mathuser")
    assert loaded(kmod) == []  # mathlib was used by mathuser alone


def test_all_and_quiet(indexed):
    kmod = indexed
    r = kmod("modprobe", "-a", "nosuch", "mathlib")
    assert (r.returncode, r.stderr) == (
        1, f"modprobe: WARNING: Module nosuch not found in directory {DIRECTORY}\n")
    assert loaded(kmod) == ["mathlib"]
    r = kmod("modprobe", "-q", "nosuch")
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "")
    r = kmod("modprobe", "-r", "-a", "nosuch")
    assert (r.returncode, r.stderr) == (1, "modprobe: WARNING: Module nosuch not found.\n")


def test_usage_errors(kmod):
    r = kmod("modprobe")
    assert (r.returncode, r.stderr) == (1, "modprobe: ERROR: missing parameters. See -h.\n")
    r = kmod("modprobe", "-r")
    assert (r.returncode, r.stderr) == (1, "modprobe: ERROR: missing parameters. See -h.\n")
    r = kmod("modprobe", "-x")
    assert (r.returncode, r.stderr) == (1, "modprobe: invalid option -- 'x'\n")
    assert kmod("modprobe", "-V").stdout.startswith("kmod version 30\n")
    assert kmod("modprobe", "--help").stdout.startswith("Usage:\n\tmodprobe [options]")


def test_a_failing_insert_is_modprobes_message(kmod, tmp_path, monkeypatch):
    (tmp_path / "needy.py").write_text(textwrap.dedent("""\
        from kmodsim.kernel import *
        MODULE_LICENSE("GPL")

        @module_init
        def needy_init():
            return nobody_exports_this()
        """))
    (tmp_path / "busy.py").write_text(textwrap.dedent("""\
        from kmodsim.kernel import *
        MODULE_LICENSE("GPL")

        @module_init
        def busy_init():
            return -EBUSY
        """))
    monkeypatch.setenv("KMODSIM_MODULE_PATH", str(tmp_path))
    assert kmod("depmod").returncode == 0
    r = kmod("modprobe", "needy")
    assert (r.returncode, r.stderr) == (
        1, "modprobe: ERROR: could not insert 'needy': Unknown symbol in module, or unknown "
           "parameter (see dmesg)\n")
    r = kmod("modprobe", "busy")
    assert (r.returncode, r.stderr) == (
        1, "modprobe: ERROR: could not insert 'busy': Device or resource busy\n")
    assert kmod("lsmod").stdout == EMPTY_LSMOD


def test_the_default_search_path_is_modules_of_the_current_folder(kmod, home, monkeypatch):
    monkeypatch.delenv("KMODSIM_MODULE_PATH", raising=False)
    assert kmod("depmod", "-a", cwd=ROOT).returncode == 0
    dep = (home / "lib" / "modules" / "6.1.0-kmodsim" / "modules.dep").read_text()
    files = [Path(line.split(":")[0]).relative_to(ROOT).as_posix() for line in dep.splitlines()]
    assert "modules/hello.py" in files and "modules/symbols/mathuser.py" in files
    assert "modules/startstop/startstop.py" in files  # its Kbuild's obj-m
    assert "modules/startstop/start.py" not in files  # a part of it
    assert "modules/mailbox/mailbox_user.py" not in files  # a user-space program
    assert "modules/mailbox/mailbox_defs.py" not in files  # definitions
    r = kmod("modprobe", "-v", "mathuser", cwd=ROOT / "tests")
    assert r.stdout == f"insmod {MATHLIB} \ninsmod {MATHUSER} \n"


def test_depmod_of_a_missing_folder(kmod, tmp_path):
    r = kmod("depmod", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.splitlines()[:2] == [
        f"depmod: ERROR: could not open directory {tmp_path}/modules: No such file or "
        f"directory",
        "depmod: FATAL: could not search modules: No such file or directory"]
    r = kmod("depmod", "6.1.0-56-amd64")
    assert (r.returncode, r.stderr) == (
        1, "depmod: ERROR: could not open directory /lib/modules/6.1.0-56-amd64: No such file "
           "or directory\ndepmod: FATAL: could not search modules: No such file or directory\n")


def test_modinfo_finds_an_indexed_module_by_name(indexed):
    r = indexed("modinfo", "mathuser")
    assert r.returncode == 0
    fields = dict(re.split(r":\s+", line, maxsplit=1) for line in r.stdout.splitlines()
                  if re.search(r":\s", line))
    assert fields["filename"] == MATHUSER
    assert fields["depends"] == "mathlib"
    assert indexed("modinfo", "-F", "depends", "mathlib").stdout == "\n"


def test_kmod_sh_runs_depmod_and_modprobe(kmod, monkeypatch):
    monkeypatch.setenv("KMODSIM_MODULE_PATH", str(SYMBOLS))
    r = kmod("sh", "-c", "depmod -a && modprobe -v mathuser && lsmod && modprobe -r mathuser; "
                         "echo $?")
    assert r.stdout == (f"insmod {MATHLIB} \ninsmod {MATHUSER} \n"
                        "Module                  Size  Used by\n"
                        "mathuser               12288  0\n"
                        "mathlib                12288  1 mathuser\n"
                        "0\n")
    assert kmod("lsmod").stdout == EMPTY_LSMOD


def test_wait_gives_up_on_a_module_still_in_use(indexed):
    kmod = indexed
    kmod("modprobe", "mathuser")
    r = kmod("modprobe", "-r", "-w", "100", "mathlib")
    assert (r.returncode, r.stderr) == (
        1, "modprobe: ERROR: could not remove 'mathlib': Resource temporarily unavailable\n")
    r = kmod("modprobe", "-r", "-w", "soon", "mathlib")
    assert (r.returncode, r.stderr) == (1, "modprobe: ERROR: unexpected wait value 'soon'.\n")
    assert kmod("modprobe", "-r", "-w", "100", "mathuser").returncode == 0
    assert loaded(kmod) == []


def test_a_tutorials_lines_work_in_kmod_sh(kmod, home, tmp_path, monkeypatch):
    """mkdir and cp into /lib/modules/$(uname -r) are the machine's, not the host's; then
    depmod -a indexes that tree (tests/oracle/symbols_modprobe: the real machine's)."""
    monkeypatch.delenv("KMODSIM_MODULE_PATH", raising=False)
    for source in (MATHLIB, MATHUSER):
        (tmp_path / Path(source).name).write_text(Path(source).read_text())
    tree = home / "lib" / "modules" / "6.1.0-kmodsim"
    script = ("uname -r\n"
              "mkdir -p /lib/modules/$(uname -r)/extra\n"
              "cp mathlib.ko mathuser.ko /lib/modules/$(uname -r)/extra/\n"
              "depmod -a\n"
              "modprobe -v mathuser\n")
    r = kmod("sh", "-c", script, cwd=tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == (f"6.1.0-kmodsim\ninsmod {tree}/extra/mathlib.py \n"
                        f"insmod {tree}/extra/mathuser.py \n")
    assert sorted(p.name for p in (tree / "extra").iterdir()) == ["mathlib.py", "mathuser.py"]
    assert loaded(kmod) == ["mathuser", "mathlib"]
    r = kmod("sh", "-c", "cp nosuch.ko /lib/modules/$(uname -r)/extra/", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (
        1, "cp: cannot stat 'nosuch.ko': No such file or directory\n")
    r = kmod("sh", "-c", "mkdir /lib/modules/x/y", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (
        1, "mkdir: cannot create directory '/lib/modules/x/y': No such file or directory\n")


def test_uname(kmod):
    assert kmod("sh", "-c", "uname; uname -r; uname -a").stdout == (
        "Linux\n6.1.0-kmodsim\nLinux kmodsim 6.1.0-kmodsim #1 kmodsim x86_64 GNU/Linux\n")
    r = kmod("sh", "-c", "uname -x")
    assert (r.returncode, r.stderr) == (
        1, "uname: invalid option -- 'x'\nTry 'uname --help' for more information.\n")
