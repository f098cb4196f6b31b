"""The state store: one SQLite database holding the whole simulated machine.

Every `kmod` command is one `BEGIN IMMEDIATE` transaction, so commands from several shells
serialize (waiting on the busy timeout instead of failing) and a killed command leaves the
machine as it was before it, never torn. The store knows tables, not kernel concepts: each
table (and each `PREFIX.` slice of the meta table) belongs to one kernel subsystem, which
alone reads and writes it.
"""

from __future__ import annotations

import _pickle as pickle  # the C pickler alone: `pickle` adds a Python one (1 ms of start-up)
import _weakref
import errno
import io
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kmodsim import open_stores
from kmodsim.errors import StoreError

HIGHEST_PROTOCOL = -1  # what pickle.HIGHEST_PROTOCOL names: a negative protocol is the highest

SCHEMA_VERSION = 4
DB_NAME = "machine.db"
SQLITE_MAGIC = b"SQLite format 3\0"
# Long enough that a queue of shells waiting behind a slow handler never sees "locked";
# module code itself is bounded by the soft-lockup watchdog.
BUSY_TIMEOUT_S = 600.0
POLL_MAX_S = 0.004  # longest sleep between two tries for the write lock
PAGE_SIZE = 1024  # bytes, for a new store

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;  -- 'subsystem.name' -> value
CREATE TABLE modules (                -- kernel/module.py
    name       TEXT PRIMARY KEY,
    load_order INTEGER NOT NULL,      -- larger is newer: lsmod lists newest first
    path       TEXT NOT NULL,         -- the file insmod was given, absolute
    source     TEXT NOT NULL,         -- copied at insmod: what runs until rmmod
    code       BLOB NOT NULL,         -- marshal of the compiled source
    state      TEXT NOT NULL,         -- Live | Loading | Unloading
    refcnt     INTEGER NOT NULL DEFAULT 0,
    taints     TEXT NOT NULL DEFAULT '',
    params     TEXT NOT NULL DEFAULT '',
    modinfo    TEXT NOT NULL DEFAULT '[]',   -- JSON [[key, value], ...] in declaration order
    size       INTEGER NOT NULL,
    has_exit   INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE module_memory (          -- kernel/module.py (runtime/memory.py encodes it). Apart
    name   TEXT PRIMARY KEY,          -- from the source and code it changes on every command,
                                      -- so a write rewrites only this small row
    memory BLOB                       -- pickled module-level variables and kernel objects
);
CREATE TABLE proc_entries (           -- kernel/procfs.py
    path   TEXT PRIMARY KEY,          -- below /proc, e.g. 'counter' or 'driver/foo'
    module TEXT,                      -- the module that created it
    is_dir INTEGER NOT NULL DEFAULT 0,
    mode   INTEGER NOT NULL,
    data   BLOB                       -- pickled proc_dir_entry (holds the proc_ops)
) WITHOUT ROWID;
CREATE TABLE log (                    -- kernel/printk.py: the ring buffer
    seq      INTEGER PRIMARY KEY,
    ts_usec  INTEGER NOT NULL,
    level    INTEGER NOT NULL,
    facility INTEGER NOT NULL DEFAULT 0,
    cont     INTEGER NOT NULL DEFAULT 0,
    caller   TEXT,
    text     TEXT NOT NULL
);
"""


def default_home() -> Path:
    env = os.environ.get("KMODSIM_HOME")
    if env:
        home = Path(env).expanduser()
        if not home.is_absolute():  # it would name another machine in every folder
            raise StoreError(f"kmod: KMODSIM_HOME must be an absolute path, not '{env}' "
                             f"(use KMODSIM_HOME=\"$PWD/{env}\" for this folder's)")
        return home
    import platformdirs  # only when no override: tests and graders set KMODSIM_HOME

    return Path(platformdirs.user_data_dir("kmodsim"))


def _check_private(path: Path, what: str, st: os.stat_result) -> None:
    """Module memory is executable state: refuse a store that someone else can change."""
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise StoreError(
            f"kmod: {what} {path} is owned by another user; refusing to use it "
            f"(set KMODSIM_HOME to a folder of your own)"
        )
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StoreError(
            f"kmod: {what} {path} is writable by other users; refusing to use it "
            f"(fix with: chmod go-w {path})"
        )


def _cannot_use(what: str, path: Path, err: int) -> StoreError:
    return StoreError(f"kmod: can't use the {what} {path}: {os.strerror(err)}")


_FORKED_AWAY: list[sqlite3.Connection] = []  # a forked child's inherited connections


class Store:
    """A connection to the machine's database, opened on first use."""

    def __init__(self, home: Path | str | None = None) -> None:
        self.home = Path(home) if home is not None else default_home()
        self.path = self.home / DB_NAME
        self._db: sqlite3.Connection | None = None
        self._opened: _weakref.ReferenceType | None = None  # kmodsim.open_stores' count of it
        self._new_connection()

    def _new_connection(self) -> None:
        self._version: int | None = None  # PRAGMA data_version at the last BEGIN
        self._commits = 0
        self._watched = False  # the triggers that report our own writes are in place
        self._remembered: dict[str, dict] = {}

    # -- reads a process may keep from one transaction to the next ----------------------------
    def remembered(self) -> dict[str, dict] | None:
        """Rows that the runtime read (or wrote) in this connection's earlier transactions,
        by table, which the store still holds: a process making many kernel entries (the
        Python API, batch) need not read them again. Emptied whenever they may be stale:
        another connection committed (PRAGMA data_version moved), a transaction rolled
        back, or this connection wrote to a WATCHED table (triggers report it). None while
        the triggers aren't there: they are made from a connection's second transaction
        on, so a one-command process never pays for them."""
        return self._remembered if self._watched else None

    def _watch_writes(self, db: sqlite3.Connection) -> None:
        db.create_function("kmodsim_wrote", 0, self._remembered.clear, deterministic=False)
        try:
            for table, ops in WATCHED.items():
                for op in ops:
                    db.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS kmodsim_{table}_"
                               f"{op.lower()} AFTER {op} ON main.{table} "
                               f"BEGIN SELECT kmodsim_wrote(); END")
        except sqlite3.OperationalError as e:
            if not _busy(e):
                raise
            return  # the schema can't be read just now: made by a later transaction
        self._watched = True

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        with open_stores.lock():
            return self._open_connection()

    def _open_connection(self) -> sqlite3.Connection:
        self._new_connection()
        self._check_folder(create=True)
        file_id = self._check_files()
        db = None
        try:
            # any thread of a grader's process may use the machine (one at a time)
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                 check_same_thread=False)
            # small pages for a new store (an existing one keeps its own): a command changes
            # a few rows in a few pages, and each changed page is written whole to the WAL
            # and, at a checkpoint, synced: 1 KiB pages made Machine.proc_write 9% faster
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            _ensure_schema(db)
            db.execute("PRAGMA busy_timeout=0")  # from now on _begin_immediate does the waiting
        except (sqlite3.Error, _SchemaError) as e:
            if db is not None:
                db.close()
            if isinstance(e, _SchemaError):
                raise StoreError(f"kmod: the state file {self.path} {e}; "
                                 f"start over with: kmod reboot --reset") from None
            raise self.unusable(e) from None
        self._db = db
        self._opened = open_stores.opened(self, file_id)
        return db

    def _check_folder(self, create: bool) -> bool:
        """The state folder is a directory of ours that nobody else can write (made, 0700,
        if `create`); False if there is none."""
        try:
            if create:
                self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
            st = self.home.stat()
        except FileNotFoundError:
            if create:
                raise _cannot_use("state folder", self.home, errno.ENOENT) from None
            return False
        except OSError as e:
            err = errno.ENOTDIR if isinstance(e, FileExistsError) else e.errno or errno.EIO
            raise _cannot_use("state folder", self.home, err) from None
        if not stat.S_ISDIR(st.st_mode):
            raise _cannot_use("state folder", self.home, errno.ENOTDIR)
        _check_private(self.home, "state folder", st)
        return True

    def _check_files(self) -> tuple[int, int]:
        """Make the state file if there is none, 0600 from the start (SQLite would make it
        with the umask's mode, readable by others until a chmod); then check that it (and
        SQLite's -wal and -shm beside it) are regular files of ours, taking read bits for
        others away (a command killed at the wrong moment by an older kmodsim left them).
        The state file's (device, inode)."""
        try:
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # there already, or another kmod made it just now
        except OSError as e:
            raise _cannot_use("state file", self.path, e.errno or errno.EIO) from None
        file_id = None
        for path in self._files():
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            except OSError as e:
                raise _cannot_use("state file", path, e.errno or errno.EIO) from None
            if stat.S_ISDIR(st.st_mode):
                raise _cannot_use("state file", path, errno.EISDIR)
            if not stat.S_ISREG(st.st_mode):
                raise StoreError(f"kmod: the state file {path} is not a regular file; "
                                 f"refusing to use it")
            _check_private(path, "state file", st)
            if st.st_mode & 0o077:
                try:
                    os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
                except OSError as e:
                    raise _cannot_use("state file", path, e.errno or errno.EIO) from None
            if path == self.path:
                file_id = (st.st_dev, st.st_ino)
        if file_id is None:  # gone since it was made: another kmod's reboot --reset
            raise _cannot_use("state file", self.path, errno.ENOENT)
        if not open_stores.in_use(file_id):  # else SQLite reads it already, and checks it
            self._check_header()
        return file_id

    def _files(self) -> list[Path]:
        return [Path(str(self.path) + suffix) for suffix in ("", "-wal", "-shm")]

    def _check_header(self) -> None:
        """SQLite takes a file shorter than its header for an empty database and would start
        over silently; a truncated store must be reported instead. (An empty file is a store
        whose creation was cut short, or is being created right now by another kmod.)"""
        try:
            with open(self.path, "rb") as f:
                head = f.read(len(SQLITE_MAGIC))
        except OSError as e:
            raise _cannot_use("state file", self.path, e.errno or errno.EIO) from None
        if head and head != SQLITE_MAGIC:
            raise StoreError(f"kmod: the state file {self.path} is unreadable (file is not a "
                             f"database); start over with: kmod reboot --reset")

    def unusable(self, e: sqlite3.Error) -> StoreError:
        """One line naming the file and what went wrong, for any database error. Only a
        damaged or foreign file gets the way out that throws the machine away."""
        name = getattr(e, "sqlite_errorname", "")
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return StoreError(f"kmod: the state file {self.path} is locked by another kmod "
                              f"for too long ({e}); try again")
        if name.startswith("SQLITE_TOOBIG"):
            return StoreError(f"kmod: can't keep a value in the state file {self.path}: it is "
                              f"too large ({e})")
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_ERROR")):
            # not a database, malformed, or not ours (tables missing)
            return StoreError(f"kmod: the state file {self.path} is unreadable ({e}); "
                              f"start over with: kmod reboot --reset")
        return StoreError(f"kmod: can't use the state file {self.path}: {e}")

    def transaction(self) -> Transaction:
        """One kernel entry: everything inside commits together or not at all."""
        return Transaction(self)

    def _begin(self) -> sqlite3.Connection:
        db = self._connect()
        try:
            if self._commits and not self._watched:
                self._watch_writes(db)
            try:
                _begin_immediate(db)
                try:
                    version = db.execute("PRAGMA data_version").fetchone()[0]
                except BaseException:
                    _rollback(db)
                    raise
            except BaseException:
                self._remembered.clear()
                raise
        except (sqlite3.Error, BadBlob) as e:
            raise self._store_error(e) from None
        if version != self._version:  # another connection committed meanwhile
            self._remembered.clear()
            self._version = version
        return db

    def _end(self, db: sqlite3.Connection, error: BaseException | None) -> None:
        """Commit, or roll back after `error` (raised again by the caller unless this
        raises a StoreError for it, or for a failed COMMIT or ROLLBACK)."""
        try:
            if error is None:
                db.execute("COMMIT")
                self._commits += 1
                return
            _rollback(db)
        except BaseException as e:  # a failed COMMIT or ROLLBACK: raised in the body's stead
            self._remembered.clear()
            if isinstance(e, (sqlite3.Error, BadBlob)):
                raise self._store_error(e) from None
            raise
        self._remembered.clear()  # it may hold what was rolled back
        if isinstance(error, (sqlite3.Error, BadBlob)):
            raise self._store_error(error) from None

    def _store_error(self, e: sqlite3.Error | BadBlob) -> StoreError:
        if isinstance(e, BadBlob):
            return StoreError(f"kmod: the state file {self.path} {e}; {e.way_out}")
        return self.unusable(e)

    def reset(self) -> None:
        """Throw the state file away (the way out of a corrupt or foreign store), once sure it
        is ours to throw: a private folder of ours, regular files of ours."""
        self.close()
        if not self._check_folder(create=False):
            return  # nothing to throw away
        for path in self._files():
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            except OSError as e:
                raise _cannot_use("state file", path, e.errno or errno.EIO) from None
            if stat.S_ISDIR(st.st_mode):
                raise _cannot_use("state file", path, errno.EISDIR)
            if hasattr(os, "getuid") and st.st_uid != os.getuid():
                _check_private(path, "state file", st)  # says whose it is
        for path in self._files():
            try:
                path.unlink(missing_ok=True)
            except OSError as e:
                raise _cannot_use("state file", path, e.errno or errno.EIO) from None

    def forget_connection(self) -> None:
        """In a forked child: leave the parent's connection alone (SQLite's must not cross a
        fork; closing it here could disturb the parent's locks) and open one of its own on
        next use. The old one is kept referenced, so it is never closed in this process."""
        if self._db is not None:
            _FORKED_AWAY.append(self._db)
            self._db = None
            self._release_file()  # its locks stayed with the parent: they aren't inherited

    def close(self) -> None:
        if self._db is not None:
            with open_stores.lock():
                self._db.close()
                self._db = None
                self._release_file()

    def close_if_idle(self) -> None:
        """Close the connection unless a transaction is under way (before a fork)."""
        if self._db is not None and not self._db.in_transaction:
            self.close()

    def _release_file(self) -> None:
        if self._opened is not None:
            open_stores.closed(self._opened)
            self._opened = None


