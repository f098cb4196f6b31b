"""The foundation issue's "done when" scenario, driven through the real `kmod` executable."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from conftest import KMOD, ROOT

LINE = re.compile(r"^\[ *\d+\.\d{6}\] (.*)$")


def test_counter_scenario(kmod):
    assert kmod("insmod", "modules/counter.py").returncode == 0
    for cmd in "IIID":
        r = kmod("proc", "write", "counter", cmd)
        assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    r = kmod("proc", "read", "counter")
    assert (r.returncode, r.stdout, r.stderr) == (0, "2\n", "")
    r = kmod("lsmod")
    assert r.stdout == "Module                  Size  Used by\ncounter                12288  0\n"
    r = kmod("dmesg")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    assert [LINE.match(line).group(1) for line in lines] == [
        "counter: loading out-of-tree module taints kernel.",
        "counter: module verification failed: signature and/or required key missing - "
        "tainting kernel",
        "counter: loaded",
        "counter: 1", "counter: 2", "counter: 3", "counter: 2",
    ]
    assert kmod("rmmod", "counter").returncode == 0
    r = kmod("proc", "read", "counter")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "kmod: /proc/counter: No such file or directory\n")
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"


def test_hello_module_greets_and_says_goodbye(kmod):
    assert kmod("insmod", "modules/hello.py").returncode == 0
    assert kmod("rmmod", "hello").returncode == 0
    texts = [LINE.match(x).group(1) for x in kmod("dmesg").stdout.splitlines()]
    assert texts[-2:] == ["Hello, world!", "Goodbye, world!"]


def test_helloworlddriver_reads_once_then_eof(kmod):
    kmod("insmod", "modules/helloworlddriver.py")
    for _ in range(2):
        r = kmod("proc", "read", "helloworlddriver")
        assert (r.returncode, r.stdout) == (0, "Hello world!\n")
    assert kmod("proc", "read", "/proc/helloworlddriver").stdout == "Hello world!\n"


def test_procfile_keeps_what_is_written(kmod):
    kmod("insmod", "modules/procfile.py")
    assert kmod("proc", "read", "procfile").stdout == ""
    kmod("proc", "write", "procfile", "hello", "there")
    assert kmod("proc", "read", "procfile").stdout == "hello there\n"
    kmod("proc", "write", "procfile", input=b"x" * 5000)
    r = kmod("proc", "read", "procfile")
    assert r.stdout == "x" * 1024
    assert "procfile: write of 5000 bytes cut to 1024" in kmod("dmesg").stdout


def test_concurrent_writers_lose_no_update(kmod, home):
    """4 shells x 50 `kmod proc write counter I` at once: exactly 200, no error."""
    import os
    import subprocess

    kmod("insmod", "modules/counter.py")
    env = dict(os.environ, KMODSIM_HOME=str(home))
    script = f"for i in $(seq 50); do {KMOD} proc write counter I || echo FAILED; done"

    def shell(_: int) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", script], capture_output=True, env=env, cwd=ROOT,
                              timeout=300)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(shell, range(4)))
    for p in results:
        assert (p.returncode, p.stdout, p.stderr) == (0, b"", b"")
    assert kmod("proc", "read", "counter").stdout == "200\n"
