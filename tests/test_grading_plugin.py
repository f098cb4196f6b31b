"""The pytest plugin, driven as a teacher drives it: pytest run as a subprocess over test
files, its outcome read from its summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kmodsim.grading.isolated import sandbox_status

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "grading"
MODULES = ROOT / "modules"
BWRAP, _ = sandbox_status()


def run_pytest(folder: Path, *args: str, env: dict[str, str] | None = None
               ) -> tuple[int, dict[str, str], str]:
    """pytest in `folder`: (exit status, {test id: "PASSED - message"...}, its output)."""
    # CI and BUILD_NUMBER make pytest print summary lines uncut: the inner run's output must
    # not depend on where the outer one runs
    full = {k: v for k, v in os.environ.items()
            if not k.startswith("PYTEST_") and k not in ("KMODSIM_HOME", "CI", "BUILD_NUMBER")}
    full.update({"COLUMNS": "400", **(env or {})})
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
                        "--tb=short", *args], cwd=folder, capture_output=True, text=True,
                       env=full, timeout=600)
    summary = p.stdout.split("short test summary info", 1)[-1]
    outcomes = {}
    for line in summary.splitlines():
        m = re.match(r"(PASSED|FAILED|ERROR|SKIPPED) (\S+)(?: - (.*))?$", line)
        if m:
            outcomes[m[2]] = m[1] + (f" - {m[3]}" if m[3] else "")
    return p.returncode, outcomes, p.stdout + p.stderr


def suite(tmp_path: Path, source: str, name: str = "test_it.py") -> Path:
    folder = tmp_path / "suite"
    folder.mkdir(exist_ok=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / name).write_text(textwrap.dedent(source).replace("MODULES", repr(str(MODULES))))
    return folder


@pytest.mark.parametrize("sandbox", [
    pytest.param({}, marks=pytest.mark.skipif(not BWRAP, reason="no bubblewrap sandbox here"),
                 id="bwrap"),
    pytest.param({"KMODSIM_NO_BWRAP": "1"}, id="process"),
])
def test_example_grading_suite_under_xdist(sandbox: dict[str, str]) -> None:
    """examples/grading: Alice passes everything, Bob's three bugs fail two tests; the
    summary is the one in expected_report.txt (times masked, order within a kind sorted:
    -n 2 finishes tests in any order), with or without bubblewrap (without it, each worker
    warns once, as the last line says)."""
    rc, _, out = run_pytest(EXAMPLE, "-n", "2", "-q", env={"COLUMNS": "160", **sandbox})
    assert rc == 1, out
    lines = out.split("short test summary info", 1)[1].splitlines()[1:]
    passed = sorted(x for x in lines if x.startswith("PASSED "))
    failed = sorted(x for x in lines if x.startswith("FAILED "))
    last = re.sub(r" in [\d.]+s", " in N.NNs", lines[-1].strip("= "))
    if sandbox:
        assert "IsolationWarning: kmodsim: KMODSIM_NO_BWRAP is set" in out
        assert re.search(r", [12] warnings? in", last), last
        last = re.sub(r", [12] warnings?", "", last)
    report = "\n".join([*passed, *failed, last]) + "\n"
    assert report == (EXAMPLE / "expected_report.txt").read_text()


def test_the_audit_and_what_a_test_expects(tmp_path: Path) -> None:
    folder = suite(tmp_path, """
        from pathlib import Path
        import pytest
        from kmodsim.errors import Killed

        BUGGY = Path(MODULES) / "buggy"

        def null_deref(km):
            km.insmod(BUGGY / "null_deref.py")
            with pytest.raises(Killed):
                km.proc_write("null_deref", "x\\n")

        def test_clean(kmachine):
            kmachine.insmod(Path(MODULES) / "counter.py")
            assert kmachine.proc_write("counter", "I\\n")
            kmachine.rmmod("counter")

        def test_oops(kmachine):
            null_deref(kmachine)

        @pytest.mark.kmod_expect("Oops")
        def test_oops_expected(kmachine):
            null_deref(kmachine)

        @pytest.mark.kmod_expect("BUG")
        def test_oops_expected_as_a_bug(kmachine):
            null_deref(kmachine)

        @pytest.mark.kmod_expect("WARNING")
        def test_oops_is_no_warning(kmachine):
            null_deref(kmachine)

        @pytest.mark.kmod_expect()
        def test_anything_expected(kmachine):
            null_deref(kmachine)

        @pytest.mark.kmod_expect("KASAN")
        def test_kasan_with_its_oops(kmachine):
            kmachine.insmod(BUGGY / "memory.py")
            with pytest.raises(Killed):
                kmachine.proc_write("memory", "overflow\\n")

        def test_leak(kmachine):
            kmachine.insmod(BUGGY / "memory.py")
            assert kmachine.proc_write("memory", "leak\\n")
            kmachine.rmmod("memory")

        @pytest.mark.kmod_expect("kmemleak")
        def test_leak_expected(kmachine):
            test_leak(kmachine)

        def test_forgot_remove(kmachine):
            kmachine.insmod(BUGGY / "forgot_remove.py")
            kmachine.rmmod("forgot_remove")

        def test_lock_held(kmachine):
            kmachine.insmod(BUGGY / "locks.py")
            assert kmachine.proc_write("lockbugs", "hold\\n")

        @pytest.mark.kmod_expect("lock held")
        def test_lock_held_expected(kmachine):
            test_lock_held(kmachine)

        def test_recursive_locking(kmachine):
            kmachine.insmod(BUGGY / "locks.py")
            with pytest.raises(Killed):  # it would wait for itself forever: kmodsim kills it
                kmachine.proc_write("lockbugs", "twice\\n")

        def test_panic(kmachine):
            kmachine.insmod(BUGGY / "panic_button.py")
            with pytest.raises(Killed):
                kmachine.proc_write("panic_button", "x")

        @pytest.mark.kmod_expect("panic")
        def test_panic_expected(kmachine):  # the machine can still be audited
            test_panic(kmachine)

        @pytest.mark.kmod_expect("Oops")
        def test_failing_test_shows_the_reports(kmachine):
            kmachine.insmod(BUGGY / "memory.py")
            assert kmachine.proc_write("memory", "leak\\n")
            kmachine.rmmod("memory")
            assert False, "the teacher's own assertion"
    """)
    rc, outcomes, out = run_pytest(folder, "-p", "no:xdist")
    assert rc == 1, out
    unexpected = "Failed: unexpected kernel report: "
    assert outcomes == {
        "test_it.py::test_clean": "PASSED",
        "test_it.py::test_oops": f"FAILED - {unexpected}"
            "BUG: kernel NULL pointer dereference, address: 0000000000000000 [Oops]",
        "test_it.py::test_oops_expected": "PASSED",
        "test_it.py::test_oops_expected_as_a_bug": "PASSED",
        "test_it.py::test_oops_is_no_warning": f"FAILED - {unexpected}"
            "BUG: kernel NULL pointer dereference, address: 0000000000000000 [Oops]",
        "test_it.py::test_anything_expected": "PASSED",
        "test_it.py::test_kasan_with_its_oops": "PASSED",
        "test_it.py::test_leak": f"FAILED - {unexpected}"
            "kmemleak: 1 new suspected memory leak (see /sys/kernel/debug/kmemleak) [kmemleak]",
        "test_it.py::test_leak_expected": "PASSED",
        "test_it.py::test_forgot_remove": f"FAILED - {unexpected}/proc/forgot_remove "
            "left behind by forgot_remove, which is unloaded [proc entry left]",
        "test_it.py::test_lock_held": f"FAILED - {unexpected}"
            "WARNING: lock held when returning to user space! [lock held]",
        "test_it.py::test_lock_held_expected": "PASSED",
        "test_it.py::test_recursive_locking": f"FAILED - {unexpected}"
            "WARNING: possible recursive locking detected [lockdep]",
        "test_it.py::test_panic": f"FAILED - {unexpected}"
            "Kernel panic - not syncing: panic_button: pressed with 1 bytes [panic]",
        "test_it.py::test_panic_expected": "PASSED",
        "test_it.py::test_failing_test_shows_the_reports": "FAILED - AssertionError: the "
            "teacher's own assertion",
    }
    # a test that fails on its own shows its machine's reports beside the failure
    section = out.split("Captured kernel reports call", 1)[1]
    assert "kmemleak: 1 new suspected memory leak" in section.split("\n_")[0]


def test_a_report_the_log_lost_is_still_found_by_its_taint(tmp_path: Path) -> None:
    """The ring buffer is small and dmesg -C empties it; the taint flags stay for the boot,
    so an Oops or a WARNING whose report is gone from the log still fails the test (and one
    still in the log is reported once, by its line)."""
    folder = suite(tmp_path, """
        from pathlib import Path
        import pytest
        from kmodsim.errors import Killed

        BUGGY = Path(MODULES) / "buggy"
        CHATTY = '''
        from kmodsim.kernel import *
        MODULE_LICENSE("GPL")

        @module_init
        def chatty_init():
            for i in range(100):
                pr_info("chatty: line %d of a student's debugging output\\\\n", i)
            return 0
        '''

        def null_deref(km):
            km.insmod(BUGGY / "null_deref.py")
            with pytest.raises(Killed):
                km.proc_write("null_deref", "x\\n")

        def test_in_the_log(kmachine):
            null_deref(kmachine)

        def test_cleared(kmachine):
            null_deref(kmachine)
            kmachine.clear_log()  # dmesg -C

        @pytest.mark.kmod_expect("Oops")
        def test_cleared_expected(kmachine):
            test_cleared(kmachine)

        @pytest.mark.kmod_expect("BUG")
        def test_cleared_expected_as_a_bug(kmachine):
            test_cleared(kmachine)

        def test_scrolled_out(kmachine, tmp_path):
            kmachine.reboot(log_buf_len=4096)
            null_deref(kmachine)
            (tmp_path / "chatty.py").write_text(CHATTY)
            kmachine.insmod(tmp_path / "chatty.py")
            assert not any("NULL pointer" in line for line in kmachine.dmesg())

        def test_warning_cleared(kmachine):
            kmachine.insmod(BUGGY / "datastructs.py")
            assert kmachine.proc_write("datastructs", "refs\\n")
            kmachine.clear_log()

        def test_general_protection_fault_in_the_log(kmachine):
            kmachine.insmod(BUGGY / "datastructs.py")
            kmachine.proc_write("datastructs", "add\\n")
            kmachine.proc_write("datastructs", "add\\n")
            with pytest.raises(Killed):
                kmachine.proc_write("datastructs", "iterdel\\n")
    """)
    rc, outcomes, out = run_pytest(folder, "-p", "no:xdist")
    assert rc == 1, out
    unexpected = "Failed: unexpected kernel report: "
    lost = ("but that report is gone from the kernel log (it scrolled out of the ring "
            "buffer, or dmesg -C cleared it)")
    assert outcomes == {
        "test_it.py::test_in_the_log": f"FAILED - {unexpected}"
            "BUG: kernel NULL pointer dereference, address: 0000000000000000 [Oops]",
        "test_it.py::test_cleared": f"FAILED - {unexpected}"
            f"the kernel is tainted D (an Oops), {lost} [Oops]",
        "test_it.py::test_cleared_expected": "PASSED",
        "test_it.py::test_cleared_expected_as_a_bug": "PASSED",
        "test_it.py::test_scrolled_out": f"FAILED - {unexpected}"
            f"the kernel is tainted D (an Oops), {lost} [Oops]",
        "test_it.py::test_warning_cleared": f"FAILED - {unexpected}"
            f"the kernel is tainted W (a WARNING), {lost} [WARNING]",
        "test_it.py::test_general_protection_fault_in_the_log": f"FAILED - {unexpected}"
            "general protection fault, probably for non-canonical address "
            "0xdead0000000000f8: 0000 [#1] PREEMPT SMP NOPTI [Oops]",
    }
    assert "(and 1 more)" not in out  # the Oops in the log is not reported twice

@pytest.mark.parametrize("args, marker, expected", [
    ((), "", "bwrap" if BWRAP else "process"),
    (("--kmod-no-sandbox",), "", "process"),
    (("--kmod-no-isolation",), "", "none"),
    ((), "@pytest.mark.kmod_isolation(False)", "none"),
    (("--kmod-no-isolation",), "@pytest.mark.kmod_isolation(True)", "bwrap" if BWRAP
     else "process"),
])
def test_isolation_options(tmp_path: Path, args: tuple[str, ...], marker: str,
                           expected: str) -> None:
    folder = suite(tmp_path, f"""
        import pytest

        {marker}
        def test_isolation(kmachine, kmachine_factory):
            assert kmachine.isolation == {expected!r}
            assert kmachine_factory().isolation == {expected!r}
    """)
    rc, outcomes, out = run_pytest(folder, "-p", "no:xdist", *args)
    assert outcomes == {"test_it.py::test_isolation": "PASSED"}, out
    assert rc == 0


def test_userspace_open_uses_the_tests_machine(tmp_path: Path) -> None:
    default = tmp_path / "default-machine"
    folder = suite(tmp_path, """
        from pathlib import Path
        import pytest
        from kmodsim import userspace

        def test_one_machine(kmachine):
            kmachine.insmod(Path(MODULES) / "counter.py")
            kmachine.proc_write("counter", "I\\n")
            with userspace.open("/proc/counter") as f:
                assert f.read() == "1\\n"

        def test_several_machines(kmachine_factory):
            a, b = kmachine_factory("a"), kmachine_factory("b")
            b.insmod(Path(MODULES) / "counter.py")
            with pytest.raises(RuntimeError, match="set 2 machines"):
                userspace.open("/proc/counter")
            with userspace.open("/proc/counter", home=b.home) as f:
                assert f.read() == "0\\n"
            with userspace.machine(b):
                assert userspace.open("/proc/counter").read() == "0\\n"
    """)
    for args in [(), ("--kmod-no-isolation",)]:
        rc, outcomes, out = run_pytest(folder, "-p", "no:xdist", *args,
                                       env={"KMODSIM_HOME": str(default)})
        assert outcomes == {"test_it.py::test_one_machine": "PASSED",
                            "test_it.py::test_several_machines": "PASSED"}, out
        assert rc == 0
    assert not default.exists()  # the user's own machine was never touched


def test_a_students_patch_reaches_the_next_student_only_without_isolation(tmp_path: Path
                                                                          ) -> None:
    """Grading two students in one process: the first patches Machine.proc_read to make
    every counter read 2; Bob's broken counter then passes, unless each machine has its own
    process (the default)."""
    students = tmp_path / "students"
    for name, body in [("attacker", "kmodsim.machine.Machine.proc_read = "
                                    "lambda self, *a, **k: b'2\\n'"),
                       ("bob", "")]:
        (students / name).mkdir(parents=True)
        (students / name / "counter.py").write_text(textwrap.dedent(f"""
            from kmodsim.kernel import *
            import kmodsim.machine
            MODULE_LICENSE("GPL")
            {body}
            def counter_read(file, buf, count, ppos):
                return simple_read_from_buffer(buf, count, ppos, b"0\\n")  # never counts
            def counter_write(file, buf, count, ppos):
                return count
            fops = proc_ops(proc_read=counter_read, proc_write=counter_write)
            @module_init
            def counter_init():
                proc_create("counter", 0o666, None, fops)
                return 0
            @module_exit
            def counter_exit():
                remove_proc_entry("counter", None)
        """))
    folder = suite(tmp_path, f"""
        from pathlib import Path
        import pytest

        @pytest.mark.parametrize("student", ["attacker", "bob"])
        def test_counts(kmachine, student):
            kmachine.insmod(Path({str(students)!r}) / student / "counter.py")
            for c in "IIID":
                kmachine.proc_write("counter", c)
            assert kmachine.proc_read("counter") == b"2\\n"
    """)
    _, isolated, out = run_pytest(folder, "-p", "no:xdist")
    # the attacker forges her own machine's answers (her code answers for it), nobody else's
    assert {k: v.split(" - ")[0] for k, v in isolated.items()} == {
        "test_it.py::test_counts[attacker]": "PASSED",
        "test_it.py::test_counts[bob]": "FAILED"}, out
    _, shared, out = run_pytest(folder, "-p", "no:xdist", "--kmod-no-isolation")
    assert shared == {"test_it.py::test_counts[attacker]": "PASSED",
                      "test_it.py::test_counts[bob]": "PASSED"}, out


def test_limits_marker(tmp_path: Path) -> None:
    (tmp_path / "chatty.py").write_text(textwrap.dedent("""
        from kmodsim.kernel import *
        MODULE_LICENSE("GPL")
        def chatty_read(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, b"x" * 100000)
        fops = proc_ops(proc_read=chatty_read)
        @module_init
        def chatty_init():
            proc_create("chatty", 0o444, None, fops)
            return 0
    """))
    folder = suite(tmp_path, f"""
        import pytest

        @pytest.mark.kmod_limits(output_bytes=65536)
        def test_chatty(kmachine):
            kmachine.insmod({str(tmp_path / "chatty.py")!r})
            kmachine.proc_read("chatty")
    """)
    rc, outcomes, out = run_pytest(folder, "-p", "no:xdist")
    assert outcomes == {"test_it.py::test_chatty": "FAILED - kmodsim.grading.isolated."
                        "LimitExceeded: kmodsim: the machine's process sent a message of "
                        "133365 bytes (the limit is 65536): it was stopped"}, out
    assert rc == 1
