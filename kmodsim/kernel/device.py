"""The device model's part a character driver uses (include/linux/device.h,
drivers/base/class.c, core.c): struct class, struct device, class_create, device_create,
and the dev_* printk family.

device_create() also makes the device's node in /dev, as devtmpfs (then udev) would: named
after the device (or what the class's devnode callback says), mode 0600 owned by root unless
the callback gives a mode. kernel/chrdev.py's /dev tree lists those nodes. In sysfs a class
is /sys/class/NAME and its device a folder there holding `dev` and `uevent` (on the real
kernel that folder is a symlink into /sys/devices/virtual).

The objects are module memory (each module's `device` objects, by name); which classes and
devices exist, and who made them, is this subsystem's state for the boot.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.cformat import format_c
from kmodsim.kernel.errno import EEXIST, ENODEV
from kmodsim.kernel.kernfs import sysfs_add_attr, sysfs_add_dir, sysfs_remove_path
from kmodsim.kernel.module import Module
from kmodsim.kernel.printk import (
    LOGLEVEL_ALERT,
    LOGLEVEL_CRIT,
    LOGLEVEL_DEBUG,
    LOGLEVEL_EMERG,
    LOGLEVEL_ERR,
    LOGLEVEL_INFO,
    LOGLEVEL_NOTICE,
    LOGLEVEL_WARNING,
    PrintkState,
    log_lines,
)
from kmodsim.kernel.stacktrace import dump_stack, live_frames

MINORBITS = 20
MINORMASK = (1 << MINORBITS) - 1
DEVNODE_MODE = 0o600  # devtmpfs: what a node gets when nobody says otherwise


def MAJOR(dev: int) -> int:
    return int(dev) >> MINORBITS


def MINOR(dev: int) -> int:
    return int(dev) & MINORMASK


def MKDEV(ma: int, mi: int) -> int:
    return ((int(ma) << MINORBITS) | int(mi)) & 0xFFFF_FFFF


class class_:  # noqa: N801 (C's struct class; `class` is Python's keyword)
    """struct class: a family of devices (/sys/class/NAME). `devnode(dev)` may name the
    node (return a name, or None for the device's own) and set its mode (return
    `(name, mode)`), as C's devnode(dev, &mode)."""

    def __init__(self, name: str, owner: object = None) -> None:
        self.name = name
        self.owner = owner
        self.devnode: Callable | None = None
        self.dev_groups: object = None  # attribute groups every device of the class gets
        self.class_groups: object = None

    def __repr__(self) -> str:
        return f"<class {self.name}>"


class device_driver:
    """struct device_driver: only its name (dev_driver_string() prints it)."""

    def __init__(self, name: str = "") -> None:
        self.name = name


class bus_type:
    def __init__(self, name: str = "") -> None:
        self.name = name


class device:
    """struct device: `devt` (its number, 0 for none), `class_` (C's dev->class), `parent`,
    `driver_data` (dev_get_drvdata), `init_name`."""

    def __init__(self, init_name: str = "") -> None:
        self.init_name = init_name
        self.name = init_name  # the kobject's name: dev_name()
        self.devt = 0
        self.parent: device | None = None
        self.class_: class_ | None = None
        self.bus: bus_type | None = None
        self.driver: device_driver | None = None
        self.driver_data: object = None
        self.groups: object = None

    def __repr__(self) -> str:
        return f"<device {self.name}>"


def dev_name(dev: device) -> str:
    return dev.name


def dev_set_name(dev: device, fmt: str, *args: object) -> int:
    dev.name = format_c(fmt, args)
    return 0


def dev_get_drvdata(dev: device) -> object:
    return dev.driver_data


def dev_set_drvdata(dev: device, data: object) -> None:
    dev.driver_data = data


def dev_bus_name(dev: device) -> str:
    if dev.bus is not None:
        return dev.bus.name
    return dev.class_.name if dev.class_ is not None else ""


