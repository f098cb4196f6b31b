"""debugfs (fs/debugfs/, fs/libfs.c's simple_attr): the tree mounted at /sys/kernel/debug.

    dir = debugfs_create_dir("hello", None)
    debugfs_create_u32("counter", 0o644, dir, "counter")   # &counter: the variable's name
    debugfs_create_file("status", 0o444, dir, None, status_fops)
    ...
    debugfs_remove(dir)                                      # in the exit function

debugfs_create_u8/u16/u32/u64/x8/x16/x32/x64/size_t/bool read and write a variable of the
module: pass its name (C's `&counter`), or an object with a `.value` (an attribute of one
of the module's objects is out of reach; keep the value in a variable). Reading one formats
the value as the kernel does (`%llu\\n`, `0x%08llx\\n`, `Y\\n`); writing parses it with
kstrtoull (base 0: 0x10 is 16) and cuts it to the variable's width.

Only what modules made is listed: the kernel's own debugfs folders are not simulated. The
mount point is 0700, root's alone, as a mounted debugfs is.
"""

from __future__ import annotations

from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.errno import EACCES, EEXIST, EINVAL, ENOENT
from kmodsim.kernel.kernfs import NodeIndex
from kmodsim.kernel.kstrtox import kstrtobool, kstrtoull
from kmodsim.kernel.module import Module
from kmodsim.kernel.panic import PageFault, TaskDied
from kmodsim.kernel.printk import log
from kmodsim.kernel.stacktrace import module_base
from kmodsim.kernel.uaccess import UserPtr, copy_from_user, loff_t, simple_read_from_buffer
from kmodsim.kernel.vfs import S_IFDIR, S_IFMT, S_IFREG, Node, file_operations, kernel_glue

# the value files: how wide the variable is, and how a read prints it
VALUE_FORMATS = {"u8": (8, "%d\n"), "u16": (16, "%d\n"), "u32": (32, "%d\n"),
                 "u64": (64, "%d\n"), "size_t": (64, "%d\n"),
                 "x8": (8, "0x%02x\n"), "x16": (16, "0x%04x\n"), "x32": (32, "0x%08x\n"),
                 "x64": (64, "0x%016x\n")}
SET_BUF = 24  # simple_attr's set_buf: a write is cut to 23 bytes


class DebugfsState(NodeIndex):
    """The folders and files modules made under /sys/kernel/debug."""

    PREFIX = "debugfs"
    OBJECTS = "debugfs"

    def is_dir(self, path: str) -> bool:
        if path == "":
            return True
        node = self.get(path)
        return node is not None and node[1]


def _state() -> DebugfsState:
    return _current.entry().state(DebugfsState)


class dentry:
    """The `struct dentry *` debugfs hands back: a folder or file of /sys/kernel/debug."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path  # relative to /sys/kernel/debug

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def __getstate__(self) -> str:
        return self.path

    def __setstate__(self, state: str) -> None:
        self.path = state

    def __repr__(self) -> str:
        return f"<dentry /sys/kernel/debug/{self.path}>"


class debugfs_blob_wrapper:
    """struct debugfs_blob_wrapper: `data` (bytes, a bytearray or a str) and its `size`."""

    __slots__ = ("data", "size")

    def __init__(self, data: object = b"", size: int | None = None) -> None:
        self.data = data
        self.size = len(data) if size is None else int(size)  # type: ignore[arg-type]


class _File:
    """What serves a debugfs file: a module's file_operations and data (`fops`), or one of
    the kernel's value files (`kind`: u32, bool, blob ...) over a variable or an object."""

    __slots__ = ("kind", "fops", "data", "var")

    def __init__(self, kind: str, fops: object = None, data: object = None,
                 var: object = None) -> None:
        self.kind = kind
        self.fops = fops
        self.data = data
        self.var = var  # the variable's name, or an object with .value (a blob: the wrapper)


