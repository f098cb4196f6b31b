"""sysfs (fs/sysfs/, fs/kernfs/, kernel/params.c's module_sysfs): the tree mounted at /sys.

Its folders and files are the kobjects and attributes modules made (kobject.py; the device
model's classes and devices register theirs here too), and /sys/module/NAME for every loaded
module: `parameters/P` (reading calls the parameter's get, writing its set), refcnt,
initstate, taint, coresize, initsize, holders/, and version and srcversion for a module with
a MODULE_VERSION. The kernel's own built-in folders and modules are not simulated.

Opening a file goes through the file_operations below, the kernel's (kernfs's) own: reading
fills a page with one show() call and serves offsets from it; writing makes one store() call
with the whole write (at most a page).
"""

from __future__ import annotations

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.errno import EACCES, EIO, EPERM
from kmodsim.kernel.kernfs import STATIC_DIRS, SysfsState
from kmodsim.kernel.module import PARAMS, Module, ModuleState
from kmodsim.kernel.panic import PageFault, TaskDied
from kmodsim.kernel.printk import hint, log
from kmodsim.kernel.stacktrace import module_base
from kmodsim.kernel.uaccess import UserPtr, copy_from_user, loff_t, simple_read_from_buffer
from kmodsim.kernel.vfs import S_IFDIR, S_IFLNK, S_IFREG, Node, file_operations, kernel_glue

PAGE_SIZE = 4096
FMODE_READ, FMODE_WRITE = 1, 2
INITSTATE = {"Live": "live", "Loading": "coming", "Unloading": "going"}
MODULE_FILES = {"coresize": 0o444, "initsize": 0o444, "initstate": 0o444, "refcnt": 0o444,
                "taint": 0o444, "uevent": 0o200, "srcversion": 0o444, "version": 0o444}
MODULE_DIRS = ("holders", "notes", "parameters", "sections")


# -- what a file open on sysfs holds --------------------------------------------------------

class SysfsRef:
    """A sysfs file's i_private: which file, and what serves it (`attr`: a module's
    attribute; `param`: a module parameter; `module`: a file of /sys/module/NAME)."""

    __slots__ = ("kind", "path")

    def __init__(self, kind: str, path: str) -> None:
        self.kind = kind
        self.path = path  # relative to /sys

    def __getstate__(self) -> tuple:
        return (self.kind, self.path)

    def __setstate__(self, state: tuple) -> None:
        self.kind, self.path = state

    def __repr__(self) -> str:
        return f"<sysfs {self.kind} /sys/{self.path}>"


def _ref(f: object) -> SysfsRef:
    return f.f_inode.i_private  # type: ignore[attr-defined, no-any-return]


def _gone(k: Kernel, owner: str, path: str, kind: str) -> None:
    """The attribute outlived its module: kobj_attr_show() reads the attribute's show (or
    store) pointer in the module's freed memory."""
    write = kind == "sysfs_write"
    k.task.kind = "sysfs_store_gone" if write else "sysfs_show_gone"
    undo = "device_destroy() and class_destroy()" if path.startswith("class/") \
        else "kobject_put()"
    PageFault(module_base(owner) + 0x3010,
              f"/sys/{path} belongs to module {owner}, which was removed without {undo}: "
              f"its attribute is gone with the module's memory (call {undo.replace('()', '')} "
              f"in the exit function)", access="read",
              rip="kobj_attr_store+0x0/0x20" if write else "kobj_attr_show+0x0/0x20").report(
        k, None, [])
    raise TaskDied()


def _attribute(k: Kernel, path: str, kind: str) -> tuple[Module, object, object] | None:
    state = k.state(SysfsState)
    node = state.get(path)
    if node is None:
        return None
    owner = node[0]
    try:
        lm = k.module(owner)
    except KeyError:
        _gone(k, owner, path, kind)
        raise
    found = state.obj(path, lm)
    if found is None:
        return None
    target, attr = found  # type: ignore[misc]
    return lm, target, attr


def _ops(target: object) -> object:
    """The sysfs_ops of a kobject with a type of its own (kobject_init_and_add), or None."""
    return getattr(getattr(target, "ktype", None), "sysfs_ops", None)


def _page_result(k: Kernel, ret: object, who: str, name: str) -> int:
    """What a show() returned, as sysfs_kf_seq_show() takes it."""
    if ret is None:
        return 0
    if not isinstance(ret, int):
        hint(k, f"kmodsim: hint: {name} returned {type(ret).__name__} {ret!r}: a show function "
                f"returns the byte count (what sysfs_emit returns) or -errno")
        return -EIO
    if ret >= PAGE_SIZE:
        log(k, 4, f"fill_read_buffer: {who} returned bad count\n")
        return PAGE_SIZE - 1
    return ret


