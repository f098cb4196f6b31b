"""The real kernel is the judge: each case under tests/oracle/ is a scenario of shell lines, the
modules it uses, and the transcript a real Debian 12 (Linux 6.1) machine printed for it
(recorded with tests/oracle/record.sh). Here every line runs through `kmod sh -c LINE`, as the
recorder ran `sh -c LINE`, and the two transcripts must agree once what legitimately varies is
masked: timestamps, kernel addresses and register values, module sizes, PIDs, the kernel
release and hardware, file paths, code offsets. A line that differs for a reason kmodsim keeps
on purpose is listed, with the reason, in the case's `known.txt`; every other difference fails.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ORACLE = Path(__file__).resolve().parent / "oracle"
ROOT = ORACLE.parent.parent
KMOD = str(Path(sys.executable).parent / "kmod")
CASES = sorted(p.name for p in ORACLE.iterdir() if (p / "transcript.txt").exists())

# (pattern, replacement), applied in order to both transcripts
MASKS = [
    (re.compile(r"\[\s*\d+\.\d{6}\]"), "[T]"),  # dmesg time stamps
    (re.compile(r"6\.1\.0-56-amd64 #1\s+Debian 6\.1\.\d+-\d+|6\.1\.0-kmodsim #1 kmodsim"),
     "RELEASE"),
    (re.compile(r"6\.1\.0-56-amd64|6\.1\.0-kmodsim"), "RELEASE"),  # vermagic
    (re.compile(r"Hardware name: .*"), "Hardware name: HW"),
    (re.compile(r"(?:/[\w.+-]+)+\.(?:c|py|ko)(?::\d+)?"), "PATH"),  # file paths (and lines)
    (re.compile(r"\+0x[0-9a-f]+/0x[0-9a-f]+"), "+OFF"),  # code offsets in symbols
    (re.compile(r"\.cold\+OFF"), "+OFF"),  # the compiler's split-off cold part of a function
    (re.compile(r"@offset=\d+"), "@offset=N"),  # a slab object's place (a random freelist)
    (re.compile(r"\b(?:0x)?[0-9a-f]{8,16}\b"), "HEX"),  # addresses, registers, pointers
    (re.compile(r"Code: .*"), "Code: CODE"),
    (re.compile(r"\b(PID:? |pid |sh\[|insmod\[|cat\[|\w+:)\d+\b"), r"\1N"),  # PIDs
]
# lsmod rows and /proc/modules lines: the size column
SIZE_ROWS = [re.compile(r"^(\S+ +)\d+( +\d+)"), re.compile(r"^(\S+ )\d+( \d+ )")]
DROPPED = re.compile(r"^\[T\]  \? ")  # unreliable stack entries: they vary run to run


def mask(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        for pattern, repl in MASKS:
            line = pattern.sub(repl, line)
        for row in SIZE_ROWS:
            line = row.sub(r"\1SIZE\2", line)
        if not DROPPED.match(line):
            lines.append(line.rstrip())
    return lines


def parse_transcript(text: str) -> list[tuple[str, str, int]]:
    """[(line, output, rc)] from `$ LINE`, output lines, `[rc=N]`."""
    steps = []
    line, out = None, []
    for raw in text.splitlines(keepends=True):
        if line is None and raw.startswith("$ "):
            line, out = raw[2:].rstrip("\n"), []
        elif line is not None and re.fullmatch(r"\[rc=\d+\]\n?", raw):
            steps.append((line, "".join(out), int(raw.strip()[4:-1])))
            line = None
        elif line is not None:
            out.append(raw)
    return steps


def known_differences(case: str) -> dict[int, str]:
    """Scenario step number (from 1) -> why kmodsim prints something else there."""
    path = ORACLE / case / "known.txt"
    known = {}
    if path.exists():
        for raw in path.read_text().splitlines():
            if raw.strip() and not raw.startswith("#"):
                number, _, why = raw.partition(":")
                known[int(number)] = why.strip()
    return known


def workdir(case: str, tmp_path: Path) -> Path:
    """The case's Python modules, where its lines expect the .ko files."""
    work = tmp_path / "root"
    work.mkdir()
    listed = ORACLE / case / "modules.txt"
    sources = [ROOT / f"{rel.strip()}.py" for rel in
               (listed.read_text().splitlines() if listed.exists() else []) if rel.strip()]
    sources += sorted((ORACLE / case).glob("*.py"))
    for src in sources:
        shutil.copy(src, work / src.name)
    return work


@pytest.mark.parametrize("case", CASES)
def test_kmodsim_prints_what_the_real_kernel_printed(case, tmp_path):
    steps = parse_transcript((ORACLE / case / "transcript.txt").read_text())
    assert steps, "no steps in the transcript"
    known = known_differences(case)
    work = workdir(case, tmp_path)
    env = dict(os.environ, KMODSIM_HOME=str(tmp_path / "home"), LC_ALL="C")
    env["KMODSIM_NO_HINTS"] = "1"  # the kernel's words alone: hints are kmodsim's own lines
    compared = 0
    failures = []
    for number, (line, real_out, real_rc) in enumerate(steps, 1):
        r = subprocess.run([KMOD, "sh", "-c", line], cwd=work, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        ours = mask(r.stdout.decode("utf-8", "replace"))
        real = mask(real_out)
        if number in known:
            continue
        compared += 1
        if ours != real or r.returncode != real_rc:
            diff = "\n".join(difflib.unified_diff(real, ours, "real", "kmodsim", lineterm=""))
            failures.append(f"step {number}: $ {line}\n  rc real {real_rc}, kmodsim "
                            f"{r.returncode}\n{diff}")
    assert not failures, f"{case}: {len(failures)} of {compared} steps differ\n\n" + \
        "\n\n".join(failures)


def test_every_example_module_has_its_c_twin():
    modules = sorted((ROOT / "modules").rglob("*.py"))
    assert modules

    def has_twin(m: Path) -> bool:
        # a C file; for a file of plain definitions, a header; for the file that names a
        # module's parts (include()), the folder's Kbuild that links them
        return m.with_suffix(".c").exists() or m.with_suffix(".h").exists() or (
            (m.parent / "Kbuild").exists() and f"obj-m := {m.stem}.o" in
            (m.parent / "Kbuild").read_text())

    assert [str(m.relative_to(ROOT)) for m in modules if not has_twin(m)] == []