class Transaction:
    """Store.transaction(): a class, not a generator, as the Python API enters it thousands
    of times a second."""

    __slots__ = ("store", "db")

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        self.db = self.store._begin()
        return self.db

    def __exit__(self, kind: type | None, error: BaseException | None, tb: object) -> bool:
        self.store._end(self.db, error)
        return False


@contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE: take the write lock up front, so two commands never interleave."""
    _begin_immediate(db)
    try:
        yield db
    except BaseException:
        _rollback(db)
        raise
    else:
        db.execute("COMMIT")


def _rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:  # a failed COMMIT or a lost connection may have ended it
        db.execute("ROLLBACK")


def _begin_immediate(db: sqlite3.Connection) -> None:
    """Wait for the write lock by polling every few milliseconds. SQLite's own busy handler
    backs off to 25-100 ms sleeps, so a queue of shells behind a 5 ms command would spend
    most of its time asleep with the lock free."""
    try:
        db.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as e:
        if not _busy(e):
            raise
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.0005
    while True:
        # jitter, so that waiters don't wake in step (not `random`: it costs start-up time)
        time.sleep(delay * (0.5 + time.perf_counter_ns() % 1000 / 1000))
        try:
            db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as e:
            if not _busy(e) or time.monotonic() > deadline:
                raise
        delay = min(delay * 2, POLL_MAX_S)


def _busy(e: sqlite3.OperationalError) -> bool:
    return getattr(e, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


# -- schema and migrations --------------------------------------------------------------------

class _SchemaError(Exception):
    """The store is a database, but not one this kmodsim can use (the text says why)."""


TABLES = {"meta", "modules", "module_memory", "proc_entries", "log"}
# Tables whose rows the runtime may remember between transactions (Store.remembered()), and
# the writes to them that forget everything remembered: modules and proc_entries change
# rarely (insmod, rmmod, proc_create). module_memory, log and meta (INSERT OR REPLACE)
# change on every command: their writers there keep what is remembered of them up to date,
# and any other write to meta (reboot's wipe) is a DELETE or an UPDATE.
WATCHED = {"modules": ("INSERT", "UPDATE", "DELETE"),
           "proc_entries": ("INSERT", "UPDATE", "DELETE"), "meta": ("UPDATE", "DELETE")}


def _ensure_schema(db: sqlite3.Connection) -> None:
    """Create the schema in a new store, or bring an older one up to SCHEMA_VERSION, in one
    transaction: a command killed halfway through a migration leaves the old store whole.
    The usual case, a store already up to date, is a read that waits for no writer."""
    db.execute("BEGIN")
    try:
        current = _is_current(db)
    finally:
        if db.in_transaction:  # only read: nothing to commit
            db.execute("ROLLBACK")
    if current:
        return
    with _immediate(db):  # looked again under the write lock: another kmod may have done it
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            _create(db)
            return
        version = _version(db, tables)
        if version > SCHEMA_VERSION:
            raise _SchemaError(f"has schema version {version}, newer than this kmodsim's "
                               f"({SCHEMA_VERSION})")
        if version < SCHEMA_VERSION:
            _migrate(db, version)
        missing = TABLES - {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if missing:
            raise _SchemaError(f"is not a kmodsim store (no table {', '.join(sorted(missing))})")


def _is_current(db: sqlite3.Connection) -> bool:
    try:
        return meta_get(db, "schema_version") == SCHEMA_VERSION
    except sqlite3.OperationalError as e:
        if _busy(e):
            raise
        return False  # no meta table: a new store, or not ours; the full check says which


def _create(db: sqlite3.Connection) -> None:
    # statement by statement: executescript() would commit our transaction (so no `;` may
    # stand in a comment of SCHEMA)
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    meta_set(db, "schema_version", SCHEMA_VERSION)


def _version(db: sqlite3.Connection, tables: set[str]) -> int:
    """The store's schema version; a store from before versions were recorded is 0."""
    if "meta" not in tables:
        raise _SchemaError("is not a kmodsim store (no table meta)")
    value = meta_get(db, "schema_version", 0)
    if not isinstance(value, int) or value < 0:
        raise _SchemaError(f"has a schema version that makes no sense ({value!r})")
    return value


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """One step at a time: MIGRATIONS[v] turns a version-v store into a version-(v+1) one."""
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise _SchemaError(f"has schema version {version}, too old to migrate")
        step(db)
        version += 1
        meta_set(db, "schema_version", version)