def _create(name: str, mode: int, parent: object, obj: _File, is_dir: bool) -> dentry | int:
    if isinstance(parent, int) and not isinstance(parent, bool) and parent < 0:
        return parent  # an ERR_PTR parent: its error
    if not isinstance(name, str) or not name or "/" in name:
        raise TypeError(f"debugfs: a file's name is a str without '/', not {name!r}")
    if parent is not None and not isinstance(parent, dentry):
        raise TypeError(f"debugfs: the parent is a dentry debugfs_create_dir returned, or None "
                        f"(NULL: the top), not {type(parent).__name__}")
    state = _state()
    folder = parent.path if parent is not None else ""
    if folder and not state.is_dir(folder):
        return -ENOENT
    path = f"{folder}/{name}" if folder else name
    existing = state.get(path)
    if existing is not None:
        parent_name = parent.name if parent is not None else "/"
        if existing[1]:
            log(_current.entry(), 3, f"debugfs: Directory '{name}' with parent '{parent_name}' "
                                     f"already present!\n")
        else:
            log(_current.entry(), 3, f"debugfs: File '{name}' in directory '{parent_name}' "
                                     f"already present!\n")
        return -EEXIST
    state.add(path, is_dir, mode, obj)
    return dentry(path)


def debugfs_create_dir(name: str, parent: dentry | None) -> dentry | int:
    """A folder /sys/kernel/debug/[parent/]name; ERR_PTR(-EEXIST) if the name is taken."""
    return _create(name, 0o755, parent, _File("dir"), True)


def _file_mode(mode: int) -> int:
    mode = int(mode)
    return mode & 0o7777 if mode & S_IFMT in (0, S_IFREG) else mode & 0o7777


def debugfs_create_file(name: str, mode: int, parent: dentry | None, data: object,
                        fops: file_operations) -> dentry | int:
    """A file served by the module's file_operations; `data` is its inode's i_private."""
    if fops is not None and not any(hasattr(fops, op) for op in ("read", "write", "open")):
        raise TypeError("debugfs_create_file: fops must be a file_operations(read=..., ...) "
                        "(or what DEFINE_SHOW_ATTRIBUTE makes)")
    return _create(name, _file_mode(mode), parent, _File("fops", fops, data), False)


debugfs_create_file_unsafe = debugfs_create_file


def _value_file(kind: str, name: str, mode: int, parent: dentry | None, value: object
                ) -> dentry | int:
    if isinstance(value, str):
        lm = _current.module()
        if lm is not None and value not in lm.ns:
            raise NameError(f"debugfs_create_{kind}({name!r}, ...): the module has no variable "
                            f"named {value!r} (pass the variable's name: C's &{value})")
    elif not hasattr(value, "value"):
        raise TypeError(f"debugfs_create_{kind}({name!r}, ...): pass the variable's name as a "
                        f"string (C's &var), not {type(value).__name__}")
    return _create(name, _file_mode(mode), parent, _File(kind, var=value), False)


def debugfs_create_u8(name: str, mode: int, parent: dentry | None, value: object) -> None:
    _value_file("u8", name, mode, parent, value)


def debugfs_create_u16(name: str, mode: int, parent: dentry | None, value: object) -> None:
    _value_file("u16", name, mode, parent, value)


def debugfs_create_u32(name: str, mode: int, parent: dentry | None, value: object) -> None:
    """/sys/kernel/debug/[parent/]name shows the variable (`%llu`) and sets it."""
    _value_file("u32", name, mode, parent, value)


def debugfs_create_u64(name: str, mode: int, parent: dentry | None, value: object) -> None:
    _value_file("u64", name, mode, parent, value)


def debugfs_create_x8(name: str, mode: int, parent: dentry | None, value: object) -> None:
    _value_file("x8", name, mode, parent, value)


def debugfs_create_x16(name: str, mode: int, parent: dentry | None, value: object) -> None:
    _value_file("x16", name, mode, parent, value)


def debugfs_create_x32(name: str, mode: int, parent: dentry | None, value: object) -> None:
    _value_file("x32", name, mode, parent, value)


def debugfs_create_x64(name: str, mode: int, parent: dentry | None, value: object) -> None:
    _value_file("x64", name, mode, parent, value)


