"""`kmod -b FILE`: one kmod command per line, in one process, each its own transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import MODULES, messages

from kmodsim.machine import Machine

COUNTER = str(MODULES / "counter.py")
PROCFILE = str(MODULES / "procfile.py")


@pytest.fixture
def batch(tmp_path: Path):
    def write(text: str) -> str:
        path = tmp_path / "script.kmod"
        path.write_text(text)
        return str(path)

    return write


def test_lines_run_in_order_as_if_typed_one_by_one(kmod, batch):
    script = batch(f"""
# a teacher's script
insmod {COUNTER}

proc write counter I
  proc write counter I   # trailing comment, as in a shell
proc read counter
lsmod
""")
    r = kmod("-b", script)
    alone = kmod("lsmod")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "2\n" + alone.stdout


def test_words_are_split_like_a_shell_splits_them(kmod, batch):
    script = batch(f"insmod {PROCFILE}\n"
                   "proc write procfile 'hello   world' \"and\\\"more\" back\\ slash\n")
    assert kmod("-b", script).returncode == 0
    assert kmod("proc", "read", "procfile").stdout == 'hello   world and"more back slash\n'


def test_stops_at_the_first_failing_line_and_names_it(kmod, batch):
    script = batch(f"insmod {COUNTER}\nproc write counter I\nproc write counter X\n"
                   "proc write counter I\n")
    r = kmod("-b", script)
    assert r.returncode == 1
    assert r.stderr == ("kmod: /proc/counter: Invalid argument\n"
                        "kmod: batch line 3 failed: proc write counter X\n")
    assert kmod("proc", "read", "counter").stdout == "1\n"  # line 4 never ran


def test_exit_status_is_the_failing_commands(kmod, batch):
    r = kmod("-b", batch("lsmod\nrmmod --no-such-option x\nlsmod\n"))
    assert r.returncode == 1  # what rmmod itself exits with
    assert "rmmod: unrecognized option '--no-such-option'\n" in r.stderr
    assert r.stderr.endswith("kmod: batch line 2 failed: rmmod --no-such-option x\n")
    assert r.stdout.count("Module") == 1


def test_an_oops_kills_that_line_only_the_lines_before_are_committed(kmod, batch):
    buggy = str(MODULES / "buggy" / "null_deref.py")
    script = batch(f"insmod {COUNTER}\nproc write counter I\ninsmod {buggy}\n"
                   "proc write null_deref x\nproc write counter I\n")
    r = kmod("-b", script)
    assert r.returncode == 137
    assert r.stderr.endswith("Killed\nkmod: batch line 4 failed: proc write null_deref x\n")
    assert kmod("proc", "read", "counter").stdout == "1\n"


def test_force_goes_on_and_exits_1_naming_every_failed_line(kmod, batch):
    script = batch(f"insmod {COUNTER}\nproc write counter X\nproc write counter I\n"
                   "rmmod nothing\nproc write counter I\n")
    r = kmod("-b", script, "--force")
    assert r.returncode == 1
    assert r.stderr == ("kmod: /proc/counter: Invalid argument\n"
                        "kmod: batch line 2 failed: proc write counter X\n"
                        "rmmod: ERROR: Module nothing is not currently loaded\n"
                        "kmod: batch line 4 failed: rmmod nothing\n")
    assert kmod("proc", "read", "counter").stdout == "2\n"


def test_force_with_no_failure_exits_0(kmod, batch):
    r = kmod("--force", "-b", batch(f"insmod {COUNTER}\n"))
    assert (r.returncode, r.stderr) == (0, "")


def test_standard_input_and_commands_there_see_an_empty_stdin(kmod):
    script = f"insmod {PROCFILE}\nproc write procfile\nproc read procfile\nlsmod\n"
    r = kmod("-b", "-", input=script.encode())
    assert r.returncode == 0
    assert r.stdout.startswith("Module ")  # `proc write procfile` read nothing: no write
    assert kmod("proc", "read", "procfile").stdout == ""


def test_lines_may_keep_the_kmod_command_name(kmod, batch):
    r = kmod("-b", batch(f"kmod insmod {COUNTER}\nkmod proc write counter I\n"))
    assert r.returncode == 0
    assert kmod("proc", "read", "counter").stdout == "1\n"


def test_each_line_is_its_own_transaction(kmod, batch, home):
    kmod("insmod", COUNTER)
    kmod("-b", batch("proc write counter I\n" * 5))
    db = sqlite3.connect(home / "machine.db")
    texts = [t for (t,) in db.execute("SELECT text FROM log ORDER BY seq")]
    assert texts[-5:] == [f"counter: {i}" for i in range(1, 6)]


def test_one_machine_one_connection_for_the_whole_batch(home, batch, monkeypatch):
    from kmodsim import store
    from kmodsim.cli import run

    Machine(home).insmod(COUNTER)
    connects = []
    real = sqlite3.connect
    monkeypatch.setattr(store.sqlite3, "connect", lambda *a, **k: connects.append(a) or
                        real(*a, **k))
    assert run(["-b", batch("proc write counter I\n" * 20)]) == 0
    assert len(connects) == 1
    assert Machine(home).proc_read("counter") == b"20\n"


def test_a_reboot_then_another_file_of_the_same_name_runs_the_new_code(kmod, batch, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "counter.py").write_text(Path(COUNTER).read_text().replace(
        'b"%d\\n" % counter', 'b"other %d\\n" % counter'))
    script = batch(f"insmod {COUNTER}\nproc read counter\nreboot\n"
                   f"insmod {other / 'counter.py'}\nproc read counter\n")
    r = kmod("-b", script)
    assert (r.returncode, r.stdout) == (0, "0\nother 0\n")


def test_an_oops_in_a_batch_shows_killed_and_the_log_has_the_report(kmod, batch, machine):
    buggy = str(MODULES / "buggy" / "null_deref.py")
    r = kmod("-b", batch(f"insmod {buggy}\nproc write null_deref x\n"))
    # the kernel console is not the terminal (as on the reference machine): no report here
    assert r.stderr == "Killed\nkmod: batch line 2 failed: proc write null_deref x\n"
    assert "Oops: 0000 [#1] PREEMPT SMP NOPTI" in messages(machine)


@pytest.mark.parametrize(("text", "status", "error"), [
    ('proc write counter "unclosed\n', 2, "kmod: No closing quotation\n"),
    ("lsmod\0junk\n", 2, "kmod: a command line can't contain a NUL byte\n"),
    ("-b /dev/null\n", 2, "Error: -b can't be used inside a batch\n"),
    ("no-such-command\n", 2, "Error: No such command 'no-such-command'.\n"),
])
def test_a_bad_line_fails_like_a_bad_command(kmod, batch, text, status, error):
    r = kmod("-b", batch(text))
    assert r.returncode == status
    assert error in r.stderr
    assert r.stderr.endswith(f"kmod: batch line 1 failed: {text.rstrip()}\n")
    assert "Traceback" not in r.stderr


def test_blank_and_comment_only_batch_does_nothing(kmod, batch):
    r = kmod("-b", batch("\n# nothing\n   \n\t# still nothing\n"))
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_missing_batch_file(kmod, tmp_path):
    r = kmod("-b", str(tmp_path / "nope"))
    assert (r.returncode, r.stderr) == (
        1, f"kmod: can't read batch file {tmp_path / 'nope'}: No such file or directory\n")


def test_endless_line_is_refused_not_swallowed(kmod):
    r = kmod("-b", "/dev/zero")
    assert (r.returncode, r.stderr) == (1, "kmod: batch line 1 is longer than 1048576 bytes\n")


@pytest.mark.parametrize("args", [["-b"], ["-b", "/dev/null", "lsmod"], ["--force"],
                                  ["--force", "lsmod"]])
def test_batch_option_misuse_is_a_usage_error(kmod, args):
    r = kmod(*args)
    assert r.returncode == 2
    assert "Error: " in r.stderr
    assert "Traceback" not in r.stderr