def _v0_to_v1(db: sqlite3.Connection) -> None:
    """Version 0 compiled a module's source on every command; version 1 keeps the compiled
    code (and the size lsmod shows, which follows from it) in the modules table."""
    import marshal

    columns = {r[1] for r in db.execute("PRAGMA table_info(modules)")}
    if "code" not in columns:
        db.execute("ALTER TABLE modules ADD COLUMN code BLOB NOT NULL DEFAULT x''")
    if "size" not in columns:
        db.execute("ALTER TABLE modules ADD COLUMN size INTEGER NOT NULL DEFAULT 0")
    rows = db.execute("SELECT name, path, source FROM modules").fetchall()
    for name, path, source in rows:
        try:
            blob = marshal.dumps(compile(source, path, "exec", dont_inherit=True))
        except (SyntaxError, ValueError) as e:
            raise _SchemaError(f"holds module {name}, whose stored source no longer "
                               f"compiles ({e})") from None
        db.execute("UPDATE modules SET code=?, size=? WHERE name=?",
                   (blob, _module_size(len(blob)), name))


def _v1_to_v2(db: sqlite3.Connection) -> None:
    """Version 1 kept module memory in the modules row, beside the source and code blobs,
    so every command rewrote them all; version 2 keeps it in a table of its own."""
    db.execute("CREATE TABLE module_memory (name TEXT PRIMARY KEY, memory BLOB)")
    db.execute("INSERT INTO module_memory SELECT name, memory FROM modules "
               "WHERE memory IS NOT NULL")
    db.execute("ALTER TABLE modules DROP COLUMN memory")


