"""procfs: proc_create, proc_mkdir, remove_proc_entry (fs/proc/generic.c), and /proc as a
tree of the VFS (TREE): the entries modules made, and the kernel's own files (KERNEL_FILES)."""

from __future__ import annotations

import _pickle as pickle  # the C pickler alone: `pickle` adds a Python one (1 ms of start-up)
import importlib
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING

from kmodsim.kernel import _current, vfs
from kmodsim.kernel._current import State
from kmodsim.kernel.errno import EIO, ENOTTY
from kmodsim.kernel.panic import KernelBugFault, warn
from kmodsim.kernel.printk import log
from kmodsim.kernel.uaccess import UserPtr, loff_t, simple_read_from_buffer
from kmodsim.kernel.vfs import (  # noqa: F401 - struct file and friends, as fs.h has them
    FMODE_READ,
    FMODE_WRITE,
    O_APPEND,
    O_CREAT,
    O_NONBLOCK,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    SEEK_CUR,
    SEEK_END,
    SEEK_SET,
    Node,
    file,
    file_inode,
    file_operations,
    inode,
    kernel_glue,
)
from kmodsim.store import HIGHEST_PROTOCOL, load_blob

if TYPE_CHECKING:
    from kmodsim.kernel._current import Kernel

S_IFMT = 0o170000
S_IFDIR = 0o040000
S_IFREG = 0o100000
S_IRWXU, S_IRUSR, S_IWUSR, S_IXUSR = 0o700, 0o400, 0o200, 0o100
S_IRWXG, S_IRGRP, S_IWGRP, S_IXGRP = 0o070, 0o040, 0o020, 0o010
S_IRWXO, S_IROTH, S_IWOTH, S_IXOTH = 0o007, 0o004, 0o002, 0o001
S_IRUGO = S_IRUSR | S_IRGRP | S_IROTH
S_IWUGO = S_IWUSR | S_IWGRP | S_IWOTH
S_IXUGO = S_IXUSR | S_IXGRP | S_IXOTH
S_IALLUGO = 0o7777

PROC_ENTRY_PERMANENT = 1
# The kernel's own files under /proc: path -> "module:function" of a function(k) -> bytes
# that makes the file's text when it is opened (imported then, as a seq_file's show runs).
KERNEL_FILES: dict[str, str] = {
    "devices": "kmodsim.kernel.chrdev:proc_devices_text",
    "modules": "kmodsim.kernel.procfs:proc_modules_text",
    "sys/kernel/tainted": "kmodsim.kernel.procfs:tainted_text",
}
# ...and their directories: together, the names no module may take
BUILTIN_PROC = set(KERNEL_FILES) | {p.rsplit("/", i)[0] for p in KERNEL_FILES
                                    for i in range(1, p.count("/") + 1)}


class proc_ops:
    """struct proc_ops: the handlers of a /proc file. Unset ones are None."""

    __slots__ = ("proc_open", "proc_read", "proc_write", "proc_release", "proc_lseek",
                 "proc_ioctl", "proc_poll", "proc_flags")
    _slot_values = operator.attrgetter(*__slots__)  # (what pickling keeps)

    def __init__(
        self,
        proc_open: Callable | None = None,
        proc_read: Callable | None = None,
        proc_write: Callable | None = None,
        proc_release: Callable | None = None,
        proc_lseek: Callable | None = None,
        proc_ioctl: Callable | None = None,
        proc_poll: Callable | None = None,
        proc_flags: int = 0,
    ) -> None:
        self.proc_open = proc_open
        self.proc_read = proc_read
        self.proc_write = proc_write
        self.proc_release = proc_release
        self.proc_lseek = proc_lseek
        self.proc_ioctl = proc_ioctl
        self.proc_poll = proc_poll
        self.proc_flags = proc_flags

    def __getstate__(self) -> tuple:
        return self._slot_values(self)

    def __setstate__(self, state: tuple) -> None:
        for k, v in zip(self.__slots__, state, strict=True):
            setattr(self, k, v)