def _show(k: Kernel, ref: SysfsRef) -> bytes | int:
    """The file's contents (a page at most), or -errno."""
    if ref.kind == "module":
        return _module_file(k, ref.path)
    page = bytearray(PAGE_SIZE)
    if ref.kind == "param":
        found = _param(k, ref.path)
        if found is None:
            return -EIO
        lm, kp = found
        if kp.ops.get is None:
            return -EPERM
        ret = k.call(lm, "param_read", kp.ops.get, page, kp)
        n = _page_result(k, ret, "param_attr_show+0x0/0x60", getattr(kp.ops.get, "__name__", "get"))
    else:
        found_attr = _attribute(k, ref.path, "sysfs_read")
        if found_attr is None:
            return -EIO
        lm, target, attr = found_attr
        ops = _ops(target)
        if ops is not None:  # the kobject's type's own sysfs_ops get the struct attribute
            show, arg, who = ops.show, getattr(attr, "attr", attr), None
        else:
            show, arg, who = getattr(attr, "show", None), attr, getattr(
                type(attr), "SYSFS_SHOW", "kobj_attr_show+0x0/0x20")
        if show is None:
            return -EIO  # kobj_attr_show() of an attribute without show
        name = getattr(show, "__name__", "show")
        ret = k.call(lm, "sysfs_read", show, target, arg, page)
        n = _page_result(k, ret, who or f"{name}+0x0/0x30 [{lm.name}]", name)
    return n if n < 0 else bytes(page[:n])


def _store(k: Kernel, ref: SysfsRef, data: bytes) -> int:
    if ref.kind == "module":
        return len(data) if ref.path.endswith("/uevent") else -EIO
    if ref.kind == "param":
        found = _param(k, ref.path)
        if found is None:
            return -EIO
        lm, kp = found
        if kp.ops.set is None:
            return -EPERM
        ret = k.call(lm, "param_write", kp.ops.set, data.decode("utf-8", "surrogateescape"), kp)
        ret = 0 if ret is None else ret
        return len(data) if ret == 0 else ret  # type: ignore[return-value]
    found_attr = _attribute(k, ref.path, "sysfs_write")
    if found_attr is None:
        return -EIO
    lm, target, attr = found_attr
    ops = _ops(target)
    store, arg = (ops.store, getattr(attr, "attr", attr)) if ops is not None else (
        getattr(attr, "store", None), attr)
    if store is None:
        return -EIO  # kobj_attr_store() of an attribute without store
    ret = k.call(lm, "sysfs_write", store, target, arg, data, len(data))
    if ret is None:
        return 0
    if not isinstance(ret, int):
        hint(k, f"kmodsim: hint: {getattr(store, '__name__', 'store')} returned "
                f"{type(ret).__name__} {ret!r}: a store function returns the count it took or "
                f"-errno")
        return -EIO
    return ret


# -- the file operations of every sysfs file (fs/kernfs/file.c) -------------------------------

def _has(ref: SysfsRef, op: str) -> bool:
    if ref.kind == "module":
        return (op == "write") == ref.path.endswith("/uevent")
    return True  # kobj_sysfs_ops and module_sysfs_ops have both show and store


@kernel_glue
def sysfs_open(inode: object, f: object) -> int:
    """kernfs_fop_open(): a file without read bits (or a show) can't be opened to read, even
    by root; likewise for writing."""
    ref = _ref(f)
    mode = inode.i_mode  # type: ignore[attr-defined]
    fmode = f.f_mode  # type: ignore[attr-defined]
    if fmode & FMODE_READ and (not mode & 0o444 or not _has(ref, "read")):
        return -EACCES
    if fmode & FMODE_WRITE and (not mode & 0o222 or not _has(ref, "write")):
        return -EACCES
    f.private_data = None  # type: ignore[attr-defined]
    return 0


@kernel_glue
def sysfs_read(f: object, buf: UserPtr, count: int, ppos: loff_t) -> int:
    """A read from offset 0 calls show() once; later reads serve the rest of that page."""
    k = _current.entry()
    page = f.private_data  # type: ignore[attr-defined]
    if ppos.value == 0 or page is None:
        page = _show(k, _ref(f))
        if isinstance(page, int):
            return page
        f.private_data = page  # type: ignore[attr-defined]
    return simple_read_from_buffer(buf, count, ppos, page)


@kernel_glue
def sysfs_write(f: object, buf: UserPtr, count: int, ppos: loff_t) -> int:
    """One store() of the whole write, cut to a page, as kernfs_fop_write_iter() does."""
    k = _current.entry()
    n = min(int(count), PAGE_SIZE)
    data = bytearray(n)
    copy_from_user(data, buf, n)
    ret = _store(k, _ref(f), bytes(data))
    if ret > 0:
        ppos.value += ret
    return ret


SYSFS_FOPS = file_operations(open=sysfs_open, read=sysfs_read, write=sysfs_write)


# -- /sys/module/NAME ---------------------------------------------------------------------------

def _module_row(k: Kernel, name: str) -> tuple | None:
    return k.db.execute("SELECT state, taints, size, modinfo, source FROM modules WHERE name=?",
                        (name,)).fetchone()