def _module_size(code_len: int) -> int:
    """kernel.module.module_size() as it was when version 1 was made. A migration is frozen
    history, so it keeps its own copy rather than importing a layer above the store."""
    return (code_len + 3 * 4096 - 1) // 4096 * 4096


# Version 3 gives each subsystem its own slice of meta, named by a prefix.
_V3_KEYS = {
    "boot_time": "time.boot_time", "last_usec": "time.last_usec",
    "clock_skew_usec": "time.skew_usec", "timers": "timer.armed",
    "next_timer_id": "timer.next_id", "taint": "module.taint",
    "last_unloaded": "module.last_unloaded", "next_seq": "printk.next_seq",
    "log_bytes": "printk.log_bytes", "log_buf_len": "printk.log_buf_len",
    "console_loglevel": "printk.console_loglevel", "console_enabled": "printk.console_enabled",
    "kmalloc_offset": "slab.next_offset", "lock_order": "lockdep.order",
    "debug_locks_off": "lockdep.off", "oops_count": "panic.oops_count",
    "panicked": "panic.panicked",
}


def _v2_to_v3(db: sqlite3.Connection) -> None:
    """Version 2 kept every machine-wide value under a bare name; version 3 names each by the
    subsystem that owns it (`printk.next_seq`)."""
    for old, new in _V3_KEYS.items():
        db.execute("UPDATE meta SET key=? WHERE key=?", (new, old))


