"""Ctrl-C, at any moment: the command dies of SIGINT as an interrupted program does (the
shell's $? is 130), prints nothing, and leaves the machine as before the command or, if it
had committed, as after it.

A `sitecustomize` on PYTHONPATH sends the SIGINT at a chosen moment: while a given module is
being imported (start-up), or when the command writes its output (after it committed).
"""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import pytest

INTERRUPTED = -signal.SIGINT  # subprocess's way of saying "killed by SIGINT"
EMPTY_LSMOD = "Module                  Size  Used by\n"

SITECUSTOMIZE = '''
import os
import signal
import sys


class InterruptOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ.get("TEST_SIGINT_AT_IMPORT"):
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None


class InterruptOnWrite:
    """stdout, which gets a Ctrl-C as the command prints its result."""

    def __init__(self, stream):
        self._stream = stream

    def __getattr__(self, name):
        return getattr(self._stream, name)

    @property
    def buffer(self):
        return InterruptOnWrite(self._stream.buffer)

    def write(self, data):
        os.kill(os.getpid(), signal.SIGINT)
        return self._stream.write(data)


sys.meta_path.insert(0, InterruptOnImport())
if os.environ.get("TEST_SIGINT_ON_OUTPUT"):
    sys.stdout = InterruptOnWrite(sys.stdout)
'''


@pytest.fixture
def ctrl_c(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Arrange a Ctrl-C: ctrl_c(at_import=MODULE) or ctrl_c(on_output=True)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)

    def arrange(at_import: str = "", on_output: bool = False) -> None:
        monkeypatch.setenv("PYTHONPATH", str(site))
        monkeypatch.setenv("TEST_SIGINT_AT_IMPORT", at_import)
        monkeypatch.setenv("TEST_SIGINT_ON_OUTPUT", "1" if on_output else "")

    yield arrange


def no_more_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PYTHONPATH", "TEST_SIGINT_AT_IMPORT", "TEST_SIGINT_ON_OUTPUT"):
        monkeypatch.delenv(name)


@pytest.mark.parametrize("args, importing", [
    (["lsmod"], "click"),
    (["insmod", "modules/hello.py"], "kmodsim.machine"),
    (["dmesg"], "kmodsim.machine"),
    (["dmesg"], "kmodsim.dmesg.render"),
    (["proc", "write", "counter", "I"], "kmodsim.coreutils"),
])
def test_ctrl_c_during_start_up(kmod, ctrl_c, monkeypatch, args, importing):
    assert kmod("insmod", "modules/counter.py").returncode == 0
    ctrl_c(at_import=importing)
    r = kmod(*args)
    assert (r.returncode, r.stdout, r.stderr) == (INTERRUPTED, "", "")
    no_more_ctrl_c(monkeypatch)
    assert kmod("lsmod").stdout == EMPTY_LSMOD.replace("\n", "\ncounter                12288  0\n")
    assert kmod("proc", "read", "counter").stdout == "0\n"


def test_ctrl_c_in_module_code_undoes_the_command(kmod, module_file):
    """The signal reaches module code, which even catches it: the command still ends as
    interrupted, and nothing of it is kept."""
    path = module_file("stubborn", """
        import os, signal
        MODULE_LICENSE("GPL")
        @module_init
        def stubborn_init():
            pr_info("stubborn: before\\n")
            try:
                os.kill(os.getpid(), signal.SIGINT)  # as if typed now
                msleep(50)
            except:
                pass
            pr_info("stubborn: after\\n")
            return 0
        """)
    r = kmod("insmod", path)
    assert (r.returncode, r.stdout, r.stderr) == (INTERRUPTED, "", "")
    assert kmod("lsmod").stdout == EMPTY_LSMOD
    assert "stubborn" not in kmod("dmesg").stdout


def test_ctrl_c_after_the_command_committed(kmod, module_file, ctrl_c, monkeypatch):
    path = module_file("reads", textwrap.dedent("""
        MODULE_LICENSE("GPL")
        reads = 0
        def reads_read(file, buf, count, ppos):
            global reads
            if ppos.value:
                return 0
            reads += 1
            return simple_read_from_buffer(buf, count, ppos, b"%d\\n" % reads)
        @module_init
        def reads_init():
            proc_create("reads", 0o444, None, proc_ops(proc_read=reads_read))
            return 0
        """))
    assert kmod("insmod", path).returncode == 0
    ctrl_c(on_output=True)
    r = kmod("proc", "read", "reads")
    assert (r.returncode, r.stderr) == (INTERRUPTED, "")
    no_more_ctrl_c(monkeypatch)
    assert kmod("proc", "read", "reads").stdout == "2\n"  # the interrupted read was kept
