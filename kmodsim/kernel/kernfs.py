"""The nodes of a tree modules build at run time (sysfs's kernfs, debugfs): which paths exist,
who made them, their mode; and the kernel objects behind each file, kept with the memory of
the module that made it.

The index (path -> owner, is_dir, mode) is a slice of the machine-wide values, so listing a
folder runs no module code. The objects (a kobject and its attribute, a debugfs file's
operations) are the module's: they live in its `objects`, pickled with its memory, so the
attribute a handler receives is the very object the module's variable holds.
"""

from __future__ import annotations

import json

from kmodsim.kernel import _current
from kmodsim.kernel._current import State
from kmodsim.kernel.module import Module


class NodeIndex(State):
    """One tree's nodes. Paths are relative to the mount point ('kernel/hello/foo')."""

    PREFIX = ""
    OBJECTS = ""  # the key of the module's `objects` that holds this tree's objects

    def __init__(self, k: object) -> None:
        super().__init__(k)  # type: ignore[arg-type]
        self._nodes: dict[str, list] | None = None
        self._dirty = False

    @property
    def nodes(self) -> dict[str, list]:
        """path -> [owner, is_dir, mode]."""
        if self._nodes is None:
            self._nodes = json.loads(str(self.var("nodes", "{}")))
        return self._nodes

    def get(self, path: str) -> tuple[str, bool, int] | None:
        node = self.nodes.get(path)
        return None if node is None else (node[0], bool(node[1]), int(node[2]))

    def add(self, path: str, is_dir: bool, mode: int, obj: object = None,
            lm: Module | None = None) -> None:
        """Record a node made by `lm` (default: the module running); `obj` is what its file
        operations need, kept in the module's objects."""
        lm = lm or _current.module()
        owner = lm.name if lm is not None else ""
        self.nodes[path] = [owner, int(is_dir), mode]
        self._dirty = True
        if lm is not None and obj is not None:
            lm.objects_of(self.OBJECTS)[path] = obj

    def remove(self, path: str, recursive: bool = True) -> list[str]:
        """Forget `path` (and everything under it); the paths removed."""
        gone = [p for p in self.nodes if p == path or (recursive and p.startswith(path + "/"))]
        for p in gone:
            owner = self.nodes.pop(p)[0]
            lm = self.k.live.get(owner)
            if lm is not None:
                lm.objects_of(self.OBJECTS).pop(p, None)
        if gone:
            self._dirty = True
        return gone

    def children(self, path: str) -> list[str]:
        """The names directly under folder `path` ('' is the top)."""
        prefix = path + "/" if path else ""
        return sorted({p[len(prefix):].split("/", 1)[0] for p in self.nodes
                       if p.startswith(prefix) and p != path})

    def obj(self, path: str, lm: Module) -> object:
        return lm.objects_of(self.OBJECTS).get(path)

    def save(self) -> None:
        if self._dirty:
            self.set_var("nodes", json.dumps(self.nodes, sort_keys=True))
            self._dirty = False


# -- sysfs's nodes (the tree itself, and /sys/module, are kernel/sysfs.py) -------------------

# the kernel's own folders: the top of /sys, and those a module may hang kobjects under
STATIC_DIRS = {"": ["block", "bus", "class", "dev", "devices", "firmware", "fs", "hypervisor",
                    "kernel", "module", "power"],
               "kernel": ["mm"], "kernel/mm": [], "block": [], "bus": [], "class": [],
               "dev": [], "devices": [], "firmware": [], "fs": [], "hypervisor": [],
               "power": []}


class SysfsState(NodeIndex):
    """The folders and attribute files modules made under /sys."""

    PREFIX = "sysfs"
    OBJECTS = "sysfs"

    def exists(self, path: str) -> bool:
        return path in STATIC_DIRS or path == "module" or path.startswith("module/") \
            or path in self.nodes

    def is_dir(self, path: str) -> bool:
        if path in STATIC_DIRS:
            return True
        node = self.get(path)
        return node is not None and node[1]


def sysfs_add_dir(path: str, obj: object = None) -> bool:
    """A folder /sys/PATH of the running module (the device model's classes and devices
    use it); False if the name is taken."""
    state = _current.entry().state(SysfsState)
    if state.exists(path):
        return False
    state.add(path, True, 0o755, obj)
    return True


def sysfs_add_attr(path: str, target: object, attr: object, mode: int) -> bool:
    """An attribute file /sys/PATH of the running module: reading calls
    `attr.show(target, attr, buf)`, writing `attr.store(target, attr, buf, count)` (a
    device_attribute on its device, ...); False if the name is taken."""
    state = _current.entry().state(SysfsState)
    if state.exists(path):
        return False
    state.add(path, False, mode & 0o7777, (target, attr))
    return True


def sysfs_remove_path(path: str) -> None:
    """Remove /sys/PATH and everything under it."""
    _current.entry().state(SysfsState).remove(path)
