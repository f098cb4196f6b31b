"""`kmod sh`: a tutorial's lines, verbatim, in a root shell over the simulated machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MODULES

KMOD = str(Path(sys.executable).parent / "kmod")


@pytest.fixture
def sh(tmp_path):
    """Run `kmod sh ARGS` in a folder holding the seed modules; (rc, merged output)."""
    work = tmp_path / "work"
    work.mkdir()
    for name in ("hello", "counter", "helloworlddriver"):
        shutil.copy(MODULES / f"{name}.py", work)
    env = dict(os.environ, KMODSIM_HOME=str(tmp_path / "home"), KMODSIM_NO_HINTS="1")

    def run(*args: str, stdin: str = "") -> tuple[int, str]:
        r = subprocess.run([KMOD, "sh", *args], cwd=work, env=env, input=stdin.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return r.returncode, r.stdout.decode()
    run.work = work  # type: ignore[attr-defined]
    return run


def test_tutorial_lines_run_as_typed(sh):
    assert sh("-c", "sudo insmod counter.ko") == (0, "")
    assert sh("-c", "echo I > /proc/counter; echo I > /proc/counter; cat /proc/counter") == (
        0, "2\n")
    assert sh("-c", "lsmod | head -n 2") == (
        0, "Module                  Size  Used by\ncounter                12288  0\n")
    assert sh("-c", "dmesg | tail -n 1 | cut -d']' -f2") == (0, " counter: 2\n")  # host cut


def test_statuses_and_lists_are_the_shells(sh):
    assert sh("-c", "false && echo no || echo yes") == (0, "yes\n")
    assert sh("-c", "cat /proc/nosuch; echo $?") == (
        0, "cat: /proc/nosuch: No such file or directory\n1\n")
    assert sh("-c", "echo 'a $? b' \"c $? d\"") == (0, "a $? b c 0 d\n")
    assert sh("-c", "no-such-program") == (127, "sh: 1: no-such-program: not found\n")
    assert sh("-c", "exit 3") == (3, "")


def test_a_failed_write_is_dashs_io_error_and_the_handler_keeps_its_effects(sh):
    sh("-c", "insmod counter.ko")
    assert sh("-c", "echo X > /proc/counter") == (1, "sh: 1: echo: echo: I/O error\n")
    assert sh("-c", "echo x > /proc/nosuch") == (
        2, "sh: 1: cannot create /proc/nosuch: Directory nonexistent\n")
    assert sh("-c", "echo 7 | tee /proc/counter") == (
        1, "7\ntee: /proc/counter: Invalid argument\n")


def test_a_script_file_runs_line_by_line_and_names_itself_in_errors(sh):
    script = sh.work / "tour.sh"
    script.write_text("insmod hello.ko\nlsmod | tail -n 1\ncat /proc/missing\nrmmod hello\n")
    assert sh("tour.sh") == (0, "hello                  12288  0\n"
                                "cat: /proc/missing: No such file or directory\n")
    script.write_text("echo one\necho x > /proc/missing\n")
    assert sh("tour.sh") == (2, "one\ntour.sh: 2: cannot create /proc/missing: Directory "
                                "nonexistent\n")


def test_lines_from_a_pipe_run_until_end_of_input_with_no_prompt(sh):
    rc, out = sh(stdin="insmod helloworlddriver.ko\ncat /proc/helloworlddriver\n")
    # stdin is no terminal: no prompt, as dash gives none (tests/test_cli_readme.py types at
    # a real terminal, prompts and all)
    assert (rc, out) == (0, "Hello world!\n")


def test_a_pipe_stops_a_runaway_read_as_sigpipe_would(sh):
    shutil.copy(MODULES / "buggy" / "runaway_read.py", sh.work)
    sh("-c", "insmod runaway_read.ko")
    assert sh("-c", "cat /proc/runaway_read | head -n 2") == (0, "Hello again\nHello again\n")


def test_an_oops_in_the_shells_own_echo_ends_the_shell(sh):
    shutil.copy(MODULES / "buggy" / "null_deref.py", sh.work)
    sh("-c", "insmod null_deref.ko")
    # echo is the shell's builtin: the shell itself is killed, silently, and goes no further
    assert sh("-c", "echo x > /proc/null_deref; echo after") == (137, "")


def test_insmod_of_a_missing_ko_with_no_py_is_insmods_error(sh):
    assert sh("-c", "insmod nosuch.ko") == (
        1, "insmod: ERROR: could not load module nosuch.ko: No such file or directory\n")