def _v3_to_v4(db: sqlite3.Connection) -> None:
    """Version 4 writes the ring buffer's counters (printk.next_seq, log_bytes, first_seq)
    and the clock's last reading to meta only every few records, the log's newest records
    giving them back in between (kmodsim.kernel.printk.catch_up): a version-3 kmodsim would
    number its records from stale counters. A version-3 store has them all up to date, so
    nothing changes but the version."""


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    0: _v0_to_v1, 1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


def wipe(db: sqlite3.Connection) -> None:
    """Empty every table (a new boot), keeping only the schema version."""
    for table in sorted(TABLES - {"meta"}):
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM meta WHERE key != 'schema_version'")


def meta_get(db: sqlite3.Connection, key: str, default: object = None) -> object:
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return default if row is None else row[0]


def meta_set(db: sqlite3.Connection, key: str, value: object) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


# -- blobs: what the layers above pickle into the store ----------------------------------------

# Whose names a blob may hold: the kernel's objects and the modules' own code (a module runs as
# kmodsim.live.NAME); besides them, only plain builtin data.
_TRUSTED_PACKAGES = ("kmodsim.kernel", "kmodsim.live")
_SAFE_GLOBALS = {
    ("builtins", name)
    for name in ("set", "frozenset", "bytearray", "bytes", "complex", "slice", "range",
                 "object", "list", "dict", "tuple", "int", "float", "str", "bool")
} | {
    ("collections", name) for name in ("OrderedDict", "deque", "defaultdict", "Counter")
} | {("copyreg", "_reconstructor"), ("copyreg", "__newobj__"), ("enum", "Enum")}