def debugfs_create_size_t(name: str, mode: int, parent: dentry | None, value: object) -> None:
    _value_file("size_t", name, mode, parent, value)


def debugfs_create_bool(name: str, mode: int, parent: dentry | None, value: object) -> None:
    """Shows `Y` or `N`; a write of y/n/1/0/on/off sets it (anything else is ignored)."""
    _value_file("bool", name, mode, parent, value)


def debugfs_create_blob(name: str, mode: int, parent: dentry | None,
                        blob: debugfs_blob_wrapper) -> dentry | int:
    """A read-only file of the blob's `size` bytes of `data`."""
    if not isinstance(blob, debugfs_blob_wrapper):
        raise TypeError("debugfs_create_blob: pass a debugfs_blob_wrapper(data=..., size=...)")
    return _create(name, _file_mode(mode) & 0o644, parent, _File("blob", var=blob), False)


def debugfs_remove(d: object) -> None:
    """Remove the file, or the folder and everything in it (as 6.1 does for both)."""
    if d is None or not isinstance(d, dentry):
        return  # NULL or an ERR_PTR: nothing to do
    _state().remove(d.path)


debugfs_remove_recursive = debugfs_remove


def debugfs_lookup(name: str, parent: dentry | None) -> dentry | None:
    folder = parent.path if parent is not None else ""
    path = f"{folder}/{name}" if folder else name
    return dentry(path) if _state().get(path) is not None else None


def debugfs_initialized() -> bool:
    return True


def simple_open(inode: object, f: object) -> int:
    """fs/libfs.c simple_open(): the file's private_data is the inode's i_private (the data
    debugfs_create_file was given)."""
    private = getattr(inode, "i_private", None)
    if private is not None:
        f.private_data = private  # type: ignore[attr-defined]
    return 0


# -- DEFINE_DEBUGFS_ATTRIBUTE: a file of one number, through the module's get and set -------

class simple_attr:
    """fs/libfs.c's struct simple_attr: the open file's get, set, format and data."""

    __slots__ = ("get", "set", "fmt", "data", "text")

    def __init__(self, get: Callable | None, set: Callable | None, fmt: str,  # noqa: A002
                 data: object) -> None:
        self.get = get
        self.set = set
        self.fmt = fmt
        self.data = data
        self.text = b""

    def __getstate__(self) -> tuple:
        return (self.get, self.set, self.fmt, self.data, self.text)

    def __setstate__(self, state: tuple) -> None:
        self.get, self.set, self.fmt, self.data, self.text = state


class _SimpleAttrOpen:
    __slots__ = ("get", "set", "fmt")

    def __init__(self, get: Callable | None, set: Callable | None, fmt: str) -> None:  # noqa: A002
        self.get = get
        self.set = set
        self.fmt = fmt

    def __call__(self, inode: object, f: object) -> int:
        f.private_data = simple_attr(self.get, self.set, self.fmt,  # type: ignore[attr-defined]
                                     inode.i_private)  # type: ignore[attr-defined]
        return 0

    def __getstate__(self) -> tuple:
        return (self.get, self.set, self.fmt)

    def __setstate__(self, state: tuple) -> None:
        self.get, self.set, self.fmt = state


def simple_attr_read(f: object, buf: UserPtr, count: int, ppos: loff_t) -> int:
    """A read from offset 0 calls get(data), which returns (0, value) or (-errno, ...)."""
    attr: simple_attr = f.private_data  # type: ignore[attr-defined]
    if attr.get is None:
        return -EACCES
    if ppos.value == 0 or not attr.text:
        got = attr.get(attr.data)
        err, value = (got if isinstance(got, tuple) else (0, got))
        if err:
            return int(err)
        from kmodsim.kernel.cformat import format_c

        attr.text = format_c(attr.fmt, (value,)).encode()[: SET_BUF - 1]
    return simple_read_from_buffer(buf, count, ppos, attr.text)


