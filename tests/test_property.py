"""Random sequences of insmod, rmmod, proc writes and reads, and reboots, across several
modules, checked against a model of what must hold: the loaded set, the counters and the
procfile's contents, and the ring buffer (its records, their order, their sequence numbers)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import MODULES
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from kmodsim.errors import InsmodError, ProcError, RmmodError
from kmodsim.machine import Machine

COUNTERS = ("counter", "tally")  # tally: counter.py under another name
NAMES = ("counter", "tally", "hello", "procfile")
PROCFS_MAX_SIZE = 1024


class Model:
    """What the machine must look like: a pure function of the operations so far."""

    def __init__(self) -> None:
        self.loaded: list[str] = []  # in load order
        self.values = dict.fromkeys(COUNTERS, 0)
        self.stored = b""
        self.log: list[str] = []
        self.tainted = False

    def insmod(self, name: str) -> None:
        if not self.tainted:
            self.log.append(f"{name}: loading out-of-tree module taints kernel.")
            self.log.append(f"{name}: module verification failed: signature and/or required "
                            f"key missing - tainting kernel")
            self.tainted = True
        self.loaded.append(name)
        if name in COUNTERS:
            self.values[name] = 0
            self.log.append(f"{name}: loaded")
        elif name == "hello":
            self.log.append("Hello, world!")
        else:
            self.stored = b""
            self.log.append("/proc/procfile created")

    def rmmod(self, name: str) -> None:
        self.loaded.remove(name)
        self.log.append({"hello": "Goodbye, world!", "procfile": "/proc/procfile removed"}.get(
            name, f"{name}: unloaded"))

    def count(self, name: str, cmd: bytes) -> None:
        self.values[name] += 1 if cmd == b"I" else -1
        self.log.append(f"{name}: {self.values[name]}")

    def store(self, data: bytes) -> None:
        kept = data[:PROCFS_MAX_SIZE]
        if len(kept) < len(data):
            self.log.append(f"procfile: write of {len(data)} bytes cut to {PROCFS_MAX_SIZE}")
        self.stored = kept
        self.log.append(f"procfile: stored {len(kept)} bytes")


class MachineVsModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.home = Path(tempfile.mkdtemp(prefix="kmodsim-prop-"))
        self.files = module_files(self.home)
        self.m = Machine(self.home / "home")
        self.model = Model()

    def teardown(self) -> None:
        self.m.close()
        shutil.rmtree(self.home, ignore_errors=True)

    @rule(name=st.sampled_from(NAMES))
    def insmod(self, name: str) -> None:
        if name in self.model.loaded:
            with pytest.raises(InsmodError, match="File exists"):
                self.m.insmod(self.files[name])
        else:
            self.m.insmod(self.files[name])
            self.model.insmod(name)

    @rule(name=st.sampled_from(NAMES))
    def rmmod(self, name: str) -> None:
        if name in self.model.loaded:
            self.m.rmmod(name)
            self.model.rmmod(name)
        else:
            with pytest.raises(RmmodError, match="is not currently loaded"):
                self.m.rmmod(name)

    @rule(name=st.sampled_from(COUNTERS), cmd=st.sampled_from([b"I", b"D", b"X", b"I"]))
    def count(self, name: str, cmd: bytes) -> None:
        if name not in self.model.loaded:
            self._enoent(lambda: self.m.proc_write(name, cmd + b"\n"))
        elif cmd == b"X":
            with pytest.raises(ProcError, match="Invalid argument"):
                self.m.proc_write(name, cmd + b"\n")
        else:
            assert self.m.proc_write(name, cmd + b"\n") == 2
            self.model.count(name, cmd)

    @rule(data=st.binary(min_size=1, max_size=1500))
    def store(self, data: bytes) -> None:
        if "procfile" not in self.model.loaded:
            self._enoent(lambda: self.m.proc_write("procfile", data))
        else:
            assert self.m.proc_write("procfile", data) == len(data)
            self.model.store(data)

    @rule(name=st.sampled_from(("counter", "tally", "procfile")))
    def read(self, name: str) -> None:
        if name not in self.model.loaded:
            self._enoent(lambda: self.m.proc_read(name))
        elif name == "procfile":
            assert self.m.proc_read(name) == self.model.stored
        else:
            assert self.m.proc_read(name) == b"%d\n" % self.model.values[name]

    @rule()
    def reboot(self) -> None:
        self.m.reboot()
        self.model = Model()

    @rule()
    def reopen(self) -> None:
        """Another process (a new Machine) sees the same machine."""
        self.m.close()
        self.m = Machine(self.home / "home")

    @staticmethod
    def _enoent(op) -> None:  # noqa: ANN001 - a zero-argument callable
        with pytest.raises(ProcError, match="No such file or directory"):
            op()

    @invariant()
    def loaded_set_is_the_models(self) -> None:
        assert [mi.name for mi in self.m.modules()] == self.model.loaded[::-1]
        expected = {"counter", "tally", "procfile"} & set(self.model.loaded)
        top = {p for p in self.m.proc_list() if "/" not in p}
        assert top - {"devices", "modules", "sys"} == expected

    @invariant()
    def ring_buffer_is_the_models(self) -> None:
        records = self.m.log_records()
        assert [r.text for r in records] == self.model.log
        assert [r.seq for r in records] == list(range(len(records)))  # none lost, in order
        stamps = [r.ts_usec for r in records]
        assert stamps == sorted(stamps)


def module_files(folder: Path) -> dict[str, str]:
    counter = (MODULES / "counter.py").read_text()
    (folder / "tally.py").write_text(counter.replace("counter", "tally"))
    files = {n: str(MODULES / f"{n}.py") for n in ("counter", "hello", "procfile")}
    return files | {"tally": str(folder / "tally.py")}


MachineVsModel.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_machine_matches_the_model = MachineVsModel.TestCase
