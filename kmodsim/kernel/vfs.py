"""The VFS's view of the simulated trees (fs/namei.c, include/linux/fs.h): every file a
user program can open (/proc, /dev, /sys, /sys/kernel/debug) is a Node found by path, and
every open of it goes through its `struct file_operations`.

Each tree is a subsystem of its own (procfs, chardev, sysfs, debugfs); it mounts here by
name and is imported only when a path under its mount point is looked up, so a command that
never touches /sys never imports sysfs.

How kmodsim.kernel.fs calls a node's handlers: when the node has an owner module, in that
module under the fault catcher (k.call) — the module's own functions, and the kernel's
helpers that call back into it (seq_read, single_open) — unless a handler is marked
@kernel_glue (the kernel's glue, such as chrdev_open or sysfs's show/store: it is called
directly and enters module code through the kernel entry itself). A node without an owner
(the kernel's own files) has its handlers called directly. An open file keeps the node's
owner module in use.

Permissions are generic_permission()'s (permission(), walk()): the owner's bits for the
node's uid, the group's for its gid, the others' otherwise; root passes but for exec.
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from kmodsim.kernel.errno import EACCES, ENOENT, ENOTDIR

if TYPE_CHECKING:
    from kmodsim.kernel._current import Kernel

S_IFMT, S_IFDIR, S_IFCHR, S_IFREG, S_IFLNK = 0o170000, 0o040000, 0o020000, 0o100000, 0o120000


class file_operations:
    """struct file_operations: a file's handlers; unset ones are None. Module code builds one
    with keywords, as C's designated initializers (`file_operations(read=dev_read, ...)`)."""

    __slots__ = ("owner", "open", "release", "read", "write", "llseek", "unlocked_ioctl",
                 "compat_ioctl", "poll")
    _slot_values = operator.attrgetter(*__slots__)  # (what pickling keeps)

    def __init__(self, owner: object = None, open: Callable | None = None,  # noqa: A002
                 release: Callable | None = None, read: Callable | None = None,
                 write: Callable | None = None, llseek: Callable | None = None,
                 unlocked_ioctl: Callable | None = None, compat_ioctl: Callable | None = None,
                 poll: Callable | None = None) -> None:
        self.owner = owner  # THIS_MODULE
        self.open = open
        self.release = release
        self.read = read
        self.write = write
        self.llseek = llseek
        self.unlocked_ioctl = unlocked_ioctl
        self.compat_ioctl = compat_ioctl
        self.poll = poll

    def __getstate__(self) -> tuple:
        return self._slot_values(self)

    def __setstate__(self, state: tuple) -> None:
        for k, v in zip(self.__slots__, state, strict=True):
            setattr(self, k, v)


class Node:
    """One file or directory of a simulated tree, as lookup found it: what the inode says
    (mode, owner ids, device number, size, i_private) and how to open it (fops)."""

    __slots__ = ("path", "mode", "uid", "gid", "owner", "fops", "data", "rdev", "size")

    def __init__(self, path: str, mode: int, fops: file_operations | None = None,
                 owner: str = "", data: object = None, uid: int = 0, gid: int = 0,
                 rdev: int = 0, size: int = 0) -> None:
        self.path = path  # absolute: /dev/chardev, /sys/module/hello/refcnt
        self.mode = mode  # S_IF* type bits and permission bits
        self.fops = fops
        self.owner = owner  # the module whose code serves it; "" for the kernel's own
        self.data = data  # i_private
        self.uid = uid
        self.gid = gid
        self.rdev = rdev  # a device node's dev_t
        self.size = size  # what stat and ls -l show

    @property
    def is_dir(self) -> bool:
        return self.mode & S_IFMT == S_IFDIR

    def __repr__(self) -> str:
        return f"<Node {self.path} {self.mode:o}>"


class Tree(Protocol):
    """What a mounted tree answers, for paths relative to its mount point ('' is the top)."""

    def lookup(self, k: Kernel, rel: str) -> Node | None: ...
    def listdir(self, k: Kernel, rel: str) -> list[str] | None: ...


