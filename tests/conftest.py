"""Shared fixtures: every test gets its own machine (KMODSIM_HOME) and a way to run `kmod`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kmodsim.machine import Machine

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "modules"
KMOD = str(Path(sys.executable).parent / "kmod")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_reaches_kmod() -> None:
    """A shell starts a background job (`pytest &`) with Ctrl-C ignored, and the `kmod`
    processes the tests start would inherit that (a program keeps an ignored SIGINT
    ignored, as kmod does): the tests that press Ctrl-C need it to arrive."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # reset to default by exec


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    monkeypatch.setenv("KMODSIM_HOME", str(h))
    monkeypatch.delenv("KMODSIM_NO_HINTS", raising=False)
    return h


@pytest.fixture
def machine(home: Path) -> Machine:
    m = Machine(home)
    yield m
    m.close()


@pytest.fixture
def kmod(home: Path) -> Callable[..., Result]:
    """Run the real `kmod` executable, as a shell script would."""

    def run(*args: str, input: bytes | None = None, cwd: Path = ROOT) -> Result:
        env = dict(os.environ, KMODSIM_HOME=str(home))
        p = subprocess.run([KMOD, *args], input=input, capture_output=True, cwd=cwd, env=env,
                           timeout=60)
        return Result(p.returncode, p.stdout.decode(errors="surrogateescape"),
                      p.stderr.decode(errors="surrogateescape"))

    return run


@pytest.fixture
def module_file(tmp_path: Path) -> Callable[[str, str], str]:
    """Write a module file from (dedented) source; returns its path."""

    def write(name: str, source: str) -> str:
        path = tmp_path / f"{name}.py"
        path.write_text("from kmodsim.kernel import *\n" + textwrap.dedent(source).lstrip("\n"))
        return str(path)

    return write


def messages(m: Machine) -> list[str]:
    return [r.text for r in m.log_records()]
