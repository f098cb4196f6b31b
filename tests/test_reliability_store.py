"""A damaged, foreign or unsafe state store: one clear line, the way out, never a traceback;
an older store is migrated."""

from __future__ import annotations

import marshal
import os
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import MODULES

from kmodsim import store
from kmodsim.errors import StoreError
from kmodsim.machine import Machine

COUNTER = str(MODULES / "counter.py")
COMMANDS = [["lsmod"], ["insmod", str(MODULES / "hello.py")], ["rmmod", "counter"],
            ["proc", "ls"], ["proc", "read", "counter"], ["proc", "write", "counter", "I"],
            ["proc", "read", "modules"], ["reboot"]]  # (modinfo reads files, not the store)


def loaded_store(home: Path) -> Path:
    m = Machine(home)
    m.insmod(COUNTER)
    m.proc_write("counter", b"I\n")
    m.close()  # checkpoints the WAL: everything is in machine.db
    db = home / "machine.db"
    assert db.stat().st_size > 8192 and not (home / "machine.db-wal").exists()
    return db


def garbage(db: Path) -> None:
    db.write_bytes(b"\x00\x17not a database at all\xff" * 500)


def truncate_to(size: int):
    def damage(db: Path) -> None:
        with open(db, "r+b") as f:
            f.truncate(size)

    return damage


def newer_version(db: Path) -> None:
    with sqlite3.connect(db) as c:
        c.execute("UPDATE meta SET value=? WHERE key='schema_version'",
                  (store.SCHEMA_VERSION + 1,))


def foreign_database(db: Path) -> None:
    db.unlink()
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, jpeg BLOB)")


DAMAGE = {"garbage": garbage, "truncated-to-1-byte": truncate_to(1),
          "truncated-to-100-bytes": truncate_to(100), "truncated-to-a-page": truncate_to(4096),
          "truncated-halfway": truncate_to(8192), "newer-schema": newer_version,
          "someone-elses-database": foreign_database}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_every_command_says_which_file_and_the_way_out(kmod, home, damage):
    db = loaded_store(home)
    DAMAGE[damage](db)
    for args in [*COMMANDS, ["-b", "/dev/stdin"]]:
        r = kmod(*args, input=b"lsmod\n")
        lines = r.stderr.splitlines()
        assert r.returncode != 0, args
        assert lines[0].startswith(f"kmod: the state file {db} "), (args, r.stderr)
        assert lines[0].endswith("; start over with: kmod reboot --reset"), (args, r.stderr)
        if args[0] != "-b":
            assert len(lines) == 1, (args, r.stderr)
        assert "Traceback" not in r.stderr and r.stdout == ""
    r = kmod("reboot", "--reset")
    assert (r.returncode, r.stderr) == (0, "")
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"
    assert kmod("insmod", COUNTER).returncode == 0


def test_the_message_names_the_reason(kmod, home):
    newer_version(loaded_store(home))
    assert kmod("lsmod").stderr == (
        f"kmod: the state file {home / 'machine.db'} has schema version "
        f"{store.SCHEMA_VERSION + 1}, newer than this kmodsim's ({store.SCHEMA_VERSION}); "
        f"start over with: kmod reboot --reset\n")
    garbage(home / "machine.db")
    assert kmod("lsmod").stderr == (
        f"kmod: the state file {home / 'machine.db'} is unreadable (file is not a database); "
        f"start over with: kmod reboot --reset\n")


def test_an_empty_file_is_a_store_whose_creation_was_cut_short(kmod, home):
    home.mkdir(mode=0o700)
    (home / "machine.db").touch(mode=0o600)
    assert kmod("insmod", COUNTER).returncode == 0


# -- migration ----------------------------------------------------------------------------

def make_version_2(db: Path) -> None:
    """By hand, what a version-2 store held: machine-wide values under bare names."""
    with sqlite3.connect(db) as c:
        for old, new in store._V3_KEYS.items():
            c.execute("UPDATE meta SET key=? WHERE key=?", (old, new))
        c.execute("UPDATE meta SET value=2 WHERE key='schema_version'")


def test_a_version_2_store_keeps_its_machine_wide_values(kmod, home):
    db = loaded_store(home)
    before = [kmod(*c).stdout for c in (("dmesg",), ("proc", "read", "sys/kernel/tainted"))]
    make_version_2(db)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT value FROM meta WHERE key='taint'").fetchone() == (12288,)
    after = [kmod(*c).stdout for c in (("dmesg",), ("proc", "read", "sys/kernel/tainted"))]
    assert after == before
    assert kmod("rmmod", "counter").returncode == 0  # the log goes on where it was
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
            store.SCHEMA_VERSION,)
        assert c.execute("SELECT count(*) FROM meta WHERE key='taint'").fetchone() == (0,)
        seqs = [r[0] for r in c.execute("SELECT seq FROM log ORDER BY seq")]
    assert seqs == list(range(len(seqs)))