# mount point -> "module:attribute" of its Tree; the longest mount point that holds a path wins
MOUNTS: dict[str, str] = {
    "/proc": "kmodsim.kernel.procfs:TREE",
    "/dev": "kmodsim.kernel.chrdev:TREE",
    "/sys": "kmodsim.kernel.sysfs:TREE",
    "/sys/kernel/debug": "kmodsim.kernel.debugfs:TREE",
}
_trees: dict[str, Tree] = {}
# The task kind a read/write/llseek/ioctl handler runs as, by mount point: "read" under /proc
# (proc_reg_read() calls it), "chr_read" under /dev (vfs_read() calls the driver's own);
# kmodsim.kernel.stacktrace keeps the kernel path each kind's call trace shows.
KIND_PREFIX: dict[str, str] = {"/dev": "chr_", "/sys/kernel/debug": "debugfs_"}


def normalize(path: str) -> str:
    """An absolute path without '.', '..', or repeated and trailing slashes."""
    if path[:1] == "/" and "//" not in path and "/." not in path and (
            path[-1:] != "/" or path == "/"):
        return path  # already one: the usual case, and the path walk asks again
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


_MOUNT_OF: dict[str, str | None] = {}  # path -> mount_of(path): the same few paths recur


def mount_of(path: str) -> str | None:
    """The mount point whose tree holds `path` (normalized), or None (not simulated)."""
    try:
        return _MOUNT_OF[path]
    except KeyError:
        pass
    best = None
    for point in MOUNTS:
        if (path == point or path.startswith(point + "/")) and (
                best is None or len(point) > len(best)):
            best = point
    if len(_MOUNT_OF) >= 1024:  # paths come and go: keep it bounded
        _MOUNT_OF.clear()
    _MOUNT_OF[path] = best
    return best


def tree(point: str) -> Tree:
    if point not in _trees:
        module_name, attr = MOUNTS[point].split(":")
        _trees[point] = getattr(importlib.import_module(module_name), attr)
    return _trees[point]


def _split(path: str) -> tuple[Tree, str] | None:
    point = mount_of(path)
    if point is None:
        return None
    try:
        t = tree(point)
    except ModuleNotFoundError as e:  # a tree not written yet: nothing is mounted there
        if e.name != MOUNTS[point].split(":")[0]:
            raise
        return None
    return t, path[len(point):].lstrip("/")


def lookup(k: Kernel, path: str) -> Node | None:
    """The node at absolute `path`, or None if there is none."""
    return _lookup(k, normalize(path))


def _lookup(k: Kernel, path: str) -> Node | None:
    found = _split(path)  # `path` is normalized
    if found is None:
        return None
    t, rel = found
    return t.lookup(k, rel)


def listdir(k: Kernel, path: str) -> list[str] | None:
    """The names in directory `path` (sorted), including mount points under it; None if it
    is not a directory."""
    path = normalize(path)
    found = _split(path)
    if found is None:
        return None
    t, rel = found
    names = t.listdir(k, rel)
    if names is None:
        return None
    for point in MOUNTS:  # a mount point shows in its parent's listing (debug in /sys/kernel)
        parent, _, name = point.rpartition("/")
        if (parent or "/") == path and name not in names:
            names.append(name)
    return sorted(names)


# -- opening: flags, permissions, struct file ---------------------------------------------------

O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR = 3, 0, 1, 2
O_CREAT, O_TRUNC, O_APPEND, O_NONBLOCK = 0o100, 0o1000, 0o2000, 0o4000
FMODE_READ, FMODE_WRITE = 1, 2
FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE = 0x4, 0x8, 0x10  # cleared by nonseekable_open()
SEEK_SET, SEEK_CUR, SEEK_END = 0, 1, 2
MAY_EXEC, MAY_WRITE, MAY_READ = 1, 2, 4


def permission(node: Node, uid: int, gid: int, mask: int) -> bool:
    """generic_permission(): the owner's bits when uid owns the node, the group's when gid
    matches, the others' otherwise; root (CAP_DAC_OVERRIDE) may read and write anything, and
    execute what anyone may (search any directory)."""
    if uid == 0:
        return not mask & MAY_EXEC or node.is_dir or bool(node.mode & 0o111)
    if uid == node.uid:
        bits = node.mode >> 6
    elif gid == node.gid:
        bits = node.mode >> 3
    else:
        bits = node.mode
    return bits & mask & 7 == mask


class Denied(Exception):
    """A path walk or open refused: `err` is the errno; `node` the directory or file whose
    mode said no (for EACCES)."""

    def __init__(self, err: int, node: Node | None = None) -> None:
        super().__init__(err)
        self.err = err
        self.node = node


