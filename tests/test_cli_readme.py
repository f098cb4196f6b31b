"""The README's set-up line and five-minute tour, run as a newcomer would run them.

The `$ ...` lines of the tour's code blocks run in a shell, in order, on one fresh machine
(after the set-up line's own kmod commands, which must leave it clean), and print what the
README shows under them, timestamps aside. The `kmod sh` block is typed into `kmod sh` on a
terminal, a line at each prompt.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
PROMPT = "root@kmodsim:~# "
TIMESTAMP = re.compile(r"\[\s*\d+\.\d{6}\]")


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def code_blocks(text: str) -> list[str]:
    """The unlabelled fenced blocks (a ```python block is a program, not a session)."""
    blocks: list[str] = []
    info: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if info is None and line.startswith("```"):
            info, lines = line[3:].strip(), []
        elif info is not None and line == "```":
            if not info:
                blocks.append("".join(x + "\n" for x in lines))
            info = None
        elif info is not None:
            lines.append(line)
    return blocks


def setup_commands() -> list[list[str]]:
    """The kmod commands of the set-up line (after the venv and the install)."""
    line = next(line for block in code_blocks(section("Set up")) for line in block.splitlines()
                if line.startswith("python3 -m venv"))
    return [shlex.split(part)[1:] for part in line.split(" && ")
            if part.startswith(".venv/bin/kmod ")]


def tour_steps() -> list[tuple[str, str, str]]:
    """(kind, line, output shown) for each `$ ` line of the tour, and each line typed into
    `kmod sh` (kind "sh"), in order."""
    steps: list[tuple[str, str, str]] = []
    for block in code_blocks(section("A five-minute tour")):
        current: list[object] | None = None
        for line in block.splitlines():
            if line.startswith("$ ") or line.startswith(PROMPT):
                kind = "sh" if line.startswith(PROMPT) else "$"
                current = [kind, line.split(" ", 1)[1] if kind == "$" else line[len(PROMPT):],
                           []]
                steps.append(current)  # type: ignore[arg-type]
            elif current is not None:
                current[2].append(line)  # type: ignore[union-attr]
    return [(k, c, "".join(x + "\n" for x in out)) for k, c, out in steps]  # type: ignore[misc]


def masked(text: str) -> str:
    return TIMESTAMP.sub("[TIME]", text)


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMODSIM_")}
    env.update(KMODSIM_HOME=str(home), PATH=f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}",
               LC_ALL="C")
    env.pop("NO_COLOR", None)
    return env


class ShSession:
    """`kmod sh` on a terminal: a line typed at each prompt, the screen read back."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([str(BIN / "kmod"), "sh"], cwd=cwd, env=env, stdin=slave,
                                     stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.pending = ""
        self.until_prompt()

    def until_prompt(self) -> str:
        deadline = time.monotonic() + 60  # a hang guard, not a measurement
        while PROMPT not in self.pending:
            ready, _, _ = select.select([self.master], [], [], 1)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                self.pending += chunk.decode(errors="replace").replace("\r\n", "\n")
            assert time.monotonic() < deadline, f"no prompt; the screen shows {self.pending!r}"
        screen, _, self.pending = self.pending.partition(PROMPT)
        return screen

    def type(self, line: str) -> str:
        """What the screen shows after the prompt: the echoed line, then its output."""
        os.write(self.master, (line + "\n").encode())
        screen = self.until_prompt()
        echoed, _, output = screen.partition("\n")
        assert echoed == line
        return output

    def close(self) -> None:
        os.write(self.master, b"exit\n")
        self.proc.wait(timeout=60)
        os.close(self.master)


def test_the_readme_has_a_tour_and_a_setup_line():
    assert setup_commands()[0] == ["insmod", "modules/hello.py"]
    steps = tour_steps()
    assert steps[0] == ("$", "kmod insmod modules/hello.py        # sudo insmod hello.ko", "")
    assert sum(kind == "sh" for kind, _, _ in steps) >= 5
    assert len(steps) >= 20


def test_setup_then_the_tour_print_what_the_readme_shows(tmp_path):
    home = tmp_path / "home"
    env = env_for(home)
    for args in setup_commands():  # the set-up line, after the install: ends clean
        p = subprocess.run([str(BIN / "kmod"), *args], cwd=ROOT, env=env, capture_output=True)
        assert p.returncode == 0, (args, p.stderr)
    session: ShSession | None = None
    seen = []
    try:
        for kind, line, shown in tour_steps():
            if kind == "sh":
                assert session is not None
                got = session.type(line)
            elif line.startswith("cd modules && kmod sh"):
                assert shown == ""
                session = ShSession(ROOT / "modules", env)
                continue
            else:
                if session is not None:
                    session.close()
                    session = None
                p = subprocess.run(["bash", "-c", "exec 2>&1\n" + line], cwd=ROOT, env=env,
                                   capture_output=True, text=True, timeout=120)
                got = p.stdout
            seen.append((line, masked(got), masked(shown)))
    finally:
        if session is not None:
            session.close()
    assert [(line, got) for line, got, _ in seen] == [(line, want) for line, _, want in seen]


@pytest.mark.parametrize("name", ["kmod", "kmodsim"])
def test_the_setup_line_installs_kmod_and_kmodsim(name):
    assert (BIN / name).exists()
    p = subprocess.run([str(BIN / name), "--version"], capture_output=True, text=True)
    assert (p.returncode, p.stdout, p.stderr) == (0, "kmodsim 0.1.0\n", "")


def test_the_crash_explained_in_the_readme(tmp_path):
    """`Learning from crashes` shows what a terminal is told after an Oops."""
    block = next(b for b in code_blocks(section("Learning from crashes"))
                 if b.startswith("$ kmod proc write null_deref x\n"))
    home = tmp_path / "home"
    env = env_for(home)
    subprocess.run([str(BIN / "kmod"), "insmod", "modules/buggy/null_deref.py"], cwd=ROOT,
                   env=env, check=True)
    p = subprocess.run(["bash", "-c", "exec 2>&1\nkmod proc write null_deref x"], cwd=ROOT,
                       env=dict(env, KMODSIM_EXPLAIN="1"), capture_output=True, text=True)
    assert p.returncode == 137
    assert "$ kmod proc write null_deref x\n" + p.stdout == block
