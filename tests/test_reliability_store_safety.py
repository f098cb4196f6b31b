"""A store that can't be used gets one line from every command, dmesg included; the way out
(`reboot --reset`) looks before it destroys; the store is private from its first byte; the
unpickler loads only what a store legitimately holds."""

from __future__ import annotations

import os
import pickle
import resource
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import KMOD, MODULES

from kmodsim.machine import Machine
from kmodsim.store import BlobUnpickler, StoreError, load_blob

COUNTER = str(MODULES / "counter.py")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


def loaded(home: Path) -> Path:
    m = Machine(home)
    m.insmod(COUNTER)
    m.proc_write("counter", b"I\n")
    m.close()
    return home / "machine.db"


def others_can_write(home: Path) -> None:
    loaded(home)
    os.chmod(home, 0o777)


def a_directory_instead(home: Path) -> None:
    home.mkdir(mode=0o700)
    (home / "machine.db").mkdir()


def home_is_a_file(home: Path) -> None:
    home.write_text("")


def someone_elses_database(home: Path) -> None:
    home.mkdir(mode=0o700)
    with sqlite3.connect(home / "machine.db") as c:
        c.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, jpeg BLOB)")


def truncated(home: Path) -> None:
    db = loaded(home)
    with open(db, "r+b") as f:
        f.truncate(4096)


UNUSABLE = {"others-can-write": others_can_write, "a-directory-instead": a_directory_instead,
            "home-is-a-file": home_is_a_file, "someone-elses-database": someone_elses_database,
            "truncated": truncated}


@pytest.mark.parametrize("damage", sorted(UNUSABLE))
def test_dmesg_says_what_every_command_says(kmod, home, damage):
    UNUSABLE[damage](home)
    expected = kmod("lsmod")
    assert expected.returncode == 1 and len(expected.stderr.splitlines()) == 1, expected
    assert expected.stderr.startswith("kmod: ")
    for args in (["dmesg"], ["dmesg", "-w"], ["dmesg", "-C"], ["dmesg", "-x", "-T"]):
        r = kmod(*args)
        assert (r.returncode, r.stdout, r.stderr) == (1, "", expected.stderr), args


def test_dmesg_on_a_full_disk_says_so(home, tmp_path):
    """A file size limit stands for a full disk: the store can't be written."""
    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    env = dict(os.environ, KMODSIM_HOME=str(home))
    for args in (["dmesg"], ["dmesg", "-w"], ["lsmod"]):
        p = subprocess.run([KMOD, *args], env=env, preexec_fn=limit_file_size,
                           capture_output=True, timeout=60)
        assert (p.returncode, p.stdout, p.stderr.decode()) == (
            1, b"", f"kmod: can't use the state file {home}/machine.db: disk I/O error\n"), args


# -- 7. reboot --reset looks before it destroys ------------------------------------------------

def test_reset_refuses_a_directory_where_the_store_should_be(kmod, home):
    a_directory_instead(home)
    (home / "machine.db" / "keep.txt").write_text("not yours to delete")
    r = kmod("reboot", "--reset")
    assert (r.returncode, r.stderr) == (
        1, f"kmod: can't use the state file {home}/machine.db: Is a directory\n")
    assert (home / "machine.db" / "keep.txt").read_text() == "not yours to delete"


def test_reset_refuses_a_home_that_is_a_file(kmod, home):
    home.write_text("someone's notes")
    r = kmod("reboot", "--reset")
    assert (r.returncode, r.stderr) == (1, f"kmod: can't use the state folder {home}: "
                                           f"Not a directory\n")
    assert home.read_text() == "someone's notes"


def test_reset_refuses_a_folder_others_can_write(kmod, home):
    db = loaded(home)
    os.chmod(home, 0o777)
    r = kmod("reboot", "--reset")
    assert (r.returncode, r.stderr) == (
        1, f"kmod: state folder {home} is writable by other users; refusing to use it (fix "
           f"with: chmod go-w {home})\n")
    assert db.exists()


