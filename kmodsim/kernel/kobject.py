"""kobjects and their sysfs attributes (lib/kobject.c, fs/sysfs/file.c, fs/sysfs/group.c,
include/linux/sysfs.h): the API a module uses to put folders and files under /sys.

    def foo_show(kobj, attr, buf):                 # ssize_t foo_show(struct kobject *kobj,
        return sysfs_emit(buf, "%d\\n", foo)        #   struct kobj_attribute *attr, char *buf)
    def foo_store(kobj, attr, buf, count):         # buf: the bytes written (a NUL after)
        global foo
        err, foo = kstrtoint(buf, 10)
        return err if err else count
    foo_attribute = __ATTR_RW(foo)                 # foo_show and foo_store, mode 0644
    attr_group = attribute_group(attrs=[foo_attribute.attr])
    ...
    example_kobj = kobject_create_and_add("example", kernel_kobj)
    retval = sysfs_create_group(example_kobj, attr_group)

show() fills `buf` (a page: a bytearray of PAGE_SIZE bytes) and returns the count; store()
gets the whole write (at most a page) at once and returns the count it took, or -errno.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel.cformat import format_c
from kmodsim.kernel.errno import EEXIST, EINVAL
from kmodsim.kernel.kernfs import SysfsState
from kmodsim.kernel.params import VERIFY_OCTAL_PERMISSIONS
from kmodsim.kernel.printk import log, log_lines
from kmodsim.kernel.stacktrace import dump_stack, live_frames

PAGE_SIZE = 4096


class attribute:
    """struct attribute: a file's name and mode. `container` is the kobj_attribute (or
    device_attribute) it is the `.attr` of, which C reaches with container_of()."""

    __slots__ = ("name", "mode", "container")

    def __init__(self, name: str = "", mode: int = 0o444) -> None:
        self.name = name
        self.mode = mode
        self.container: object = None

    def __repr__(self) -> str:
        return f"<attribute {self.name}>"


class kobj_attribute:
    """struct kobj_attribute: `attr` (name and mode), `show(kobj, attr, buf)` and
    `store(kobj, attr, buf, count)`."""

    __slots__ = ("attr", "show", "store")

    def __init__(self, attr: attribute | None = None, show: Callable | None = None,
                 store: Callable | None = None) -> None:
        self.attr = attr if attr is not None else attribute()
        self.attr.container = self
        self.show = show
        self.store = store

    def __repr__(self) -> str:
        return f"<kobj_attribute {self.attr.name}>"


def __ATTR(name: str, mode: int, show: Callable | None, store: Callable | None
           ) -> kobj_attribute:
    """`__ATTR("foo", 0o664, foo_show, foo_store)`: a kobj_attribute named foo (C's macro
    makes the name a string; here it is one)."""
    _check_name(name, "__ATTR")
    VERIFY_OCTAL_PERMISSIONS(mode, f"__ATTR({name}, ...)")
    return kobj_attribute(attribute(str(name), int(mode)), show, store)


def _check_name(name: object, macro: str) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"{macro}: the attribute's name is a string (C's macro stringifies "
                        f"it): {macro}(\"foo\", ...), not {macro}({name!r}, ...)")


def _named(ns: dict, name: str, suffix: str, macro: str) -> Callable:
    _check_name(name, macro)
    fn = ns.get(f"{name}_{suffix}")
    if not callable(fn):
        raise NameError(f"{macro}({name}) uses the function {name}_{suffix}, which is not "
                        f"defined above it")
    return fn


def __ATTR_RO(name: str) -> kobj_attribute:
    """`__ATTR_RO(foo)`: mode 0444, shown by foo_show (defined above, as in C)."""
    return __ATTR(name, 0o444, _named(sys._getframe(1).f_globals, name, "show", "__ATTR_RO"),
                  None)


def __ATTR_RO_MODE(name: str, mode: int) -> kobj_attribute:
    return __ATTR(name, mode, _named(sys._getframe(1).f_globals, name, "show",
                                     "__ATTR_RO_MODE"), None)


def __ATTR_WO(name: str) -> kobj_attribute:
    """`__ATTR_WO(foo)`: mode 0200, written through foo_store."""
    return __ATTR(name, 0o200, None, _named(sys._getframe(1).f_globals, name, "store",
                                            "__ATTR_WO"))


def __ATTR_RW(name: str) -> kobj_attribute:
    """`__ATTR_RW(foo)`: mode 0644, foo_show and foo_store."""
    ns = sys._getframe(1).f_globals
    return __ATTR(name, 0o644, _named(ns, name, "show", "__ATTR_RW"),
                  _named(ns, name, "store", "__ATTR_RW"))


def __ATTR_RW_MODE(name: str, mode: int) -> kobj_attribute:
    ns = sys._getframe(1).f_globals
    return __ATTR(name, mode, _named(ns, name, "show", "__ATTR_RW_MODE"),
                  _named(ns, name, "store", "__ATTR_RW_MODE"))


class attribute_group:
    """struct attribute_group: `attrs` (a list of attributes: `foo_attribute.attr`, or the
    kobj_attributes themselves) and, if `name` is given, the subfolder they go in."""

    __slots__ = ("name", "attrs", "is_visible")

    def __init__(self, attrs: list | None = None, name: str | None = None,
                 is_visible: Callable | None = None) -> None:
        self.name = name
        self.attrs = attrs if attrs is not None else []
        self.is_visible = is_visible


class sysfs_ops:
    """struct sysfs_ops: `show(kobj, attr, buf)` and `store(kobj, attr, buf, count)` of every
    file of a kobject of this type; `attr` is the struct attribute (container_of finds the
    module's own attribute struct around it)."""

    __slots__ = ("show", "store")

    def __init__(self, show: Callable | None = None, store: Callable | None = None) -> None:
        self.show = show
        self.store = store


class kobj_type:
    """struct kobj_type: `release(kobj)` (called when the last reference goes),
    `sysfs_ops`, and `default_groups` (attribute groups every kobject of the type gets)."""

    __slots__ = ("release", "sysfs_ops", "default_groups")

    def __init__(self, release: Callable | None = None, sysfs_ops: sysfs_ops | None = None,
                 default_groups: list | None = None) -> None:
        self.release = release
        self.sysfs_ops = sysfs_ops
        self.default_groups = default_groups


class kobject:
    """struct kobject: a folder of /sys. `path` is where (relative to /sys)."""

    __slots__ = ("name", "parent", "refcount", "state_in_sysfs", "ktype")

    def __init__(self, name: str = "", parent: kobject | None = None) -> None:
        self.name = name
        self.parent = parent
        self.refcount = 1  # kref_init()
        self.state_in_sysfs = False
        self.ktype: kobj_type | None = None  # None: kobject_create_and_add's (kobj_attribute)

    @property
    def path(self) -> str:
        return f"{self.parent.path}/{self.name}" if self.parent is not None else self.name

    def __repr__(self) -> str:
        return f"<kobject /sys/{self.path}>"


class _KernelKobject(kobject):
    """One of the kernel's own folders (kernel_kobj …): saved by name, never freed."""

    __slots__ = ("symbol",)

    def __init__(self, symbol: str, name: str, parent: kobject | None = None) -> None:
        super().__init__(name, parent)
        self.symbol = symbol
        self.state_in_sysfs = True

    def __reduce__(self) -> str:
        return self.symbol


kernel_kobj = _KernelKobject("kernel_kobj", "kernel")
mm_kobj = _KernelKobject("mm_kobj", "mm", kernel_kobj)
firmware_kobj = _KernelKobject("firmware_kobj", "firmware")
fs_kobj = _KernelKobject("fs_kobj", "fs")
power_kobj = _KernelKobject("power_kobj", "power")
hypervisor_kobj = _KernelKobject("hypervisor_kobj", "hypervisor")
KERNEL_KOBJECTS = (kernel_kobj, mm_kobj, firmware_kobj, fs_kobj, power_kobj, hypervisor_kobj)


def _sysfs() -> SysfsState:
    return _current.entry().state(SysfsState)


def warn_dup(path: str, top: list[str]) -> None:
    """sysfs_warn_dup(): the warning and the stack that made the duplicate."""
    k = _current.entry()
    lm = _current.module()
    log(k, 4, f"sysfs: cannot create duplicate filename '/{path}'\n")
    frames = live_frames(lm.path) if lm else []
    log_lines(k, [(4, line) for line in dump_stack(k, frames, lm.name if lm else "?", [
        "dump_stack_lvl+0x44/0x5c", "sysfs_warn_dup.cold+0x17/0x23", *top])])


def kobject_create_and_add(name: str, parent: kobject | None) -> kobject | None:
    """A new folder /sys/[parent/]name; None (NULL) if it can't be made (it exists)."""
    if parent is not None and not isinstance(parent, kobject):
        raise TypeError(f"kobject_create_and_add: the parent is a kobject (kernel_kobj, or one "
                        f"kobject_create_and_add returned) or None, not {type(parent).__name__}")
    kobj = kobject(str(name), parent)
    if kobject_add_internal(kobj, ["kobject_add+0x9b/0xd0", "kobject_create_and_add+0x73/0x90"]):
        log(_current.entry(), 4, f"kobject_create_and_add: kobject_add error: {-EEXIST}\n")
        return None
    return kobj


def kobject_add_internal(kobj: kobject, callers: list[str]) -> int:
    state = _sysfs()
    if kobj.parent is not None and not state.is_dir(kobj.parent.path):
        return -2  # the parent's folder is gone (-ENOENT)
    if state.exists(kobj.path):
        warn_dup(kobj.path, ["sysfs_create_dir_ns+0xca/0xe0", "kobject_add_internal+0xba/0x260",
                             *callers])
        log(_current.entry(), 3, f"kobject_add_internal failed for {kobj.name} with -EEXIST, "
                                 f"don't try to register things with the same name in the same "
                                 f"directory.\n")
        return -EEXIST
    state.add(kobj.path, True, 0o755, kobj)
    kobj.state_in_sysfs = True
    return 0


def kobject_init(kobj: kobject, ktype: kobj_type) -> None:
    """A kobject embedded in the module's struct, of type `ktype`, with one reference."""
    kobj.ktype = ktype
    kobj.refcount = 1


def kobject_add(kobj: kobject, parent: kobject | None, fmt: str, *args: object) -> int:
    """Its folder /sys/[parent/]NAME (NAME: fmt % args) and its type's default groups:
    0 or -errno."""
    return _add(kobj, parent, format_c(fmt, args), ["kobject_add+0x9b/0xd0"])


def kobject_init_and_add(kobj: kobject, ktype: kobj_type, parent: kobject | None, fmt: str,
                         *args: object) -> int:
    kobject_init(kobj, ktype)
    return _add(kobj, parent, format_c(fmt, args), ["kobject_init_and_add+0x6d/0xa0"])


def _add(kobj: kobject, parent: kobject | None, name: str, callers: list[str]) -> int:
    kobj.name, kobj.parent = name, parent
    err = kobject_add_internal(kobj, callers)
    if err:
        return err
    groups = kobj.ktype.default_groups if kobj.ktype is not None else None
    return sysfs_create_groups(kobj, groups) if groups else 0


def kobject_get(kobj: kobject | None) -> kobject | None:
    if kobj is not None and not isinstance(kobj, _KernelKobject):
        kobj.refcount += 1
    return kobj


def kobject_put(kobj: kobject | None) -> None:
    """Drop a reference; the last one removes the folder and everything in it."""
    if kobj is None or isinstance(kobj, _KernelKobject):
        return
    kobj.refcount -= 1
    if kobj.refcount <= 0:
        kobject_del(kobj)
        release = kobj.ktype.release if kobj.ktype is not None else None
        if release is not None:
            release(kobj)  # the module's: it frees the struct the kobject is in


def kobject_del(kobj: kobject | None) -> None:
    if kobj is None or not kobj.state_in_sysfs or isinstance(kobj, _KernelKobject):
        return
    _sysfs().remove(kobj.path)
    kobj.state_in_sysfs = False


def kobject_name(kobj: kobject) -> str:
    return kobj.name


def _container(attr: object, what: str) -> object:
    """The kobj_attribute (or device_attribute) an attribute belongs to."""
    if isinstance(attr, attribute):
        if attr.container is None:
            raise TypeError(f"{what}: attribute {attr.name!r} belongs to no kobj_attribute "
                            f"(make it with __ATTR)")
        return attr.container
    if isinstance(getattr(attr, "attr", None), attribute):
        return attr
    raise TypeError(f"{what}: expected an attribute (foo_attribute.attr), got "
                    f"{type(attr).__name__}")


def _file_of(kobj: object, attr: object, what: str) -> tuple[object, attribute]:
    """(what serves the file, its struct attribute): a kobject whose type has sysfs_ops
    takes bare attributes (its ops find their structs); otherwise a kobj_attribute's."""
    ops = getattr(getattr(kobj, "ktype", None), "sysfs_ops", None)
    if isinstance(attr, attribute) and attr.container is None and ops is not None:
        return attr, attr
    container = _container(attr, what)
    return container, container.attr  # type: ignore[attr-defined]


def _add_file(kobj: kobject, folder: str, attr: object, top: list[str]) -> int:
    container, a = _file_of(kobj, attr, "sysfs_create_file")
    path = f"{folder}/{a.name}"
    state = _sysfs()
    if state.exists(path):
        warn_dup(path, ["sysfs_add_file_mode_ns+0x116/0x130", *top])
        return -EEXIST
    state.add(path, False, a.mode & 0o7777, (kobj, container))
    return 0


def sysfs_create_file(kobj: kobject, attr: object) -> int:
    """/sys/KOBJ/NAME served by the attribute's show and store: 0 or -errno."""
    if kobj is None or not kobj.state_in_sysfs or attr is None:
        return -EINVAL
    return _add_file(kobj, kobj.path, attr, ["sysfs_create_file_ns+0x6e/0xa0"])


def sysfs_create_files(kobj: kobject, attrs: list) -> int:
    for i, attr in enumerate(attrs):
        if attr is None:
            break
        err = sysfs_create_file(kobj, attr)
        if err:
            for done in attrs[:i]:
                sysfs_remove_file(kobj, done)
            return err
    return 0


def sysfs_remove_file(kobj: kobject, attr: object) -> None:
    if kobj is None or attr is None:
        return
    a = _file_of(kobj, attr, "sysfs_remove_file")[1]
    _sysfs().remove(f"{kobj.path}/{a.name}", recursive=False)


def sysfs_remove_files(kobj: kobject, attrs: list) -> None:
    for attr in attrs:
        if attr is None:
            break
        sysfs_remove_file(kobj, attr)


def _group_folder(kobj: kobject, grp: attribute_group) -> str:
    return f"{kobj.path}/{grp.name}" if grp.name else kobj.path


def sysfs_create_group(kobj: kobject, grp: attribute_group) -> int:
    """The group's files, in a subfolder if it has a name: 0, or -errno (and none made)."""
    if kobj is None or not kobj.state_in_sysfs or grp is None:
        return -EINVAL
    folder = _group_folder(kobj, grp)
    state = _sysfs()
    top = ["internal_create_group+0x126/0x3d0", "sysfs_create_group+0x13/0x20"]
    if grp.name:
        if state.exists(folder):
            warn_dup(folder, top)
            return -EEXIST
        state.add(folder, True, 0o755, (kobj, grp))
    made = []
    for attr in grp.attrs:
        if attr is None:
            break
        err = _add_file(kobj, folder, attr, top)
        if err:
            for path in made:
                state.remove(path, recursive=False)
            if grp.name:
                state.remove(folder)
            return err
        made.append(f"{folder}/{_file_of(kobj, attr, 'sysfs_create_group')[1].name}")
    return 0


def sysfs_create_groups(kobj: kobject, groups: list) -> int:
    for i, grp in enumerate(groups):
        if grp is None:
            break
        err = sysfs_create_group(kobj, grp)
        if err:
            for done in groups[:i]:
                sysfs_remove_group(kobj, done)
            return err
    return 0


def sysfs_remove_group(kobj: kobject, grp: attribute_group) -> None:
    if kobj is None or grp is None:
        return
    folder = _group_folder(kobj, grp)
    state = _sysfs()
    if grp.name:
        state.remove(folder)
        return
    for attr in grp.attrs:
        if attr is None:
            break
        state.remove(f"{folder}/{_file_of(kobj, attr, 'sysfs_remove_group')[1].name}",
                     recursive=False)


def sysfs_remove_groups(kobj: kobject, groups: list) -> None:
    for grp in groups:
        if grp is None:
            break
        sysfs_remove_group(kobj, grp)


def _emit(buf: object, at: int, text: str) -> int:
    """Write at `at` of the page, cut to fit with its NUL; the bytes written."""
    if not isinstance(buf, bytearray):
        raise TypeError("sysfs_emit writes into show()'s buf (a page)")
    at = int(at)
    if at < 0 or at >= PAGE_SIZE:
        return 0
    raw = text.encode("utf-8", "surrogateescape")[: PAGE_SIZE - at - 1]
    buf[at : at + len(raw) + 1] = raw + b"\0"
    return len(raw)


def sysfs_emit(buf: object, fmt: str, *args: object) -> int:
    """scnprintf() into show()'s page: the number of bytes written."""
    return _emit(buf, 0, format_c(fmt, args))


def sysfs_emit_at(buf: object, at: int, fmt: str, *args: object) -> int:
    """sysfs_emit at offset `at` of the page (to build a file in pieces)."""
    return _emit(buf, at, format_c(fmt, args))


# -- device and class attributes (include/linux/device.h, drivers/base/core.c, class.c) ------

class device_attribute(kobj_attribute):
    """struct device_attribute: `show(dev, attr, buf)`, `store(dev, attr, buf, count)`."""

    __slots__ = ()
    SYSFS_SHOW = "dev_attr_show+0x0/0x50"


class class_attribute(kobj_attribute):
    """struct class_attribute: `show(cls, attr, buf)`, `store(cls, attr, buf, count)`."""

    __slots__ = ()
    SYSFS_SHOW = "class_attr_show+0x0/0x30"


def _typed(cls: type, name: str, mode: int, show: Callable | None, store: Callable | None,
           macro: str) -> kobj_attribute:
    _check_name(name, macro)
    VERIFY_OCTAL_PERMISSIONS(mode, f"{macro}({name}, ...)")
    return cls(attribute(name, int(mode)), show, store)  # type: ignore[no-any-return]


def DEVICE_ATTR(name: str, mode: int, show: Callable | None, store: Callable | None
                ) -> device_attribute:
    """`static DEVICE_ATTR(foo, 0644, foo_show, foo_store);` is
    `dev_attr_foo = DEVICE_ATTR("foo", 0o644, foo_show, foo_store)`."""
    return _typed(device_attribute, name, mode, show, store, "DEVICE_ATTR")  # type: ignore[return-value]


def DEVICE_ATTR_RW(name: str) -> device_attribute:
    """`static DEVICE_ATTR_RW(foo);` is `dev_attr_foo = DEVICE_ATTR_RW("foo")` (foo_show
    and foo_store defined above it, mode 0644)."""
    ns = sys._getframe(1).f_globals
    return _typed(device_attribute, name, 0o644, _named(ns, name, "show", "DEVICE_ATTR_RW"),
                  _named(ns, name, "store", "DEVICE_ATTR_RW"), "DEVICE_ATTR_RW")  # type: ignore[return-value]


def DEVICE_ATTR_RO(name: str) -> device_attribute:
    ns = sys._getframe(1).f_globals
    return _typed(device_attribute, name, 0o444, _named(ns, name, "show", "DEVICE_ATTR_RO"),
                  None, "DEVICE_ATTR_RO")  # type: ignore[return-value]


def DEVICE_ATTR_WO(name: str) -> device_attribute:
    ns = sys._getframe(1).f_globals
    return _typed(device_attribute, name, 0o200, None,
                  _named(ns, name, "store", "DEVICE_ATTR_WO"), "DEVICE_ATTR_WO")  # type: ignore[return-value]


def DEVICE_ATTR_ADMIN_RW(name: str) -> device_attribute:
    ns = sys._getframe(1).f_globals
    return _typed(device_attribute, name, 0o600,
                  _named(ns, name, "show", "DEVICE_ATTR_ADMIN_RW"),
                  _named(ns, name, "store", "DEVICE_ATTR_ADMIN_RW"), "DEVICE_ATTR_ADMIN_RW")  # type: ignore[return-value]


def CLASS_ATTR_RW(name: str) -> class_attribute:
    """`static CLASS_ATTR_RW(foo);` is `class_attr_foo = CLASS_ATTR_RW("foo")`."""
    ns = sys._getframe(1).f_globals
    return _typed(class_attribute, name, 0o644, _named(ns, name, "show", "CLASS_ATTR_RW"),
                  _named(ns, name, "store", "CLASS_ATTR_RW"), "CLASS_ATTR_RW")  # type: ignore[return-value]


def CLASS_ATTR_RO(name: str) -> class_attribute:
    ns = sys._getframe(1).f_globals
    return _typed(class_attribute, name, 0o444, _named(ns, name, "show", "CLASS_ATTR_RO"),
                  None, "CLASS_ATTR_RO")  # type: ignore[return-value]


def CLASS_ATTR_WO(name: str) -> class_attribute:
    ns = sys._getframe(1).f_globals
    return _typed(class_attribute, name, 0o200, None,
                  _named(ns, name, "store", "CLASS_ATTR_WO"), "CLASS_ATTR_WO")  # type: ignore[return-value]


def _folder_of(obj: object, what: str) -> str | None:
    """Where a device (class/CLASS/NAME) or a class (class/NAME) shows in /sys."""
    cls = getattr(obj, "class_", None)
    if cls is not None:
        return f"class/{cls.name}/{obj.name}"  # type: ignore[attr-defined]
    if hasattr(obj, "devnode") and isinstance(getattr(obj, "name", None), str):
        return f"class/{obj.name}"  # type: ignore[attr-defined]
    return None


def _create_typed_file(obj: object, attr: object, what: str, top: list[str]) -> int:
    if obj is None or isinstance(obj, int) or attr is None:
        return -EINVAL
    folder = _folder_of(obj, what)
    if folder is None or not _sysfs().is_dir(folder):
        return -EINVAL
    container = _container(attr, what)
    a: attribute = container.attr  # type: ignore[attr-defined]
    path = f"{folder}/{a.name}"
    if _sysfs().exists(path):
        # a class's device really lives in /sys/devices/virtual (/sys/class links to it)
        shown = "devices/virtual/" + path[len("class/"):] if getattr(obj, "class_", None) \
            else path
        warn_dup(shown, ["sysfs_add_file_mode_ns+0x116/0x130", *top])
        return -EEXIST
    _sysfs().add(path, False, a.mode & 0o7777, (obj, container))
    return 0


def device_create_file(dev: object, attr: object) -> int:
    """/sys/class/CLASS/DEV/NAME served by a device_attribute: 0 or -errno."""
    return _create_typed_file(dev, attr, "device_create_file",
                              ["sysfs_create_file_ns+0x6e/0xa0"])  # (a tail call: no frame)


def device_remove_file(dev: object, attr: object) -> None:
    folder = _folder_of(dev, "device_remove_file") if dev is not None else None
    if folder is not None and attr is not None:
        name = _container(attr, "device_remove_file").attr.name  # type: ignore[attr-defined]
        _sysfs().remove(f"{folder}/{name}", recursive=False)


def class_create_file(cls: object, attr: object) -> int:
    """/sys/class/CLASS/NAME served by a class_attribute: 0 or -errno."""
    return _create_typed_file(cls, attr, "class_create_file",
                              ["sysfs_create_file_ns+0x6e/0xa0"])


def class_remove_file(cls: object, attr: object) -> None:
    device_remove_file(cls, attr)


__all__ = ["CLASS_ATTR_RO", "CLASS_ATTR_RW", "CLASS_ATTR_WO", "DEVICE_ATTR",
           "DEVICE_ATTR_ADMIN_RW", "DEVICE_ATTR_RO", "DEVICE_ATTR_RW", "DEVICE_ATTR_WO",
           "KERNEL_KOBJECTS", "VERIFY_OCTAL_PERMISSIONS", "__ATTR", "__ATTR_RO", "__ATTR_RO_MODE",
           "__ATTR_RW", "__ATTR_RW_MODE", "__ATTR_WO", "attribute", "attribute_group",
           "class_attribute", "class_create_file", "class_remove_file", "device_attribute",
           "device_create_file", "device_remove_file", "firmware_kobj", "fs_kobj",
           "hypervisor_kobj", "kernel_kobj", "kobj_attribute", "kobj_type", "kobject",
           "kobject_add", "kobject_create_and_add", "kobject_del", "kobject_get", "kobject_init",
           "kobject_init_and_add", "kobject_name", "kobject_put", "mm_kobj", "power_kobj",
           "sysfs_create_file", "sysfs_create_files", "sysfs_create_group", "sysfs_create_groups",
           "sysfs_emit", "sysfs_emit_at", "sysfs_ops", "sysfs_remove_file", "sysfs_remove_files",
           "sysfs_remove_group", "sysfs_remove_groups"]