class proc_dir_entry:
    """A /proc file or directory. `path` is relative to /proc ('counter', 'driver/x')."""

    def __init__(self, name: str, mode: int, parent: proc_dir_entry | None,
                 ops: proc_ops | None, data: object = None) -> None:
        self.name = name
        self.mode = mode
        self.parent = parent
        self.proc_ops = ops
        self.data = data
        self.size = 0
        self.uid = 0
        self.gid = 0
        self.owner = ""  # the module that created it

    @property
    def path(self) -> str:
        return f"{self.parent.path}/{self.name}" if self.parent is not None else self.name

    @property
    def is_dir(self) -> bool:
        return (self.mode & S_IFMT) == S_IFDIR

    def __repr__(self) -> str:
        return f"<proc_dir_entry /proc/{self.path}>"


def pde_data(ino: inode) -> object:
    return ino.i_private


PDE_DATA = pde_data


def _fix_mode(mode: int, default_type: int) -> int:
    if mode & S_IFMT == 0:
        mode |= default_type
    if mode & S_IALLUGO == 0:
        mode |= S_IRUGO if default_type == S_IFREG else S_IRUGO | S_IXUGO
    return mode


def proc_create_data(name: str, mode: int, parent: proc_dir_entry | None, ops: proc_ops,
                     data: object) -> proc_dir_entry | None:
    pde = proc_dir_entry(name, _fix_mode(mode, S_IFREG), parent, ops, data)
    return _procfs().register(pde)


def proc_create(name: str, mode: int, parent: proc_dir_entry | None,
                ops: proc_ops) -> proc_dir_entry | None:
    """Create /proc/[parent/]name with these handlers; None if it can't (e.g. it exists)."""
    return proc_create_data(name, mode, parent, ops, None)


def proc_mkdir_mode(name: str, mode: int, parent: proc_dir_entry | None) -> proc_dir_entry | None:
    pde = proc_dir_entry(name, _fix_mode(mode | S_IFDIR, S_IFDIR), parent, None)
    return _procfs().register(pde)


def proc_mkdir(name: str, parent: proc_dir_entry | None) -> proc_dir_entry | None:
    return proc_mkdir_mode(name, 0, parent)


def proc_mkdir_data(name: str, mode: int, parent: proc_dir_entry | None,
                    data: object) -> proc_dir_entry | None:
    pde = proc_dir_entry(name, _fix_mode(mode | S_IFDIR, S_IFDIR), parent, None, data)
    return _procfs().register(pde)


def remove_proc_entry(name: str, parent: proc_dir_entry | None) -> None:
    where = f"{parent.path}/{name}" if parent is not None else name
    _procfs().unregister(where, recursive=False)


def remove_proc_subtree(name: str, parent: proc_dir_entry | None) -> int:
    where = f"{parent.path}/{name}" if parent is not None else name
    return _procfs().unregister(where, recursive=True)


def proc_remove(pde: proc_dir_entry | None) -> None:
    if pde is not None:
        _procfs().unregister(pde.path, recursive=True)


def proc_set_size(pde: proc_dir_entry, size: int) -> None:
    pde.size = size
    _procfs().update(pde)


def proc_set_user(pde: proc_dir_entry, uid: int, gid: int) -> None:
    pde.uid, pde.gid = uid, gid
    _procfs().update(pde)


GLOBAL_ROOT_UID = 0
GLOBAL_ROOT_GID = 0


# -- the entries of the boot (table proc_entries) --------------------------------------------