def dev_driver_string(dev: device) -> str:
    """The driver's name, else the bus's, else the class's (drivers/base/core.c)."""
    return dev.driver.name if dev.driver is not None else dev_bus_name(dev)


# -- classes and devices of the boot ------------------------------------------------------------

class DeviceState(State):
    """classes: name -> the module that made it; devices: 'CLASS/NAME' -> [owner, devt,
    node (the /dev name, "" for none), mode, uid, gid]."""

    PREFIX = "device"

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.classes: dict[str, str] = json.loads(str(self.var("classes", "{}")))
        self.devices: dict[str, list] = json.loads(str(self.var("devices", "{}")))

    def _store(self) -> None:
        self.set_var("classes", json.dumps(self.classes))
        self.set_var("devices", json.dumps(self.devices))

    def add_class(self, cls: class_, owner: str) -> bool:
        if cls.name in self.classes:
            return False
        self.classes[cls.name] = owner
        self._store()
        return True

    def remove_class(self, name: str) -> None:
        if self.classes.pop(name, None) is not None:
            self._store()

    def add_device(self, key: str, owner: str, devt: int, node: str, mode: int) -> bool:
        if key in self.devices:
            return False
        self.devices[key] = [owner, devt, node, mode, 0, 0]
        self._store()
        return True

    def remove_device(self, key: str) -> None:
        if self.devices.pop(key, None) is not None:
            self._store()

    def find(self, class_name: str, devt: int) -> str | None:
        """The key of class `class_name`'s device numbered `devt`, if any."""
        for key, (_, number, *_rest) in self.devices.items():
            if number == devt and key.split("/", 1)[0] == class_name:
                return key
        return None

    def nodes(self) -> dict[str, tuple[int, int, int, int]]:
        """/dev name -> (devt, mode, uid, gid). A name taken twice keeps the first node,
        as devtmpfs does."""
        out: dict[str, tuple[int, int, int, int]] = {}
        for _, devt, node, mode, uid, gid in self.devices.values():
            if node and node not in out:
                out[node] = (devt, mode, uid, gid)
        return out


def _devices() -> DeviceState:
    return _current.entry().state(DeviceState)


def _objects(lm: Module | None) -> dict:
    return lm.objects_of("device") if lm is not None else {}


def find_device(k: Kernel, key: str) -> device | None:
    """The struct device 'CLASS/NAME' (sysfs shows its attributes), from its module's
    memory; None if it is gone."""
    row = k.state(DeviceState).devices.get(key)
    if row is None or not row[0]:
        return None
    try:
        lm = k.module(row[0])
    except KeyError:
        return None
    found = lm.objects_of("device").get(key)
    return found if isinstance(found, device) else None


def _duplicate(k: Kernel, lm: Module | None, where: str, name: str, path: list[str]) -> int:
    """sysfs_warn_dup() and kobject_add_internal()'s complaint: a second kobject of the same
    name in the same folder of /sys."""
    top = ["dump_stack_lvl+0x44/0x5c", "sysfs_warn_dup.cold+0x17/0x23",
           "sysfs_create_dir_ns+0xca/0xe0", "kobject_add_internal+0xba/0x260", *path]
    frames = live_frames(lm.path) if lm is not None else []
    lines = [f"sysfs: cannot create duplicate filename '{where}'",
             *dump_stack(k, frames, lm.name if lm else "?", top)]
    log_lines(k, [(LOGLEVEL_WARNING, line) for line in lines])
    log_lines(k, [(LOGLEVEL_ERR, f"kobject_add_internal failed for {name} with -EEXIST, don't "
                                 f"try to register things with the same name in the same "
                                 f"directory.")])
    return -EEXIST