_TRUSTED_PREFIXES = tuple(package + "." for package in _TRUSTED_PACKAGES)
# the kernel's own names never change within a process: their verdict is kept (a module's
# names are looked at every time: the same name may be another module image's next time)
_KERNEL_VERDICTS: dict[tuple[str, str], object] = {}


def _trusted(module: object) -> bool:
    return isinstance(module, str) and (module in _TRUSTED_PACKAGES
                                        or module.startswith(_TRUSTED_PREFIXES))


class BlobUnpickler(pickle.Unpickler):
    """Loads only what a store legitimately holds. A name with a dot would walk attributes
    (`cformat.__builtins__.get` reaches eval), a dunder name reaches Python's machinery, and
    a name a trusted module merely imports (`os`, a builtin) is not that module's own: all
    three are refused."""

    def find_class(self, module: str, name: str) -> object:
        kept = _KERNEL_VERDICTS.get((module, name))
        if kept is not None:
            return kept
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        if _trusted(module) and "." not in name and not name.startswith("__"):
            try:
                found = super().find_class(module, name)
            except (ImportError, AttributeError):
                found = None
            owner = getattr(found, "__module__", None) if isinstance(found, type) or callable(
                found) else type(found).__module__
            if found is not None and not isinstance(found, type(pickle)) and _trusted(owner):
                if module.startswith("kmodsim.kernel"):
                    _KERNEL_VERDICTS[(module, name)] = found
                return found
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the state store")


class BadBlob(StoreError, pickle.UnpicklingError):
    """A blob in the store that is damaged or holds what no kmodsim put there."""

    way_out = "start over with: kmod reboot --reset"


class BadModuleBlob(BadBlob):
    """A module's row holds code or memory that can't be loaded: only that module is lost,
    so the way out is to remove it (`rmmod -f`) or reboot, not to throw the store away."""

    def __init__(self, module: str, what: str, reason: str) -> None:
        super().__init__(f"holds module {module}, whose {what} can't be loaded ({reason})")
        self.module = module
        self.way_out = (f"remove it with: kmod rmmod -f {module}, or start over with: "
                        f"kmod reboot")


def load_blob(blob: bytes) -> object:
    """Unpickle a blob from the store with BlobUnpickler (never plain pickle.loads)."""
    try:
        return BlobUnpickler(io.BytesIO(blob)).load()
    except (pickle.UnpicklingError, EOFError) as e:
        raise BadBlob(f"holds data it can't load ({e})") from None


def release(db: sqlite3.Connection) -> None:
    """A task going to sleep: what it did so far commits, and other commands may run."""
    if db.in_transaction:
        db.execute("COMMIT")


def retake(db: sqlite3.Connection) -> None:
    """The task woke: the write lock again, waiting for it as any command does."""
    _begin_immediate(db)