def make_version_1(db: Path) -> None:
    """By hand, what a version-1 store held: module memory in the modules row."""
    make_version_2(db)
    with sqlite3.connect(db) as c:
        c.execute("ALTER TABLE modules ADD COLUMN memory BLOB")
        c.execute("UPDATE modules SET memory=(SELECT memory FROM module_memory "
                  "WHERE module_memory.name=modules.name)")
        c.execute("DROP TABLE module_memory")
        c.execute("UPDATE meta SET value=1 WHERE key='schema_version'")


def make_version_0(db: Path) -> None:
    """By hand, what a version-0 store held: no schema_version, and no compiled code (nor
    the size that follows from it) in the modules table: version 0 compiled every time."""
    make_version_1(db)
    with sqlite3.connect(db) as c:
        c.execute("ALTER TABLE modules DROP COLUMN code")
        c.execute("ALTER TABLE modules DROP COLUMN size")
        c.execute("DELETE FROM meta WHERE key='schema_version'")


def test_a_version_0_store_is_migrated_and_keeps_the_machine(kmod, home):
    db = loaded_store(home)
    lsmod_before = kmod("lsmod").stdout
    make_version_0(db)
    assert kmod("proc", "read", "counter").stdout == "1\n"
    assert kmod("lsmod").stdout == lsmod_before
    assert kmod("proc", "write", "counter", "I").returncode == 0
    assert kmod("proc", "read", "counter").stdout == "2\n"
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
            store.SCHEMA_VERSION,)
        assert c.execute("SELECT length(code) > 0 FROM modules").fetchall() == [(1,)]


def test_a_version_1_store_keeps_module_memory(kmod, home):
    db = loaded_store(home)
    make_version_1(db)
    assert kmod("proc", "read", "counter").stdout == "1\n"
    assert kmod("proc", "write", "counter", "I").returncode == 0
    assert kmod("proc", "read", "counter").stdout == "2\n"
    with sqlite3.connect(db) as c:
        assert "memory" not in {r[1] for r in c.execute("PRAGMA table_info(modules)")}
        assert c.execute("SELECT count(*) FROM module_memory").fetchone() == (1,)


def test_a_version_0_store_whose_source_no_longer_compiles_says_so(kmod, home):
    db = loaded_store(home)
    make_version_0(db)
    with sqlite3.connect(db) as c:
        c.execute("UPDATE modules SET source='def broken(:'")
    r = kmod("lsmod")
    assert r.returncode == 1
    assert r.stderr.startswith(f"kmod: the state file {db} holds module counter, whose stored "
                               f"source no longer compiles (")
    assert r.stderr.endswith("start over with: kmod reboot --reset\n")
    with sqlite3.connect(db) as c:  # the failed migration changed nothing
        assert c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() is None


def test_migrations_run_one_step_at_a_time_in_order(home, monkeypatch):
    db = loaded_store(home)
    make_version_0(db)
    steps = []

    def v4_to_v5(c: sqlite3.Connection) -> None:
        version = c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        steps.append(("4->5", version))
        c.execute("ALTER TABLE modules ADD COLUMN note TEXT")

    monkeypatch.setattr(store, "SCHEMA_VERSION", 5)
    monkeypatch.setitem(store.MIGRATIONS, 4, v4_to_v5)
    m = Machine(home)
    assert [mi.name for mi in m.modules()] == ["counter"]
    m.close()
    assert steps == [("4->5", (4,))]  # the 0->1 ... 3->4 steps ran first, recording 4
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (5,)
        assert "note" in {r[1] for r in c.execute("PRAGMA table_info(modules)")}


def test_a_version_with_no_way_forward_is_refused(home, monkeypatch):
    loaded_store(home)
    monkeypatch.setattr(store, "SCHEMA_VERSION", 5)  # no MIGRATIONS[4]
    with pytest.raises(StoreError, match="has schema version 4, too old to migrate"):
        Machine(home).modules()


# -- permissions: module memory is executable state -----------------------------------------

OTHER_UID = 54321
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


def unsafe(what: str, how: str):
    def damage(home: Path) -> Path:
        target = home if what == "folder" else home / "machine.db"
        if how == "writable":
            os.chmod(target, 0o777 if what == "folder" else 0o666)
        elif how == "group-writable":
            os.chmod(target, 0o770 if what == "folder" else 0o660)
        else:
            os.chown(target, OTHER_UID, -1)
        return target

    return damage


@pytest.mark.parametrize("what", ["folder", "file"])
@pytest.mark.parametrize("how", ["writable", "group-writable",
                                 pytest.param("foreign", marks=needs_root)])