class _device_file:  # noqa: N801
    """The kernel's own attribute files of a device (dev, uevent): /sys/class/CLASS/NAME/."""

    def __init__(self, name: str) -> None:
        self.name = name

    def show(self, dev: device, attr: object, buf: bytearray) -> int:
        if self.name == "dev":
            text = f"{MAJOR(dev.devt)}:{MINOR(dev.devt)}\n"
        else:
            text = (f"MAJOR={MAJOR(dev.devt)}\nMINOR={MINOR(dev.devt)}\nDEVNAME={dev.name}\n"
                    if dev.devt else "")
        raw = text.encode()
        buf[:len(raw)] = raw
        return len(raw)


def device_sysfs_path(dev: device) -> str:
    """Where `dev`'s folder is, relative to /sys (its attribute files go there)."""
    return f"class/{dev.class_.name}/{dev.name}" if dev.class_ is not None else \
        f"devices/virtual/{dev.name}"


def class_create(*args: object) -> class_ | int:
    """`class_create(name)` (6.4+) or `class_create(THIS_MODULE, name)` (older kernels):
    /sys/class/NAME; ERR_PTR(-EEXIST) if a class has that name."""
    if len(args) == 1:
        owner, name = None, args[0]
    elif len(args) == 2:
        owner, name = args
    else:
        raise TypeError(f"class_create takes (name) or (THIS_MODULE, name), not {len(args)} "
                        f"arguments")
    if not isinstance(name, str):
        raise TypeError(f"class_create: the name must be a str, not {type(name).__name__}")
    cls = class_(name, owner)
    k = _current.entry()
    lm = _current.module()
    if not k.state(DeviceState).add_class(cls, lm.name if lm else ""):
        return _duplicate(k, lm, f"/class/{name}", name,
                          ["kset_register+0x55/0x70", "__class_register+0xcf/0x190",
                           "__class_create+0x4c/0x80"])
    _objects(lm)[f"class:{name}"] = cls
    sysfs_add_dir(f"class/{name}", cls)
    return cls


def class_destroy(cls: class_ | None) -> None:
    if cls is None or isinstance(cls, int):  # NULL or an ERR_PTR: nothing to do
        return
    _devices().remove_class(cls.name)
    _objects(_current.module()).pop(f"class:{cls.name}", None)
    sysfs_remove_path(f"class/{cls.name}")


def _devnode(dev: device) -> tuple[str, int]:
    """device_get_devnode(): the node's name and mode, as the class's devnode says."""
    name, mode = dev.name, 0
    cb = dev.class_.devnode if dev.class_ is not None else None
    if cb is not None:
        got = cb(dev)  # module code called from module code: its faults are the caller's
        if isinstance(got, tuple) and len(got) == 2:
            got, mode = got[0], int(got[1] or 0)
        if isinstance(got, (str, bytes)) and got:
            name = got.decode() if isinstance(got, bytes) else got
    return name.replace("!", "/"), mode or DEVNODE_MODE


def device_create(cls: class_ | None, parent: device | None, devt: int, drvdata: object,
                  fmt: str, *args: object) -> device | int:
    """A device of class `cls` named by `fmt % args`; with a number (`devt` not 0) its node
    appears in /dev. ERR_PTR(-ENODEV) without a class, ERR_PTR(-EEXIST) if the class has a
    device of that name."""
    if cls is None or isinstance(cls, int):
        return -ENODEV
    dev = device(format_c(fmt, args))
    dev.devt, dev.parent, dev.class_, dev.driver_data = int(devt), parent, cls, drvdata
    k = _current.entry()
    lm = _current.module()
    key = f"{cls.name}/{dev.name}"
    state = k.state(DeviceState)
    if key in state.devices:
        return _duplicate(k, lm, f"/devices/virtual/{key}", dev.name,
                          ["kobject_add+0x9b/0xd0", "device_add+0xe0/0x8d0",
                           "? kstrdup+0x45/0x60", "device_create_groups_vargs+0xce/0xf0",
                           "device_create+0x51/0x70"])
    node, mode = _devnode(dev) if MAJOR(devt) else ("", 0)
    state.add_device(key, lm.name if lm else "", dev.devt, node, mode)
    _objects(lm)[key] = dev
    folder = device_sysfs_path(dev)
    if sysfs_add_dir(folder, dev):
        if dev.devt:
            sysfs_add_attr(f"{folder}/dev", dev, _device_file("dev"), 0o444)
        sysfs_add_attr(f"{folder}/uevent", dev, _device_file("uevent"), 0o644)
    return dev