def simple_attr_write(f: object, buf: UserPtr, count: int, ppos: loff_t) -> int:
    """One set(data, value) of the number written (kstrtoull, base 0); the count taken."""
    attr: simple_attr = f.private_data  # type: ignore[attr-defined]
    if attr.set is None:
        return -EACCES
    size = min(SET_BUF - 1, int(count))
    raw = bytearray(size)
    if copy_from_user(raw, buf, size):
        return -14
    err, value = kstrtoull(bytes(raw), 0)
    if err:
        return err
    ret = attr.set(attr.data, value)
    return int(ret) if ret else int(count)


def simple_attr_release(inode: object, f: object) -> int:
    f.private_data = None  # type: ignore[attr-defined]
    return 0


def DEFINE_DEBUGFS_ATTRIBUTE(get: Callable | None, set: Callable | None,  # noqa: A002
                             fmt: str) -> file_operations:
    """`DEFINE_DEBUGFS_ATTRIBUTE(foo_fops, foo_get, foo_set, "%llu\\n")`:
    `foo_fops = DEFINE_DEBUGFS_ATTRIBUTE(foo_get, foo_set, "%llu\\n")`. C's get(data, &val)
    is `def foo_get(data): return 0, value`; set is `def foo_set(data, val): ...; return 0`."""
    return file_operations(open=_SimpleAttrOpen(get, set, fmt), read=simple_attr_read,
                           write=simple_attr_write, release=simple_attr_release)


DEFINE_SIMPLE_ATTRIBUTE = DEFINE_DEBUGFS_ATTRIBUTE


# -- the value files' file operations (kernel code: fs/debugfs/file.c) ------------------------

class DebugfsRef:
    """A value file's i_private: which file it is."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __getstate__(self) -> str:
        return self.path

    def __setstate__(self, state: str) -> None:
        self.path = state


def _value_of(k: Kernel, path: str, access: str) -> tuple[Module, _File]:
    state = k.state(DebugfsState)
    node = state.get(path)
    owner = node[0] if node else ""
    try:
        lm = k.module(owner)
    except KeyError:
        address = module_base(owner) + 0x3000
        PageFault(address, f"/sys/kernel/debug/{path} shows a variable of module {owner}, "
                           f"which was removed without debugfs_remove(): the variable is gone "
                           f"with it (call debugfs_remove in the exit function)",
                  access=access, rip="debugfs_u32_get+0x9/0x20").report(k, None, [])
        raise TaskDied() from None
    return lm, state.obj(path, lm)  # type: ignore[return-value]


def _get(lm: Module, obj: _File) -> object:
    if isinstance(obj.var, str):
        return lm.ns.get(obj.var, 0)
    return obj.var.value  # type: ignore[union-attr]


def _set(lm: Module, obj: _File, value: object) -> None:
    lm.dirty = True  # the module's memory changed: it is saved at the end of the entry
    if isinstance(obj.var, str):
        lm.ns[obj.var] = value
    else:
        obj.var.value = value  # type: ignore[union-attr]


def _render(lm: Module, obj: _File) -> bytes:
    if obj.kind == "blob":
        blob: debugfs_blob_wrapper = obj.var  # type: ignore[assignment]
        data = blob.data.encode() if isinstance(blob.data, str) else bytes(blob.data)  # type: ignore[arg-type]
        return data[: blob.size]
    value = _get(lm, obj)
    if obj.kind == "bool":
        return b"Y\n" if value else b"N\n"
    bits, fmt = VALUE_FORMATS[obj.kind]
    return (fmt % (int(value) & ((1 << bits) - 1))).encode()  # type: ignore[call-overload]


@kernel_glue
def debugfs_value_open(inode: object, f: object) -> int:
    f.private_data = None  # type: ignore[attr-defined]
    return 0


@kernel_glue
def debugfs_value_read(f: object, buf: UserPtr, count: int, ppos: loff_t) -> int:
    """simple_attr_read() (a value), debugfs_read_file_bool(), read_file_blob()."""
    k = _current.entry()
    path = f.f_inode.i_private.path  # type: ignore[attr-defined]
    if ppos.value == 0 or f.private_data is None:  # type: ignore[attr-defined]
        lm, obj = _value_of(k, path, "read")
        if obj.kind not in ("bool", "blob") and not f.f_inode.i_mode & 0o444:  # type: ignore[attr-defined]
            return -EACCES  # fops_*_wo: no get
        f.private_data = _render(lm, obj)  # type: ignore[attr-defined]
    return simple_read_from_buffer(buf, count, ppos, f.private_data)  # type: ignore[attr-defined]


@kernel_glue
def debugfs_value_write(f: object, buf: UserPtr, count: int, ppos: loff_t) -> int:
    """simple_attr_write() (kstrtoull, base 0, cut to the width), or a bool's write."""
    k = _current.entry()
    lm, obj = _value_of(k, f.f_inode.i_private.path, "write")  # type: ignore[attr-defined]
    writable = f.f_inode.i_mode & 0o222  # type: ignore[attr-defined]
    if obj.kind == "blob" or (obj.kind == "bool" and not writable):
        return -EINVAL  # no write operation at all
    if not writable:
        return -EACCES  # fops_*_ro: no set
    if obj.kind == "bool":
        raw = bytearray(min(int(count), 32))
        copy_from_user(raw, buf, len(raw))
        err, value = kstrtobool(bytes(raw))
        if not err:
            _set(lm, obj, bool(value))
        return int(count)  # debugfs_write_file_bool() takes everything, valid or not
    size = min(SET_BUF - 1, int(count))
    raw = bytearray(size)
    copy_from_user(raw, buf, size)
    err, value = kstrtoull(bytes(raw), 0)
    if err:
        return err
    bits = VALUE_FORMATS[obj.kind][0]
    _set(lm, obj, int(value) & ((1 << bits) - 1))
    return int(count)


