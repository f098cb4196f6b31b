"""Time `kmod dmesg -F dump` against util-linux `dmesg -F dump` on a full 128 KiB buffer.

Each run is a fresh process, Python start-up included, as a user would see it. Prints the
median of several runs for both, side by side, and the ratio (target: <= 3x).

    .venv/bin/python bench/dmesg_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOG_BUF_LEN = 128 * 1024  # CONFIG_LOG_BUF_SHIFT=17


def build_dump(path: Path) -> int:
    """A syslog(2)-format dump filling LOG_BUF_LEN bytes; returns the record count."""
    lines = []
    size = 0
    i = 0
    while True:
        sec, usec = divmod(i * 1234, 1_000_000)
        line = f"<6>[{sec:5d}.{usec:06d}] bench: record {i} from a module doing its work\n"
        if size + len(line) > LOG_BUF_LEN:
            break
        lines.append(line)
        size += len(line)
        i += 1
    path.write_text("".join(lines))
    return i


def median_time(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=env)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    kmod = str(Path(sys.executable).parent / "kmod")
    real = shutil.which("dmesg", path="/usr/bin:/bin") or "/usr/bin/dmesg"
    env = dict(os.environ, LC_ALL="C", TZ="GMT")
    # users run from cached bytecode: let the warm-up run write the .pyc files
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "dump"
        n = build_dump(dump)
        env["KMODSIM_HOME"] = str(Path(tmp) / "home")  # never used with -F, but isolated
        # warm the page cache and the .pyc files before timing
        subprocess.run([kmod, "dmesg", "-F", str(dump)], stdout=subprocess.DEVNULL,
                       check=True, env=env)
        ours = median_time([kmod, "dmesg", "-F", str(dump)], args.runs, env)
        theirs = None
        if os.path.exists(real):
            theirs = median_time([real, "-F", str(dump)], args.runs, env)
    print(f"dump: {dump.name}, {LOG_BUF_LEN} bytes, {n} records; median of {args.runs} runs")
    print(f"  kmod dmesg -F dump : {ours * 1000:8.1f} ms")
    if theirs is None:
        print(f"  {real} not found: no comparison")
        return 0
    print(f"  {real} -F dump : {theirs * 1000:8.1f} ms")
    print(f"  ratio              : {ours / theirs:8.2f}x  (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