class ProcState(State):
    """The /proc entries modules made: path, owner, mode, and the pickled entry (its proc_ops
    name the handlers, so the entry outlives the command that made it)."""

    PREFIX = "procfs"

    def register(self, pde: proc_dir_entry) -> proc_dir_entry | None:
        db = self.k.db
        lm = _current.module()
        pde.owner = lm.name if lm else ""
        where = pde.path
        if pde.parent is not None and not db.execute(
                "SELECT 1 FROM proc_entries WHERE path=? AND is_dir=1",
                (pde.parent.path,)).fetchone():
            return None
        if db.execute("SELECT 1 FROM proc_entries WHERE path=?", (where,)).fetchone() \
                or where in BUILTIN_PROC:
            shown = f"/proc/{where}" if pde.parent is None else where
            warn(self.k, lm, "fs/proc/generic.c:400 proc_register+0x19f/0x240",
                 f"proc_dir_entry '{shown}' already registered")
            return None
        db.execute("INSERT INTO proc_entries VALUES (?, ?, ?, ?, ?)",
                   (where, pde.owner, int(pde.is_dir), pde.mode, _blob(pde)))
        return pde

    def update(self, pde: proc_dir_entry) -> None:
        self.k.db.execute("UPDATE proc_entries SET data=? WHERE path=?", (_blob(pde), pde.path))

    def unregister(self, where: str, recursive: bool) -> int:
        db = self.k.db
        row = db.execute("SELECT is_dir FROM proc_entries WHERE path=?", (where,)).fetchone()
        if row is None:
            log(self.k, 4, f"remove_proc_entry: /proc/{where} not found\n" if "/" not in where
                else f"name '{where}'\n")
            return -2
        children = db.execute("SELECT path FROM proc_entries WHERE path LIKE ? ESCAPE '\\'",
                              (_like_prefix(where),)).fetchall()
        if children and not recursive:
            log(self.k, 4, f"remove_proc_entry: removing non-empty directory '/proc/{where}', "
                           f"leaking at least '{children[0][0].rsplit('/', 1)[-1]}'\n")
        db.execute("DELETE FROM proc_entries WHERE path=?", (where,))
        if recursive:
            db.execute("DELETE FROM proc_entries WHERE path LIKE ? ESCAPE '\\'",
                       (_like_prefix(where),))
        return 0

    def lookup(self, path: str) -> tuple[str, int, int, bytes] | None:
        """(owner, is_dir, mode, pickled entry) of /proc/PATH, or None. The entry is known to
        hold only what load_entry() accepts (a forged one is a damaged store): unpickle it
        with load_entry()."""
        rows = self.k.remembered("proc_entries")
        if rows is not None and path in rows:
            return rows[path]
        row = self.k.db.execute("SELECT module, is_dir, mode, data FROM proc_entries "
                                "WHERE path=?", (path,)).fetchone()
        if rows is not None:
            rows[path] = row
        return row

    def paths(self) -> list[str]:
        return [r[0] for r in self.k.db.execute("SELECT path FROM proc_entries")]


def _procfs() -> ProcState:
    return _current.entry().state(ProcState)


def _blob(pde: proc_dir_entry) -> bytes:
    try:
        return pickle.dumps(pde, protocol=HIGHEST_PROTOCOL)
    except Exception as e:
        raise KernelBugFault(f"proc entry {pde!r} can't be registered: {e}") from None


def load_entry(blob: bytes) -> proc_dir_entry:
    """A pickled entry from table proc_entries, through the store's allow-list unpickler."""
    pde = load_blob(blob)
    if not isinstance(pde, proc_dir_entry):
        raise pickle.UnpicklingError(f"a /proc entry holds a {type(pde).__name__}")
    return pde


def _like_prefix(path: str) -> str:
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"


# -- /proc as a tree of the VFS ------------------------------------------------------------

def proc_modules_text(k: Kernel) -> bytes:
    from kmodsim.formats.procmodules import render_proc_modules
    from kmodsim.kernel.module import ModuleState

    modules = k.state(ModuleState)
    # the module's source_list: each new user is added at its head
    return render_proc_modules(modules.listing(), lambda n: modules.holders(n)[::-1]).encode()


def tainted_text(k: Kernel) -> bytes:
    from kmodsim.kernel.module import ModuleState

    return b"%d\n" % k.state(ModuleState).taint


@kernel_glue
def _kernel_file_open(ino: inode, f: file) -> int:
    """A kernel file's text is made at open, as single_open()'s show runs at the first read."""
    module_name, function = str(ino.i_private).split(":")
    render = getattr(importlib.import_module(module_name), function)
    f.private_data = bytes(render(_current.entry()))
    return 0


@kernel_glue
def _kernel_file_read(f: file, buf: UserPtr, count: int, ppos: loff_t) -> int:
    return simple_read_from_buffer(buf, count, ppos, f.private_data)