VALUE_FOPS = file_operations(open=debugfs_value_open, read=debugfs_value_read,
                             write=debugfs_value_write)


# -- the tree -------------------------------------------------------------------------------------

class DebugfsTree:
    """The vfs's view of /sys/kernel/debug (paths relative to it)."""

    def lookup(self, k: Kernel, rel: str) -> Node | None:
        where = f"/sys/kernel/debug/{rel}" if rel else "/sys/kernel/debug"
        if rel == "":
            return Node(where, S_IFDIR | 0o700)
        state = k.state(DebugfsState)
        node = state.get(rel)
        if node is None:
            return None
        owner, is_dir, mode = node
        if is_dir:
            return Node(where, S_IFDIR | 0o755)
        try:
            lm = k.module(owner)
        except KeyError:  # the module is gone: opening the file finds its code gone too
            return Node(where, S_IFREG | mode, VALUE_FOPS, owner=owner, data=DebugfsRef(rel))
        obj = state.obj(rel, lm)
        if isinstance(obj, _File) and obj.kind == "fops":
            return Node(where, S_IFREG | mode, obj.fops, owner=owner, data=obj.data)  # type: ignore[arg-type]
        return Node(where, S_IFREG | mode, VALUE_FOPS, data=DebugfsRef(rel))

    def listdir(self, k: Kernel, rel: str) -> list[str] | None:
        state = k.state(DebugfsState)
        if not state.is_dir(rel):
            return None
        return state.children(rel)


TREE = DebugfsTree()

__all__ = ["DEFINE_DEBUGFS_ATTRIBUTE", "DEFINE_SIMPLE_ATTRIBUTE", "debugfs_blob_wrapper",
           "debugfs_create_blob", "debugfs_create_bool", "debugfs_create_dir",
           "debugfs_create_file", "debugfs_create_file_unsafe", "debugfs_create_size_t",
           "debugfs_create_u8", "debugfs_create_u16", "debugfs_create_u32",
           "debugfs_create_u64", "debugfs_create_x8", "debugfs_create_x16",
           "debugfs_create_x32", "debugfs_create_x64", "debugfs_initialized",
           "debugfs_lookup", "debugfs_remove", "debugfs_remove_recursive", "simple_attr_read",
           "simple_open",
           "simple_attr_release", "simple_attr_write"]