def walk(k: Kernel, path: str, uid: int, gid: int) -> Node:
    """path_lookupat(): the node at absolute `path`, each directory on the way searchable
    (MAY_EXEC) by uid/gid. Denied(ENOENT | ENOTDIR | EACCES) otherwise."""
    path = normalize(path)
    end = path.find("/", 1)
    while end > 0:  # each directory on the way: /proc, then /proc/driver, ...
        parent = path[:end]
        end = path.find("/", end + 1)
        if mount_of(parent) is None:
            continue  # the host's own directories (/, /sys before sysfs): searchable
        node = _lookup(k, parent)
        if node is None:
            raise Denied(ENOENT)
        if not node.is_dir:
            raise Denied(ENOTDIR)
        if not permission(node, uid, gid, MAY_EXEC):
            raise Denied(EACCES, node)
    node = _lookup(k, path)
    if node is None:
        raise Denied(ENOENT)
    return node


class qstr:
    def __init__(self, name: str) -> None:
        self.name = name


class dentry:
    def __init__(self, name: str) -> None:
        self.d_name = qstr(name)


class path:
    def __init__(self, name: str) -> None:
        self.dentry = dentry(name)


class inode:
    """The little of struct inode a handler uses: i_private (the data the file was made
    with), i_rdev (a device node's number: imajor()/iminor()), i_cdev (a device node's
    cdev, the driver's own object: `container_of(inode.i_cdev, my_dev, "cdev")`), mode and
    owner ids."""

    i_cdev: object = None  # (also for an inode kept from before it had one)

    def __init__(self, node: object) -> None:
        self.i_private = getattr(node, "data", None)
        self.i_size = getattr(node, "size", 0)
        self.i_mode = getattr(node, "mode", 0)
        self.i_uid = getattr(node, "uid", 0)
        self.i_gid = getattr(node, "gid", 0)
        self.i_rdev = getattr(node, "rdev", 0)


class file:
    """struct file: one open of a file. `private_data` is the handler's own."""

    def __init__(self, node: object, flags: int) -> None:
        self.f_flags = flags
        acc = flags & O_ACCMODE
        self.f_mode = (FMODE_READ if acc in (O_RDONLY, O_RDWR) else 0) | (
            FMODE_WRITE if acc in (O_WRONLY, O_RDWR) else 0) | (
            FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE)  # do_dentry_open(): seekable
        self.f_pos = 0
        self.private_data: object = None
        name = getattr(node, "name", None) or str(getattr(node, "path", "")).rsplit("/", 1)[-1]
        self.f_path = path(name)
        self.f_inode = inode(node)


def file_inode(f: file) -> inode:
    return f.f_inode


def kernel_glue(fn: Callable) -> Callable:
    """Mark a kernel function of a file_operations to be called directly even in a module's
    node (it enters the module itself, or runs no module code). Unmarked handlers of a node
    that a module owns run in that module, under the fault catcher: the module's own
    functions, and the kernel's helpers that call back into it (seq_read, single_open)."""
    fn.kernel_glue = True  # type: ignore[attr-defined]
    return fn


def no_handler(fn: Callable) -> Callable:
    """Mark a kernel stand-in for a missing handler (procfs's -EIO read of an entry without
    proc_read): the file can't do that, whoever asks."""
    fn.no_handler = True  # type: ignore[attr-defined]
    return fn


@kernel_glue
def default_llseek(f: file, offset: int, whence: int) -> int:
    """fs/read_write.c default_llseek(): SEEK_SET, SEEK_CUR, SEEK_END (from i_size)."""
    from kmodsim.kernel.errno import EINVAL

    offset = int(offset)
    if whence == SEEK_END:
        offset += f.f_inode.i_size
    elif whence == SEEK_CUR:
        if offset == 0:
            return f.f_pos
        offset += f.f_pos
    elif whence != SEEK_SET:
        return -EINVAL
    if offset < 0:
        return -EINVAL
    if offset != f.f_pos:
        f.f_pos = offset
    return offset


@kernel_glue
def no_llseek(f: file, offset: int, whence: int) -> int:
    from kmodsim.kernel.errno import ESPIPE

    return -ESPIPE


@kernel_glue
def noop_llseek(f: file, offset: int, whence: int) -> int:
    return f.f_pos
