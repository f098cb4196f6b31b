"""kmod modinfo only reads a module file, as the real modinfo reads a .ko: nothing of it runs,
and it prints what the reference kernel's modinfo prints (tests/oracle/modinfo_fields)."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT

ORACLE = ROOT / "tests" / "oracle" / "modinfo_fields"


def test_modinfo_runs_none_of_the_module(kmod, tmp_path: Path):
    marker = tmp_path / "ran"
    (tmp_path / "sneaky.py").write_text(f"""from kmodsim.kernel import *
import pathlib
pathlib.Path({str(marker)!r}).write_text("top level ran")
MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("Looks harmless")
while True:
    pass
""")
    r = kmod("modinfo", "-F", "description", "sneaky.py", cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "Looks harmless\n", "")
    assert not marker.exists()


def test_modinfo_prints_what_the_reference_kernel_printed(kmod):
    """The oracle's paramdemo (no MODULE_VERSION: no srcversion line; parameters in source
    order), but for the file's path and the kernel release."""
    transcript = (ORACLE / "transcript.txt").read_text()
    real = transcript.split("$ modinfo paramdemo.ko\n", 1)[1].split("[rc=0]", 1)[0]
    r = kmod("modinfo", "paramdemo.py", cwd=ORACLE)
    assert r.returncode == 0
    ours = r.stdout.replace(f"{ORACLE}/paramdemo.py", "/root/paramdemo.ko").replace(
        "6.1.0-kmodsim", "6.1.0-56-amd64")
    assert ours == real
    for options in (["-F", "parm"], ["-p"]):
        expected = transcript.split(f"$ modinfo {' '.join(options)} paramdemo.ko\n", 1)[1]
        r = kmod("modinfo", *options, "paramdemo.py", cwd=ORACLE)
        assert r.stdout == expected.split("[rc=0]", 1)[0]


def test_modinfo_reads_constants_the_module_names(kmod, tmp_path: Path):
    """As a C module #defines DRIVER_AUTHOR, a Python one may bind it to a name first; a
    value only running the code could tell is left out, as it can't be read."""
    (tmp_path / "named.py").write_text("""from kmodsim.kernel import *
import os
DRIVER_AUTHOR = "Jane Doe <jane@example.com>"
DRIVER_DESC = "A " + "driver"
MODULE_LICENSE("GPL")
MODULE_AUTHOR(DRIVER_AUTHOR)
MODULE_DESCRIPTION(DRIVER_DESC)
MODULE_VERSION(os.environ.get("VERSION", "1"))
MODULE_INFO("intree", "N")
count = 3
module_param_array("items", int, "count", 0o444)
MODULE_PARM_DESC("items", "The items")
""")
    r = kmod("modinfo", "named.py", cwd=tmp_path)
    assert r.returncode == 0
    assert r.stdout.splitlines()[1:5] == ["intree:         N", "description:    A driver",
                                          "author:         Jane Doe <jane@example.com>",
                                          "license:        GPL"]
    assert r.stdout.splitlines()[-1] == "parm:           items:The items (array of int)"
    assert "srcversion:" not in r.stdout  # the version wasn't a constant: no MODULE_VERSION


def test_a_file_that_is_not_python_is_an_exec_format_error(kmod, tmp_path: Path):
    (tmp_path / "broken.py").write_text("def broken(:\n")
    r = kmod("modinfo", "broken.py", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (
        1, "modinfo: ERROR: could not get modinfo from 'broken.py': Exec format error\n")


def test_depends_names_the_module_of_the_same_folder_that_exports_a_used_symbol(kmod,
                                                                                 tmp_path):
    (tmp_path / "provider.py").write_text("""from kmodsim.kernel import *
MODULE_LICENSE("GPL")
def provider_greet(who):
    pr_info("hello, %s\\n", who)
EXPORT_SYMBOL(provider_greet)
""")
    (tmp_path / "consumer.py").write_text("""from kmodsim.kernel import *
MODULE_LICENSE("GPL")
@module_init
def consumer_init():
    provider_greet("consumer")
    return 0
""")
    r = kmod("modinfo", "-F", "depends", "consumer.py", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "provider\n")
    r = kmod("modinfo", "-F", "depends", "provider.py", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "\n")


def test_modinfo_follows_include_and_the_other_parameter_forms(kmod):
    r = kmod("modinfo", "modules/startstop/startstop.py")
    assert "license:        GPL\n" in r.stdout  # declared in an included file
    r = kmod("modinfo", "-p", "modules/watchparam.py")
    assert r.stdout.splitlines() == [
        "level:how much to do, 0 to 10 (default 5)",  # module_param_cb: no type of its own
        "name:who to greet (charp)", "tag:a short tag, at most 7 characters (string)",
        "verbose:log more (bool)"]
