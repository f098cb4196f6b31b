"""kmodsim's pytest plugin (entry point `pytest11`: loaded whenever kmodsim is installed).

Fixtures: `kmachine` (a fresh machine per test, in tmp_path) and `kmachine_factory` (several
machines in one test). Each runs its module code in a child process of its own, with
resource limits and, where it works, bubblewrap's sandbox (kmodsim.grading.isolated);
`--kmod-no-isolation` or `@pytest.mark.kmod_isolation(False)` runs it in the test's process.

After each test that made machines, an audit fails the test on the kernel reports its
machines logged (Oops, WARNING, BUG, lockdep, KASAN, kmemleak, hung task, soft lockup, a lock
held on return to user space, a /proc entry left behind, a taint flag whose report is gone
from the log), except the kinds the test expects:
`@pytest.mark.kmod_expect("Oops")`. See docs/grading.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_MACHINES = pytest.StashKey[list]()
_ISOLATION_HELP = ("run module code in the test's own process (faster; a student's module "
                   "can then reach the grader and every other student)")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kmodsim", "kmodsim: grading kernel modules")
    group.addoption("--kmod-no-isolation", action="store_true", default=False,
                    help=_ISOLATION_HELP)
    group.addoption("--kmod-no-sandbox", action="store_true", default=False,
                    help="a child process with limits for each machine, without bubblewrap")
    parser.addini("kmod_cpu_seconds", "CPU seconds one machine's process may use (60)",
                  default="60")
    parser.addini("kmod_memory_mb", "address space of one machine's process, MiB (1024)",
                  default="1024")
    parser.addini("kmod_call_seconds", "wall-clock seconds one call may take (120)",
                  default="120")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kmod_expect(*kinds): kernel reports this test expects (\"Oops\", "
                   "\"WARNING\", \"BUG\", \"KASAN\", \"kmemleak\", \"lockdep\", \"lock held\", "
                   "\"hung task\", \"soft lockup\", \"atomic sleep\", \"panic\", "
                   "\"proc entry left\"); none named: any")
    config.addinivalue_line(
        "markers", "kmod_isolation(on=True): run this test's module code in child processes "
                   "(the default) or, with False, in the test's own process")
    config.addinivalue_line(
        "markers", "kmod_limits(**limits): this test's kmodsim.grading.Limits "
                   "(cpu_seconds=, memory_bytes=, file_bytes=, output_bytes=, call_seconds=)")


def pytest_report_header(config: pytest.Config) -> str:
    if config.getoption("--kmod-no-isolation"):
        return "kmodsim: module code runs in the test's process (--kmod-no-isolation)"
    if config.getoption("--kmod-no-sandbox"):
        return "kmodsim: each machine in a process of its own, with limits (--kmod-no-sandbox)"
    from kmodsim.grading.isolated import sandbox_status

    usable, why = sandbox_status()
    if usable:
        return "kmodsim: each machine in a process of its own, with limits, in a bubblewrap sandbox"
    return f"kmodsim: each machine in a process of its own, with limits; no sandbox: {why}"


def _limits(node: pytest.Item, config: pytest.Config) -> Any:
    from dataclasses import replace

    from kmodsim.grading.sandbox import Limits

    limits = Limits(cpu_seconds=int(config.getini("kmod_cpu_seconds")),
                    memory_bytes=int(config.getini("kmod_memory_mb")) << 20,
                    call_seconds=float(config.getini("kmod_call_seconds")))
    for mark in reversed(list(node.iter_markers("kmod_limits"))):  # closest mark wins
        limits = replace(limits, **mark.kwargs)
    return limits


def _isolated(node: pytest.Item, config: pytest.Config) -> bool:
    mark = node.get_closest_marker("kmod_isolation")
    if mark is not None:
        return bool(mark.args[0] if mark.args else mark.kwargs.get("on", True))
    return not config.getoption("--kmod-no-isolation")


def _new_machine(request: pytest.FixtureRequest, home: Path) -> Any:
    from kmodsim.grading.kmachine import KMachine

    node, config = request.node, request.config
    if _isolated(node, config):
        from kmodsim.grading.isolated import IsolatedMachine

        sandbox = False if config.getoption("--kmod-no-sandbox") else None
        return KMachine(IsolatedMachine(home, limits=_limits(node, config), sandbox=sandbox))
    from kmodsim.machine import Machine

    return KMachine(Machine(home))


@pytest.fixture
def kmachine_factory(request: pytest.FixtureRequest, tmp_path: Path
                     ) -> Iterator[Callable[..., Any]]:
    """make(name=None): a fresh machine in tmp_path/kmachine-NAME, for tests that need
    several. Inside the test, userspace.open() without home= uses the test's machine when
    it made one, and is refused when it made several."""
    from kmodsim import userspace

    made: list[Any] = request.node.stash.setdefault(_MACHINES, [])
    stack = contextlib.ExitStack()

    def make(name: str | None = None) -> Any:
        label = name or str(len(made) + 1)
        home = tmp_path / f"kmachine-{label}"
        if home.exists():
            raise ValueError(f"kmachine_factory: a machine named {label!r} already exists")
        km = _new_machine(request, home)
        made.append(km)
        stack.enter_context(userspace.machine(*made))
        return km

    yield make
    stack.close()
    for km in made:
        km.close()


@pytest.fixture
def kmachine(kmachine_factory: Callable[..., Any]) -> Any:
    """A fresh machine for this test (a KMachine), in the test's tmp_path."""
    return kmachine_factory("main")


def _expected(item: pytest.Item) -> frozenset[str] | None:
    """The report kinds the test expects; None: any."""
    from kmodsim.grading.audit import KINDS

    kinds: set[str] = set()
    for mark in item.iter_markers("kmod_expect"):
        if not mark.args:
            return None
        for kind in mark.args:
            if kind not in KINDS:
                raise pytest.UsageError(f"{item.nodeid}: kmod_expect({kind!r}): the kinds are "
                                        f"{', '.join(map(repr, KINDS))}")
            kinds.add(kind)
    return frozenset(kinds)


def _audit(item: pytest.Item) -> tuple[list[str], list[str]]:
    """(the unexpected findings, kmodsim's hints) of every machine the test made."""
    from kmodsim.errors import KmodError

    machines = item.stash.get(_MACHINES, [])
    expected = _expected(item)
    bad: list[str] = []
    hints: list[str] = []
    for km in machines:
        try:
            found = km.findings()
            lines = km.dmesg()
        except KmodError as e:
            bad.append(f"the machine in {km.home} can't be audited: {e}")
            continue
        where = f" [{km.home.name}]" if len(machines) > 1 else ""
        bad += [f"{f}{where}" for f in found if expected is not None
                and not f.excused_by(expected)]
        hints += [line for line in lines if line.startswith("kmodsim: hint: ")]
    return bad, hints


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    if not item.stash.get(_MACHINES, None):
        return (yield)
    try:
        result = yield
    except BaseException:
        bad, hints = _audit(item)
        if bad or hints:
            item.add_report_section("call", "kernel reports", "\n".join(bad + hints))
        raise
    bad, hints = _audit(item)
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        text = "\n  ".join(bad + hints)
        pytest.fail(f"unexpected kernel report: {bad[0]}{more}\n"
                    f"kernel reports this test does not expect "
                    f"(@pytest.mark.kmod_expect(\"KIND\") allows them):\n  {text}",
                    pytrace=False)
    return result