def _modinfo(row: tuple) -> dict[str, str]:
    import json

    return {key: value for key, value in json.loads(row[3] or "[]")}


def _params(k: Kernel, name: str) -> dict:
    """The module's parameters that have a file (a permission other than 0)."""
    try:
        lm = k.module(name)
    except KeyError:
        return {}
    return {p: kp for p, kp in lm.ns.get(PARAMS, {}).items() if kp.perm}


def _param(k: Kernel, path: str) -> tuple[Module, object] | None:
    _, name, _, param = path.split("/", 3)
    kp = _params(k, name).get(param)
    return None if kp is None else (k.module(name), kp)


def _module_listing(k: Kernel, name: str) -> list[str] | None:
    row = _module_row(k, name)
    if row is None:
        return None
    names = ["coresize", "holders", "initsize", "initstate", "notes", "refcnt", "sections",
             "taint", "uevent"]
    if _params(k, name):
        names.append("parameters")
    if "version" in _modinfo(row):
        names += ["srcversion", "version"]
    return sorted(names)


def _module_file(k: Kernel, path: str) -> bytes | int:
    _, name, file = path.split("/", 2)
    row = _module_row(k, name)
    if row is None:
        return -EIO
    state, taints, size, _, source = row
    if file == "refcnt":
        text = f"{k.state(ModuleState).refcnt(name)}"
    elif file == "initstate":
        live = k.live.get(name)
        text = INITSTATE.get(live.state if live else state, "live")
    elif file == "taint":
        live = k.live.get(name)
        text = live.taints if live else taints
    elif file == "coresize":
        text = str(size)
    elif file == "initsize":
        text = "0"
    elif file == "version":
        text = _modinfo(row).get("version", "")
    elif file == "srcversion":
        import hashlib

        raw = source if isinstance(source, bytes) else str(source).encode()
        text = hashlib.md5(raw).hexdigest().upper()[:23]  # as modinfo shows it
    else:
        return -EIO
    return f"{text}\n".encode()


def _module_lookup(k: Kernel, rel: str) -> Node | None:
    parts = rel.split("/")
    if len(parts) == 1:
        return _dir(rel)
    listing = _module_listing(k, parts[1])
    if listing is None:
        return None
    if len(parts) == 2:
        return _dir(rel)
    what = parts[2]
    if what not in listing:
        return None
    if what in MODULE_DIRS:
        if len(parts) == 3:
            return _dir(rel)
        if len(parts) == 4 and what == "parameters":
            kp = _params(k, parts[1]).get(parts[3])
            if kp is not None:
                return _file(rel, kp.perm, SysfsRef("param", rel))
        if len(parts) == 4 and what == "holders" and \
                parts[3] in k.state(ModuleState).holders(parts[1]):
            return Node(f"/sys/{rel}", S_IFLNK | 0o777)
        return None
    if len(parts) == 3:
        return _file(rel, MODULE_FILES[what], SysfsRef("module", rel))
    return None


def _module_listdir(k: Kernel, rel: str) -> list[str] | None:
    parts = rel.split("/")
    if len(parts) == 1:
        return [row[0] for row in k.state(ModuleState).listing()]
    listing = _module_listing(k, parts[1])
    if listing is None:
        return None
    if len(parts) == 2:
        return listing
    if len(parts) == 3 and parts[2] in MODULE_DIRS and parts[2] in listing:
        if parts[2] == "parameters":
            return sorted(_params(k, parts[1]))
        if parts[2] == "holders":
            return sorted(k.state(ModuleState).holders(parts[1]))
        return []
    return None


# -- the tree -----------------------------------------------------------------------------------

def _dir(rel: str) -> Node:
    return Node(f"/sys/{rel}" if rel else "/sys", S_IFDIR | 0o755)


def _file(rel: str, mode: int, ref: SysfsRef) -> Node:
    return Node(f"/sys/{rel}", S_IFREG | (mode & 0o7777), SYSFS_FOPS, data=ref, size=PAGE_SIZE)


class SysfsTree:
    """The vfs's view of /sys (paths relative to it)."""

    def lookup(self, k: Kernel, rel: str) -> Node | None:
        if rel in STATIC_DIRS:
            return _dir(rel)
        if rel == "module" or rel.startswith("module/"):
            return _module_lookup(k, rel)
        node = k.state(SysfsState).get(rel)
        if node is None:
            return None
        _, is_dir, mode = node
        return _dir(rel) if is_dir else _file(rel, mode, SysfsRef("attr", rel))

    def listdir(self, k: Kernel, rel: str) -> list[str] | None:
        if rel == "module" or rel.startswith("module/"):
            return _module_listdir(k, rel)
        state = k.state(SysfsState)
        if not state.is_dir(rel):
            return None
        return sorted(set(STATIC_DIRS.get(rel, [])) | set(state.children(rel)))


TREE = SysfsTree()