@needs_root
def test_reset_never_deletes_another_users_store(kmod, home):
    db = loaded(home)
    os.chown(db, 54321, -1)
    r = kmod("reboot", "--reset")
    assert (r.returncode, r.stderr) == (
        1, f"kmod: state file {db} is owned by another user; refusing to use it (set "
           f"KMODSIM_HOME to a folder of your own)\n")
    assert db.exists() and db.stat().st_uid == 54321


def test_reset_throws_away_a_damaged_store_of_ours(kmod, home):
    truncated(home)
    assert kmod("lsmod").returncode == 1
    r = kmod("reboot", "--reset")
    assert (r.returncode, r.stderr) == (0, "")
    assert kmod("insmod", COUNTER).returncode == 0


# -- 8. private from the first byte ------------------------------------------------------------

def test_a_new_store_is_private_whatever_the_umask(kmod, home):
    old = os.umask(0)
    try:
        assert kmod("lsmod").returncode == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for path in home.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_store_is_made_private_before_sqlite_touches_it(home, monkeypatch):
    """Were the command killed right after the file was made, no chmod would be left to
    come: the file is made 0600, not chmod'ed afterwards."""
    monkeypatch.setattr(os, "chmod", lambda *a, **k: pytest.fail("chmod after the fact"))
    old = os.umask(0o022)
    try:
        m = Machine(home)
        m.modules()
        m.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((home / "machine.db").stat().st_mode) == 0o600


def test_a_store_left_readable_by_others_is_made_private(kmod, home):
    db = loaded(home)
    os.chmod(db, 0o644)
    assert kmod("proc", "read", "counter").stdout == "1\n"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


# -- 15. the unpickler loads only what a store holds ---------------------------------------------

def forged(module: str, name: str) -> bytes:
    """A pickle that fetches module.name and calls it with one argument."""
    return (b"\x80\x04" + pickle.SHORT_BINUNICODE + bytes([len(module)]) + module.encode()
            + pickle.SHORT_BINUNICODE + bytes([len(name)]) + name.encode() + pickle.STACK_GLOBAL
            + pickle.SHORT_BINUNICODE + b"\x04eval" + pickle.TUPLE1 + pickle.REDUCE
            + pickle.STOP)


@pytest.mark.parametrize("module, name", [
    ("kmodsim.kernel.cformat", "__builtins__.get"),  # a dotted walk to eval
    ("kmodsim.kernel.cformat", "__builtins__"),
    ("kmodsim.kernel.module", "os"),  # a module a kernel file merely imports
    ("kmodsim.kernelx", "anything"),
    ("builtins", "eval"),
    ("posix", "system"),
])
def test_the_unpickler_refuses_what_no_store_holds(module, name):
    with pytest.raises(pickle.UnpicklingError, match=f"refusing to load {module}.{name}"):
        load_blob(forged(module, name))
    assert issubclass(BlobUnpickler, pickle.Unpickler)


def test_a_forged_proc_entry_is_a_damaged_store(kmod, home):
    db = loaded(home)
    with sqlite3.connect(db) as c:
        c.execute("UPDATE proc_entries SET data=?", (forged("kmodsim.kernel.cformat",
                                                             "__builtins__.get"),))
    r = kmod("proc", "read", "counter")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"kmod: the state file {db} holds data it can't load (refusing "
                               f"to load kmodsim.kernel.cformat.__builtins__.get")


def test_forged_module_memory_is_a_damaged_store(kmod, home):
    db = loaded(home)
    with sqlite3.connect(db) as c:
        c.execute("UPDATE module_memory SET memory=?", (forged("kmodsim.kernel.cformat",
                                                                "__builtins__.get"),))
    r = kmod("proc", "read", "counter")
    assert (r.returncode, r.stderr) == (1, (
        f"kmod: the state file {db} holds data it can't load (refusing to load "
        f"kmodsim.kernel.cformat.__builtins__.get from the state store); start over with: "
        f"kmod reboot --reset\n"))


def test_a_kernel_object_still_loads(machine, module_file):
    machine.insmod(COUNTER)
    machine.proc_write("counter", b"I\n")
    assert machine.proc_read("counter") == b"1\n"
    with pytest.raises(StoreError):  # (a StoreError is what the CLI prints in one line)
        load_blob(b"\x80\x04garbage")