@vfs.no_handler
@kernel_glue
def _no_read(f: file, buf: UserPtr, count: int, ppos: loff_t) -> int:
    return -EIO  # proc_reg_read() of an entry without proc_read


@vfs.no_handler
@kernel_glue
def _no_write(f: file, buf: UserPtr, count: int, ppos: loff_t) -> int:
    return -EIO  # proc_reg_write() of an entry without proc_write


@vfs.no_handler
@kernel_glue
def _no_ioctl(f: file, cmd: int, arg: object) -> int:
    return -ENOTTY  # proc_reg_unlocked_ioctl() of an entry without proc_ioctl


def proc_file_operations(ops: proc_ops | None) -> file_operations:
    """proc_reg_file_ops over an entry's proc_ops: what the VFS calls for a /proc file."""
    get = (lambda name: getattr(ops, name, None)) if ops is not None else (lambda name: None)
    return file_operations(
        open=get("proc_open"), release=get("proc_release"),
        read=get("proc_read") or _no_read, write=get("proc_write") or _no_write,
        llseek=get("proc_lseek") or vfs.default_llseek,
        unlocked_ioctl=get("proc_ioctl") or _no_ioctl, poll=get("proc_poll"))


_KERNEL_DIR = S_IFDIR | S_IRUGO | S_IXUGO
_KERNEL_FILE = S_IFREG | S_IRUGO


# A process making many kernel entries (the Python API, batch) opens the same entries again
# and again: the handlers an entry's stored bytes name, in the module namespace they were
# found in, are kept, as long as that namespace is the one in use and nothing of the entry
# can be changed in place (its data an immutable value: each open must see the store's).
_OPENED: dict[bytes, tuple] = {}
_UNCHANGEABLE = (type(None), int, str, bytes, float, bool)


class ProcTree:
    """/proc for the VFS: the kernel's own files and the entries modules made (table
    proc_entries). An entry whose module is gone is a node without handlers (its owner no
    longer loaded): opening it is the page fault the kernel would take."""

    def lookup(self, k: Kernel, rel: str) -> Node | None:
        where = "/proc/" + rel if rel else "/proc"
        if rel in KERNEL_FILES:
            return Node(where, _KERNEL_FILE, _KERNEL_FOPS, data=KERNEL_FILES[rel])
        if rel == "" or rel in BUILTIN_PROC:
            return Node(where, _KERNEL_DIR)
        row = k.state(ProcState).lookup(rel)
        if row is None:
            return None
        owner, is_dir, mode, blob = row
        if is_dir:  # what a path walk and ls need, without running the module's code
            return Node(where, mode, None, owner)
        ns = None
        if owner:
            try:
                ns = k.module(owner).ns  # its code must run before its handlers can be named
            except KeyError:
                return Node(where, mode, None, owner)
        kept = _OPENED.get(blob)
        if kept is not None and kept[0] is ns:
            return Node(where, mode, *kept[1:])
        pde = load_entry(blob)  # through the store's allow-list unpickler
        found = (ns, proc_file_operations(pde.proc_ops), owner, pde.data, pde.uid, pde.gid, 0,
                 pde.size)
        if isinstance(pde.data, _UNCHANGEABLE):
            if len(_OPENED) >= 256:  # modules come and go: keep it bounded
                _OPENED.clear()
            _OPENED[blob] = found
        return Node(where, mode, *found[1:])

    def listdir(self, k: Kernel, rel: str) -> list[str] | None:
        node = self.lookup(k, rel)
        if node is None or not node.is_dir:
            return None
        below = rel + "/" if rel else ""
        names = set()
        for entry in [*BUILTIN_PROC, *k.state(ProcState).paths()]:
            if entry.startswith(below) and entry != rel:
                names.add(entry[len(below):].split("/", 1)[0])
        return sorted(names)


_KERNEL_FOPS = file_operations(open=_kernel_file_open, read=_kernel_file_read, write=_no_write,
                               llseek=vfs.default_llseek, unlocked_ioctl=_no_ioctl)
TREE = ProcTree()