def device_destroy(cls: class_ | None, devt: int) -> None:
    """Remove the device of class `cls` numbered `devt` (and its node), if there is one."""
    if cls is None or isinstance(cls, int):
        return
    state = _devices()
    key = state.find(cls.name, int(devt))
    if key is None:
        return
    owner = state.devices[key][0]
    state.remove_device(key)
    sysfs_remove_path(f"class/{key}")
    lm = _current.module()
    if lm is not None and lm.name == owner:
        _objects(lm).pop(key, None)


def device_unregister(dev: device | None) -> None:
    if dev is not None and dev.class_ is not None:
        device_destroy(dev.class_, dev.devt)


# -- dev_printk (drivers/base/core.c) ---------------------------------------------------------

def _dev_printk(level: int, dev: device | None, fmt: str, args: tuple) -> int:
    lm = _current.module()
    dev_fmt = lm.ns.get("dev_fmt") if lm is not None else None
    if callable(dev_fmt):  # a module's `#define dev_fmt(fmt) ...`
        fmt = dev_fmt(fmt)
    text = format_c(fmt, args)
    if dev is None:
        text = "(NULL device *): " + text
    else:
        text = f"{dev_driver_string(dev)} {dev_name(dev)}: {text}"
    _current.entry().state(PrintkState).add(level, text, False)
    return len(text)


def dev_printk(level: str, dev: device | None, fmt: str, *args: object) -> int:
    """dev_printk(KERN_INFO, dev, fmt, ...)."""
    n = int(level[1]) if len(level) >= 2 and level[1].isdigit() else LOGLEVEL_WARNING
    return _dev_printk(n, dev, fmt, args)


def dev_emerg(dev: device | None, fmt: str, *args: object) -> int:
    return _dev_printk(LOGLEVEL_EMERG, dev, fmt, args)


def dev_alert(dev: device | None, fmt: str, *args: object) -> int:
    return _dev_printk(LOGLEVEL_ALERT, dev, fmt, args)


def dev_crit(dev: device | None, fmt: str, *args: object) -> int:
    return _dev_printk(LOGLEVEL_CRIT, dev, fmt, args)


def dev_err(dev: device | None, fmt: str, *args: object) -> int:
    return _dev_printk(LOGLEVEL_ERR, dev, fmt, args)


def dev_warn(dev: device | None, fmt: str, *args: object) -> int:
    return _dev_printk(LOGLEVEL_WARNING, dev, fmt, args)


def dev_notice(dev: device | None, fmt: str, *args: object) -> int:
    return _dev_printk(LOGLEVEL_NOTICE, dev, fmt, args)


def dev_info(dev: device | None, fmt: str, *args: object) -> int:
    return _dev_printk(LOGLEVEL_INFO, dev, fmt, args)


def dev_dbg(dev: device | None, fmt: str, *args: object) -> int:
    """Dynamic debug, off unless the module defines DEBUG (as pr_debug)."""
    lm = _current.module()
    if lm is None or not lm.ns.get("DEBUG"):
        return 0
    return _dev_printk(LOGLEVEL_DEBUG, dev, fmt, args)


__all__ = ["DEVNODE_MODE", "MAJOR", "MINOR", "MINORBITS", "MINORMASK", "MKDEV", "bus_type",
           "class_", "class_create", "class_destroy", "dev_alert", "dev_bus_name", "dev_crit",
           "dev_dbg", "dev_driver_string", "dev_emerg", "dev_err", "dev_get_drvdata",
           "dev_info", "dev_name", "dev_notice", "dev_printk", "dev_set_drvdata",
           "dev_set_name", "dev_warn", "device", "device_create", "device_destroy",
           "device_driver", "device_unregister"]
