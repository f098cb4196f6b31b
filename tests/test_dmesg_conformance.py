"""util-linux's own dmesg test cases (HEAD), run by the shared conformance runner against
the real `kmod` executable: every case must pass, with long and with short options."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RUN_SH = Path("/work/shared/conformance/util-linux-dmesg/run.sh")
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash"),
    pytest.mark.skipif(not RUN_SH.exists(), reason="conformance suite not present"),
]


@pytest.mark.parametrize("short", ["0", "1"])
def test_util_linux_dmesg_suite_passes(short, home, tmp_path):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               SHORT=short, OUTBASE=str(tmp_path / "ul-dmesg"), KMODSIM_HOME=str(home))
    p = subprocess.run(["bash", str(RUN_SH), "kmod dmesg", "dmesg"], capture_output=True,
                       text=True, env=env, timeout=600)
    assert "util-linux dmesg cases: 24/24 pass" in p.stdout, p.stdout + p.stderr
    assert p.returncode == 0