def test_unsafe_store_is_refused(kmod, home, what, how):
    loaded_store(home)
    target = unsafe(what, how)(home)
    word = "state folder" if what == "folder" else "state file"
    expected = (f"kmod: {word} {target} is owned by another user; refusing to use it (set "
                f"KMODSIM_HOME to a folder of your own)\n" if how == "foreign" else
                f"kmod: {word} {target} is writable by other users; refusing to use it (fix "
                f"with: chmod go-w {target})\n")
    for args in COMMANDS:
        r = kmod(*args)
        assert (r.returncode, r.stdout, r.stderr) == (1, "", expected), args
    if how != "foreign":
        os.chmod(target, 0o700 if what == "folder" else 0o600)
        assert kmod("proc", "read", "counter").stdout == "1\n"  # untouched meanwhile


def test_a_state_folder_that_is_a_file(kmod, home):
    home.write_text("")
    r = kmod("lsmod")
    assert (r.returncode, r.stderr) == (
        1, f"kmod: can't use the state folder {home}: Not a directory\n")


# -- one module's row damaged: that module is named, and rmmod -f removes it ----------------

def damage_row(db: Path, sql: str, value: bytes, name: str) -> None:
    with sqlite3.connect(db) as c:
        c.execute(sql, (value, name))


CODE = "UPDATE modules SET code=? WHERE name=?"
MEMORY = "UPDATE module_memory SET memory=? WHERE name=?"


@pytest.mark.parametrize("sql, value, reason", [
    (CODE, b"\x00\x11\x22\x33", "whose code can't be loaded (bad marshal data (unknown type "
                                "code)); remove it with: kmod rmmod -f counter, or start over "
                                "with: kmod reboot"),
    (CODE, marshal.dumps(42), "whose code can't be loaded (int where code belongs); remove it "
                              "with: kmod rmmod -f counter, or start over with: kmod reboot"),
    (MEMORY, b"\x80\x04garbage", None),
], ids=["garbage-code", "not-code", "garbage-memory"])
def test_a_module_the_store_cant_load_is_named_and_can_be_forced_out(kmod, home, sql, value,
                                                                       reason):
    db = loaded_store(home)
    assert kmod("insmod", str(MODULES / "hello.py")).returncode == 0
    damage_row(db, sql, value, "counter")
    for args in (["proc", "read", "counter"], ["rmmod", "counter"]):
        r = kmod(*args)
        assert (r.returncode, r.stdout) == (1, ""), args
        assert r.stderr.startswith(f"kmod: the state file {db} holds "), args
        if reason is not None:  # (damaged memory is the damaged data any blob may hold)
            assert r.stderr == f"kmod: the state file {db} holds module counter, {reason}\n"
        assert len(r.stderr.splitlines()) == 1
    assert kmod("lsmod").stdout.splitlines()[1:] == ["hello                  12288  0",
                                                     "counter                12288  0"]
    r = kmod("rmmod", "-f", "counter")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert kmod("lsmod").stdout.splitlines()[1:] == ["hello                  12288  0"]
    assert kmod("dmesg").stdout.endswith("Disabling lock debugging due to kernel taint\n")
    assert kmod("proc", "read", "sys/kernel/tainted").stdout == "12296\n"  # O, E and now R
    assert kmod("rmmod", "hello").returncode == 0  # the rest of the machine works on


def test_a_due_timer_of_a_damaged_module_doesnt_keep_it_in(kmod, home, module_file):
    """Timers fire as any command enters the kernel; one of the damaged module would fail
    every command, rmmod -f too, and firing after it left would panic the machine."""
    ticking = module_file("ticking", """
        MODULE_LICENSE("GPL")
        tick = timer_list()

        def ticked(timer):
            pr_info("ticking: tick\\n")

        @module_init
        def ticking_init():
            timer_setup(tick, ticked, 0)
            mod_timer(tick, jiffies_now() + 1)
            return 0

        @module_exit
        def ticking_exit():
            del_timer_sync(tick)
    """)
    assert kmod("insmod", ticking).returncode == 0
    damage_row(home / "machine.db", CODE, b"\xff", "ticking")
    time.sleep(0.05)  # the timer is due (a jiffy is 4 ms)
    r = kmod("dmesg")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.endswith("holds module ticking, whose code can't be loaded (bad marshal "
                             "data (unknown type code)); remove it with: kmod rmmod -f "
                             "ticking, or start over with: kmod reboot\n")
    assert kmod("rmmod", "-f", "ticking").returncode == 0
    r = kmod("dmesg")
    assert r.returncode == 0 and "ticking: tick" not in r.stdout
    assert "panic" not in r.stdout and "Oops" not in r.stdout
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"
