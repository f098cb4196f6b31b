"""The conventions of command-line tools: the two names and --version, where the machine is
kept, help for everything (and a man page), shell completion, NO_COLOR and --color."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KMOD = str(BIN / "kmod")
KMODSIM = str(BIN / "kmodsim")
ESC = "\033["


def run(args: list[str], home: Path | None = None, *, exe: str = KMOD, cwd: Path = ROOT,
        env: dict[str, str] | None = None) -> tuple[int, str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("KMODSIM_", "_KMOD"))}
    e.pop("NO_COLOR", None)
    if home is not None:
        e["KMODSIM_HOME"] = str(home)
    e.update(env or {})
    p = subprocess.run([exe, *args], cwd=cwd, env=e, capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def on_tty(args: list[str], home: Path, env: dict[str, str] | None = None) -> str:
    """What a terminal shows of `kmod ARGS` (stdout and stderr on it)."""
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "KMODSIM_COLOR")}
    e.update(KMODSIM_HOME=str(home), TERM="xterm", LC_ALL="C", TZ="GMT", PAGER="cat",
             **(env or {}))
    master, slave = pty.openpty()
    p = subprocess.Popen([KMOD, *args], cwd=ROOT, env=e, stdin=subprocess.DEVNULL,
                         stdout=slave, stderr=slave)
    os.close(slave)
    screen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)  # a hang guard only
        assert ready, "kmod hangs"
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    p.wait(timeout=60)
    os.close(master)
    return screen.decode().replace("\r\n", "\n")


# -- names, version, where ----------------------------------------------------------------------

@pytest.mark.parametrize("args", [["--version"], ["-V"]])
@pytest.mark.parametrize("exe", [KMOD, KMODSIM])
def test_version_names_kmodsim(exe, args):
    assert run(args, exe=exe) == (0, "kmodsim 0.1.0\n", "")


def test_bare_kmod_prints_help_and_succeeds():
    status, out, err = run([])
    assert (status, err) == (0, "")
    assert out == run(["--help"])[1]
    assert out.startswith("Usage: kmod [OPTIONS] [COMMAND] [ARGS]...\n")
    for name in ("insmod", "rmmod", "lsmod", "modinfo", "dmesg", "proc", "reboot", "sh",
                 "explain", "status", "help", "completion"):
        assert re.search(rf"^  {name} ", out, re.M), name
    assert out.endswith("`kmod help COMMAND` shows a command's options (insmod, rmmod, lsmod, "
                        "modinfo\n  and dmesg take the real tools' own); `kmod help --all` all "
                        "of them.\n")


def test_kmodsim_is_the_same_program_under_its_own_name(tmp_path):
    status, out, _ = run([], exe=KMODSIM)
    assert status == 0 and out.startswith("Usage: kmodsim [OPTIONS] [COMMAND] [ARGS]...\n")
    home = tmp_path / "home"
    assert run(["insmod", "modules/hello.py"], home, exe=KMODSIM)[0] == 0
    assert run(["lsmod"], home)[1] == "Module                  Size  Used by\nhello" \
                                      "                  12288  0\n"


def test_where_says_which_folder(tmp_path):
    assert run(["--where"], tmp_path / "m") == (0, f"{tmp_path / 'm'}\n", "")
    assert not (tmp_path / "m").exists()  # asking creates nothing
    fake_home = tmp_path / "user"
    status, out, _ = run(["--where"], env={"HOME": str(fake_home), "XDG_DATA_HOME": ""})
    assert (status, out) == (0, f"{fake_home}/.local/share/kmodsim\n")


def test_a_relative_kmodsim_home_is_refused(tmp_path):
    for args in (["lsmod"], ["dmesg"], ["--where"]):
        assert run(args, env={"KMODSIM_HOME": "state"}, cwd=tmp_path) == (
            1, "", "kmod: KMODSIM_HOME must be an absolute path, not 'state': a relative one "
                   "would be another machine in each folder (use KMODSIM_HOME=\"$PWD/state\" "
                   "for this folder's)\n")
    assert not (tmp_path / "state").exists()
    assert run(["--where"], env={"KMODSIM_HOME": "~/m", "HOME": str(tmp_path)}) == (
        0, f"{tmp_path}/m\n", "")


def test_status(tmp_path):
    home = tmp_path / "home"
    env = {"PATH": f"{BIN}:/usr/bin:/bin"}
    status, out, err = run(["status"], home, env=env)
    assert (status, err) == (0, "")
    assert out == (f"kmodsim: 0.1.0 ({KMOD})\n"
                   f"state:   {home} (KMODSIM_HOME)\n"
                   "machine: none yet: the first kmod command that uses it makes it\n")
    assert not home.exists()
    run(["insmod", "modules/buggy/null_deref.py"], home)
    run(["proc", "write", "null_deref", "x"], home)
    out = run(["status"], home, env=env)[1]
    assert re.sub(r"up [\d.]+ s", "up N s", out) == (
        f"kmodsim: 0.1.0 ({KMOD})\n"
        f"state:   {home} (KMODSIM_HOME)\n"
        "machine: up N s, 1 module loaded (null_deref), Tainted: G      D    OE\n"
        "reports: 1 in the ring buffer, the last: BUG: kernel NULL pointer dereference, "
        "address: 0000000000000000 (kmod explain)\n")


def test_status_says_when_kmod_is_the_systems(tmp_path):
    out = run(["status"], tmp_path / "h", env={"PATH": "/usr/bin:/bin"})[1]
    found = shutil.which("kmod", path="/usr/bin:/bin")
    assert out.splitlines()[1] == (
        f"kmod:    here `kmod` is {found or 'no kmod at all'}, not kmodsim's: "
        f". {os.path.relpath(BIN / 'activate')}, or type "
        f"{os.path.relpath(BIN / 'kmodsim')}")


# -- help ---------------------------------------------------------------------------------------

def test_help_command_is_the_commands_help():
    assert run(["help"])[1] == run(["--help"])[1]
    assert run(["help", "proc", "write"]) == (0, run(["proc", "write", "--help"])[1], "")
    assert run(["help", "reboot"])[1] == run(["reboot", "--help"])[1]


def test_help_for_a_real_tool_gives_the_tools_own_options():
    status, out, _ = run(["help", "insmod"])
    assert status == 0
    assert out.startswith("kmod insmod: Load a module (FILE.py; FILE.ko loads FILE.py).\n\n"
                          "kmod insmod [-f -s -p] FILE [name=value ...]\n")
    assert out.endswith("Its options are the real insmod's; `kmod insmod --help` prints them:"
                        "\n\n" + "".join(f"  {line}\n" for line in
                                         run(["insmod", "--help"])[1].splitlines()))
    out = run(["help", "dmesg"])[1]
    assert "".join(f"  {line}\n" if line else "\n"
                   for line in run(["dmesg", "--help"])[1].strip("\n").splitlines()) in out


def test_help_for_no_such_command():
    status, _, err = run(["help", "nosuch"])
    assert status == 2
    assert err.splitlines()[-1].startswith("Error: no such command: 'nosuch' (commands: ")


def _every_option() -> list[tuple[str, str]]:
    """(command path, option flag) for every option of every click command."""
    from kmodsim.cli import cli

    found = []
    root = click.Context(cli, info_name="kmod")

    def visit(ctx: click.Context, cmd: click.Command, path: str) -> None:
        for p in cmd.get_params(ctx):
            if isinstance(p, click.Option):
                found.extend((path, flag) for flag in p.opts + p.secondary_opts)
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                visit(click.Context(sub, info_name=name, parent=ctx), sub, f"{path} {name}")

    visit(root, cli, "kmod")
    return found


def test_help_all_covers_every_command_and_option():
    status, out, err = run(["help", "--all"])
    assert (status, err) == (0, "")
    sections = re.split(r"^={78}\n(.*)\n={78}\n", out, flags=re.M)
    by_name = dict(zip(sections[1::2], sections[2::2], strict=True))
    options = _every_option()
    assert len(options) > 20
    for path, flag in options:
        text = out if path == "kmod" else by_name[path]
        assert re.search(rf"(^|[\s,]){re.escape(flag)}\b", text), (path, flag)
    for tool in ("insmod", "rmmod", "modinfo", "dmesg"):
        for line in run([tool, "--help"])[1].strip("\n").splitlines():
            assert line in by_name[f"kmod {tool}"], (tool, line)
    for var in ("KMODSIM_HOME", "KMODSIM_EXPLAIN", "NO_COLOR", "KMODSIM_NO_HINTS"):
        assert var in by_name["Environment"].splitlines()


@pytest.mark.skipif(shutil.which("man") is None, reason="no man(1) here")
def test_the_man_page_renders_and_covers_every_option():
    page = run(["help", "--man"])[1]
    assert page.startswith('.TH KMODSIM 1 "" "kmodsim 0.1.0" "kmodsim manual"\n')
    p = subprocess.run(["man", "--warnings", "-l", "-"], input=page, capture_output=True,
                       text=True, env=dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING=""))
    assert (p.returncode, p.stderr) == (0, "")
    text = re.sub(r".\x08", "", p.stdout)
    for path, flag in _every_option():
        assert flag in text, (path, flag)
    assert "KMODSIM_EXPLAIN" in text and "Usage:\n" not in text.replace("    Usage:\n", "")


# -- colours ------------------------------------------------------------------------------------

@pytest.fixture
def logged(tmp_path):
    home = tmp_path / "home"
    assert run(["insmod", "modules/buggy/no_license.py"], home)[0] == 0
    return home


def test_dmesg_colours_a_terminal(logged):
    assert f"{ESC}" in on_tty(["dmesg"], logged)


def test_dmesg_honours_no_color_unless_a_colour_option_is_given(logged):
    plain = run(["dmesg"], logged)[1]
    assert on_tty(["dmesg"], logged, {"NO_COLOR": "1"}) == plain
    assert on_tty(["dmesg"], logged, {"NO_COLOR": ""}) == plain  # set is enough, as util-linux
    assert ESC in on_tty(["dmesg", "--color=always"], logged, {"NO_COLOR": "1"})
    assert ESC in on_tty(["dmesg", "-L"], logged, {"NO_COLOR": "1"})  # -L is auto: explicit


def test_kmod_color_reaches_dmesg(logged):
    plain = run(["dmesg"], logged)[1]
    assert on_tty(["--color=never", "dmesg"], logged) == plain
    forced = run(["--color=always", "dmesg"], logged)[1]
    assert ESC in forced and re.sub(r"\033\[[0-9;]*m", "", forced) == plain
    assert ESC in on_tty(["--color=auto", "dmesg"], logged, {"NO_COLOR": "1"})
    assert run(["--color", "never", "dmesg", "--color=always"], logged)[1] == forced
    status, _, err = run(["--color=sometimes", "lsmod"], logged)
    assert status == 2 and "'sometimes' is not one of 'auto', 'always', 'never'" in err


# -- shell completion ---------------------------------------------------------------------------

def complete(words: str, home: Path, cwd: Path = ROOT, prog: str = "kmod") -> list[str]:
    """What bash's completion asks kmod for `words` (the last one being completed)."""
    parts = words.split(" ")
    status, out, err = run([], home, exe=str(BIN / prog), cwd=cwd, env={
        f"_{prog.upper()}_COMPLETE": "bash_complete", "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1)})
    assert (status, err) == (0, "")
    return [line for line in out.splitlines() if line]


def test_completion_of_commands_and_options(tmp_path):
    home = tmp_path / "home"
    assert complete("kmod ex", home) == ["plain,explain"]
    assert complete("kmod --co", home) == ["plain,--color"]
    assert complete("kmod --color ", home) == ["plain,auto", "plain,always", "plain,never"]
    assert complete("kmod proc ", home) == ["plain,ls", "plain,read", "plain,write"]
    assert complete("kmod rmmod --v", home) == ["plain,--verbose", "plain,--version"]
    assert complete("kmod insmod -", home) == [f"plain,-{c}" for c in "psfVh"] + [
        "plain,--version", "plain,--help"]
    assert complete("kmod dmesg --fo", home) == ["plain,--follow", "plain,--follow-new",
                                                 "plain,--force-prefix"]
    assert complete("kmod dmesg -l e", home) == ["plain,emerg", "plain,err"]
    assert not home.exists()  # completing never creates the machine


def test_completion_of_module_files(tmp_path):
    home = tmp_path / "home"
    assert complete("kmod insmod modules/he", home) == [
        "path,modules/heartbeat.py", "path,modules/hello.py", "path,modules/helloworlddriver.py"]
    assert complete("kmod insmod mod", home) == ["pathdir,modules/"]
    assert complete("kmod modinfo modules/buggy/no_", home) == [
        "path,modules/buggy/no_exit.py", "path,modules/buggy/no_license.py"]
    (tmp_path / "m").mkdir()
    for name in ("a.py", "b.ko", "c.c", "Makefile", ".hidden.py"):
        (tmp_path / "m" / name).write_text("")
    assert complete("kmod insmod ", home, cwd=tmp_path / "m") == ["path,a.py", "path,b.ko"]


def test_completion_of_parameters_after_the_file(tmp_path, module_file):
    path = module_file("params", """
        MODULE_LICENSE("GPL")
        count = 1
        module_param("count", int, 0o644)
        MODULE_PARM_DESC("count", "how many")
        name = "x"
        module_param("name", charp, 0o644)
        """)
    assert complete(f"kmod insmod {path} ", tmp_path / "h") == ["prefix,count=", "prefix,name="]
    assert complete(f"kmod insmod {path} n", tmp_path / "h") == ["prefix,name="]


def test_completion_of_loaded_modules_and_proc_entries(tmp_path):
    home = tmp_path / "home"
    assert complete("kmod rmmod ", home) == []
    for module in ("counter", "hello"):
        assert run(["insmod", f"modules/{module}.py"], home)[0] == 0
    assert complete("kmod rmmod ", home) == ["plain,hello", "plain,counter"]
    assert complete("kmod rmmod hello ", home) == ["plain,counter"]
    assert complete("kmod proc read c", home) == ["plain,counter"]
    assert complete("kmod proc write co", home) == ["plain,counter"]
    assert complete("kmod proc read sys/", home) == ["plain,sys/kernel",
                                                     "plain,sys/kernel/tainted"]
    assert complete("kmodsim rmmod h", home, prog="kmodsim") == ["plain,hello"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell, tmp_path):
    status, script, err = run(["completion", shell])
    assert (status, err) == (0, "")
    assert run([], env={"_KMOD_COMPLETE": f"{shell}_source"})[1] == script
    assert "_KMOD_COMPLETE=" in script
    kmodsim_script = run(["completion", shell], exe=KMODSIM)[1]
    assert "_KMODSIM_COMPLETE=" in kmodsim_script and "_kmodsim_completion" in kmodsim_script
    if shell == "bash":
        assert script.endswith("complete -o nosort -F _kmod_completion kmod\n}\n\n"
                               "_kmod_completion_setup;\n")
    if shutil.which(shell) and shell != "bash":
        syntax = {"zsh": ["zsh", "-n"], "fish": ["fish", "--no-execute"]}[shell]
        path = tmp_path / "script"
        path.write_text(script)
        assert subprocess.run([*syntax, str(path)]).returncode == 0


def test_the_bash_script_completes_in_bash(tmp_path):
    home = tmp_path / "home"
    assert run(["insmod", "modules/hello.py"], home)[0] == 0
    script = tmp_path / "kmod.bash"
    script.write_text(run(["completion", "bash"])[1])

    def bash(words: list[str]) -> list[str]:
        line = " ".join(f"'{w}'" for w in words)
        p = subprocess.run(
            ["bash", "--norc", "-c", f'source {script}; COMP_WORDS=({line}); '
             f'COMP_CWORD={len(words) - 1}; _kmod_completion kmod 2>/dev/null; '
             'printf "%s\\n" "${COMPREPLY[@]}"'],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            env=dict(os.environ, KMODSIM_HOME=str(home), PATH=f"{BIN}:/usr/bin:/bin"))
        return p.stdout.splitlines()

    assert bash(["kmod", "insmod", "modules/hel"]) == ["modules/hello.py",
                                                       "modules/helloworlddriver.py"]
    assert bash(["kmod", "insmod", "modul"]) == ["modules"]  # bash adds the slash
    assert bash(["kmod", "rmmod", ""]) == ["hello"]
    assert bash(["kmod", "proc", "r"]) == ["read"]


def test_completion_keeps_quiet_for_the_systems_kmod(tmp_path):
    """With the system's kmod first on PATH, the script asks it, gets nothing, and leaves
    the shell's own file completion (no error on the terminal)."""
    script = tmp_path / "kmod.bash"
    script.write_text(run(["completion", "bash"])[1])
    p = subprocess.run(
        ["bash", "--norc", "-c", f"source {script}; COMP_WORDS=(kmod insmod x); COMP_CWORD=2; "
         "_kmod_completion kmod; echo \"status $? replies ${#COMPREPLY[@]}\""],
        capture_output=True, text=True, env=dict(os.environ, PATH="/usr/bin:/bin"))
    assert p.stdout == "status 0 replies 0\n"
    assert "missing command" not in p.stderr and "Traceback" not in p.stderr
