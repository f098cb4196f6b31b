"""The VFS's view of the simulated trees (fs/namei.c, include/linux/fs.h): every file a
user program can open (/proc, /dev, /sys, /sys/kernel/debug) is a Node found by path, and
every open of it goes through its `struct file_operations`.

Each tree is a subsystem of its own (procfs, chardev, sysfs, debugfs); it mounts here by
name and is imported only when a path under its mount point is looked up, so a command that
never touches /sys never imports sysfs.

Handlers in a file_operations are either the module's own functions (run under the fault
catcher, in the module that owns the node) or the kernel's (functions defined in kmodsim,
such as sysfs's show/store glue or /proc/modules, called directly; they reach module code
through the kernel entry themselves).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kmodsim.kernel._current import Kernel

S_IFMT, S_IFDIR, S_IFCHR, S_IFREG, S_IFLNK = 0o170000, 0o040000, 0o020000, 0o100000, 0o120000


class file_operations:
    """struct file_operations: a file's handlers; unset ones are None. Module code builds one
    with keywords, as C's designated initializers (`file_operations(read=dev_read, ...)`)."""

    __slots__ = ("owner", "open", "release", "read", "write", "llseek", "unlocked_ioctl",
                 "compat_ioctl", "poll")

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
        return tuple(getattr(self, k) for k in self.__slots__)

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


def normalize(path: str) -> str:
    """An absolute path without '.', '..', or repeated and trailing slashes."""
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


def mount_of(path: str) -> str | None:
    """The mount point whose tree holds `path` (normalized), or None (not simulated)."""
    best = None
    for point in MOUNTS:
        if (path == point or path.startswith(point + "/")) and (
                best is None or len(point) > len(best)):
            best = point
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
    return tree(point), path[len(point):].lstrip("/")


def lookup(k: Kernel, path: str) -> Node | None:
    """The node at absolute `path`, or None if there is none."""
    path = normalize(path)
    found = _split(path)
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
