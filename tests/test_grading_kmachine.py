"""The helpers teachers assert with (KMachine), on a machine in this process and on one in a
child process; userspace.open inside a `machine()` block."""

from __future__ import annotations

import errno
import textwrap
from pathlib import Path

import pytest

from kmodsim import userspace
from kmodsim.errors import InsmodError, Killed, ProcError
from kmodsim.grading import IsolatedMachine, KMachine, WriteResult
from kmodsim.grading.audit import Finding
from kmodsim.grading.kmachine import param_text, parse_level
from kmodsim.machine import Machine

MODULES = Path(__file__).resolve().parent.parent / "modules"


@pytest.fixture(params=["none", "process"])
def km(request: pytest.FixtureRequest, tmp_path: Path) -> KMachine:
    home = tmp_path / "home"
    m = KMachine(Machine(home) if request.param == "none"
                 else IsolatedMachine(home, sandbox=False))
    assert m.isolation == request.param
    yield m
    m.close()


def write_module(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text("from kmodsim.kernel import *\n" + textwrap.dedent(source).lstrip("\n"))
    return path


def test_insmod_parameters_and_dmesg_levels(km: KMachine, tmp_path: Path) -> None:
    path = write_module(tmp_path, "params", """
        MODULE_LICENSE("GPL")
        start = 0
        name = "none"
        verbose = False
        ids = [0, 0, 0]
        nids = 0
        module_param("start", int, 0o444)
        module_param("name", str, 0o444)
        module_param("verbose", bool, 0o444)
        module_param_array("ids", int, "nids", 0o444)

        @module_init
        def params_init():
            pr_info("start=%d name=%s verbose=%d nids=%d\\n", start, name, verbose, nids)
            pr_err("an error\\n")
            pr_warn("a warning\\n")
            return 0

        @module_exit
        def params_exit():
            pass
    """)
    km.insmod(path, start=5, name="alice", verbose=True, ids=[1, 2])
    assert km.dmesg(level="info")[-1] == "start=5 name=alice verbose=1 nids=2"
    assert km.dmesg(level="err") == ["an error"]
    assert km.dmesg(level="warn+") == [
        "params: loading out-of-tree module taints kernel.", "an error", "a warning"]
    assert km.dmesg(level=["err", 4]) == [
        "params: loading out-of-tree module taints kernel.", "an error", "a warning"]
    assert km.tainted() == "OE"
    assert km.taint_mask() == (1 << 12) | (1 << 13)
    assert km.is_loaded("params")
    km.rmmod("params")
    assert not km.is_loaded("params")


def test_proc_write_results(km: KMachine) -> None:
    km.insmod(MODULES / "counter.py")
    ok = km.proc_write("counter", "I\n")
    assert ok == WriteResult(2, 0) and ok and ok.ok
    assert repr(ok) == "WriteResult(written=2)"
    bad = km.proc_write("counter", b"X\n")
    assert bad.errno == errno.EINVAL and not bad
    assert repr(bad) == "WriteResult(errno=EINVAL: Invalid argument)"
    assert km.proc_write("nothing", "I\n").errno == errno.ENOENT
    assert km.proc_read("counter") == b"1\n"
    assert km.proc_exists("counter") and km.proc_exists("/proc/counter")
    with pytest.raises(ProcError) as e:
        km.proc_read("nothing")
    assert e.value.errno == errno.ENOENT
    km.rmmod("counter")  # the failed write's file was closed again: not in use
    assert not km.proc_exists("counter")
    assert km.findings() == []


def test_a_crash_says_why(km: KMachine) -> None:
    km.insmod(MODULES / "buggy" / "null_deref.py")
    with pytest.raises(Killed) as e:
        km.proc_write("null_deref", "x\n")
    assert str(e.value).splitlines() == [
        "Killed: BUG: kernel NULL pointer dereference, address: 0000000000000000",
        f"kmodsim: hint: AttributeError: 'NoneType' object has no attribute 'limit' at "
        f"{MODULES}/buggy/null_deref.py:14 in null_write()"]
    assert e.value.lines == ["Killed"]  # what the shell would print is unchanged
    assert km.tainted() == "DOE"
    assert km.findings() == [Finding(
        "Oops", "BUG: kernel NULL pointer dereference, address: 0000000000000000")]


def test_insmod_errors(km: KMachine, tmp_path: Path) -> None:
    with pytest.raises(InsmodError) as e:
        km.insmod(tmp_path / "missing.py")
    assert e.value.lines == [f"insmod: ERROR: could not load module {tmp_path}/missing.py: "
                             f"No such file or directory"]


def test_leftover_proc_entries(km: KMachine) -> None:
    km.insmod(MODULES / "buggy" / "forgot_remove.py")
    assert km.leftover_proc_entries() == []
    km.rmmod("forgot_remove")
    assert km.leftover_proc_entries() == [["forgot_remove", "forgot_remove"]]


def test_userspace_open_uses_the_machine_set(km: KMachine, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "default"
    monkeypatch.setenv("KMODSIM_HOME", str(default))
    km.insmod(MODULES / "counter.py")
    other = Machine(tmp_path / "other")
    try:
        with userspace.machine(km):
            with userspace.open("/proc/counter", "r+") as f:
                f.write("I")
            assert userspace.open("/proc/counter").read() == "1\n"
            assert userspace.open("/proc/counter", home=km.home).read() == "1\n"
            with userspace.machine(km, other):
                with pytest.raises(RuntimeError, match="set 2 machines"):
                    userspace.open("/proc/counter")
                with pytest.raises(ProcError):  # the other machine has no counter
                    userspace.open("/proc/counter", home=tmp_path / "other")
            with userspace.machine():
                with pytest.raises(RuntimeError, match="set 0 machines"):
                    userspace.open("/proc/counter")
        assert userspace.current_machines() is None
    finally:
        other.close()
    assert not default.exists()  # nothing fell back to the default machine


def test_parsing_helpers() -> None:
    assert param_text("ids", [1, 2, 3]) == "ids=1,2,3"
    assert param_text("on", False) == "on=N"
    assert parse_level("warn+") == {0, 1, 2, 3, 4}
    assert parse_level("info-") == {6, 7}
    assert parse_level("warning") == {4}
    with pytest.raises(ValueError, match="unknown level 'loud'"):
        parse_level("loud")
