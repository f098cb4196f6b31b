"""Character devices (fs/char_dev.c): device numbers, the regions drivers reserve, the cdevs
that serve them, /proc/devices and the /dev tree.

A region (char_device_struct) is a name on a range of minors of one major, as /proc/devices
lists them; a cdev maps a range of device numbers to a file_operations, and opening a node
in /dev finds the cdev behind its number (none: ENXIO). The cdev objects are module memory
(each module's `chrdev` objects); which regions and cdevs exist is this subsystem's state.
"""

from __future__ import annotations

import json

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.device import MAJOR, MINOR, MINORBITS, MINORMASK, MKDEV, DeviceState
from kmodsim.kernel.errno import EBUSY, EINVAL, ENXIO
from kmodsim.kernel.module import Module, ModuleState
from kmodsim.kernel.printk import LOGLEVEL_ERR, log
from kmodsim.kernel.vfs import S_IFCHR, S_IFDIR, Node, file_operations, kernel_glue

CHRDEV_MAJOR_HASH_SIZE = 255
CHRDEV_MAJOR_MAX = 512
CHRDEV_MAJOR_DYN_END = 234  # the first segment of dynamic majors: 254 down to 234
CHRDEV_MAJOR_DYN_EXT_START = 511  # the second: 511 down to 384
CHRDEV_MAJOR_DYN_EXT_END = 384

# The regions the kernel itself holds on the machine kmodsim imitates (Debian 12's 6.1 in
# QEMU, as `cat /proc/devices` lists them there): (major, baseminor, minorct, name).
BUILTIN_CHRDEVS = [
    (1, 0, 256, "mem"), (4, 0, 1, "/dev/vc/0"), (4, 1, 63, "tty"), (4, 64, 32, "ttyS"),
    (5, 0, 1, "/dev/tty"), (5, 1, 1, "/dev/console"), (5, 2, 1, "/dev/ptmx"),
    (7, 0, 256, "vcs"), (10, 0, 256, "misc"), (13, 0, 1024, "input"), (29, 0, 256, "fb"),
    (128, 0, 1 << MINORBITS, "ptm"), (136, 0, 1 << MINORBITS, "pts"), (153, 0, 256, "spi"),
    (247, 0, 256, "cxl"), (248, 0, 32768, "bsg"), (249, 0, 16, "ptp"), (250, 0, 16, "pps"),
    (251, 0, 16, "rtc"), (252, 0, 256, "dax"), (253, 0, 131072, "tpm"),
    (254, 0, 256, "gpiochip"),
]
BUILTIN_BLKDEVS = [(259, "blkext")]


class cdev:
    """struct cdev: the file_operations (`ops`) serving `count` device numbers from `dev`;
    `owner` (THIS_MODULE) keeps the module in use while one of them is open."""

    def __init__(self) -> None:
        self.owner: object = None
        self.ops: file_operations | None = None
        self.dev = 0
        self.count = 0
        self.kobj_name = ""
        self.key = ""  # the kernel's handle on it while added

    def __repr__(self) -> str:
        return f"<cdev {MAJOR(self.dev)}:{MINOR(self.dev)}+{self.count}>"


class ChrdevState(State):
    """regions: [major, baseminor, minorct, name, owner] (char_device_struct); cdevs:
    [dev, count, owner, key] in the order added (cdev_map: the newest wins a lookup)."""

    PREFIX = "chrdev"

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.regions: list[list] = json.loads(str(self.var("regions", "[]")))
        self.cdevs: list[list] = json.loads(str(self.var("cdevs", "[]")))

    def _store(self) -> None:
        self.set_var("regions", json.dumps(self.regions))
        self.set_var("cdevs", json.dumps(self.cdevs))

    def all_regions(self) -> list[tuple[int, int, int, str]]:
        return [*BUILTIN_CHRDEVS, *((r[0], r[1], r[2], r[3]) for r in self.regions)]

    def _index_used(self, index: int) -> bool:
        return any(major % CHRDEV_MAJOR_HASH_SIZE == index for major, *_ in self.all_regions())

    def find_dynamic_major(self) -> int:
        """The first free major from 254 down to 234, then from 511 down to 384 (the first
        segment is searched by hash slot, as the kernel does)."""
        for i in range(CHRDEV_MAJOR_HASH_SIZE - 1, CHRDEV_MAJOR_DYN_END - 1, -1):
            if not self._index_used(i):
                return i
        used = {major for major, *_ in self.all_regions()}
        for i in range(CHRDEV_MAJOR_DYN_EXT_START, CHRDEV_MAJOR_DYN_EXT_END - 1, -1):
            if i not in used:
                return i
        return -EBUSY

    def register(self, major: int, baseminor: int, minorct: int, name: str) -> int:
        """__register_chrdev_region(): the major registered, or -errno."""
        if major >= CHRDEV_MAJOR_MAX:
            log(self.k, LOGLEVEL_ERR, f'CHRDEV "{name}" major requested ({major}) is greater '
                                      f"than the maximum ({CHRDEV_MAJOR_MAX - 1})\n")
            return -EINVAL
        if minorct > MINORMASK + 1 - baseminor:
            log(self.k, LOGLEVEL_ERR,
                f'CHRDEV "{name}" minor range requested ({baseminor}-'
                f"{baseminor + minorct - 1}) is out of range of maximum range "
                f"(0-{MINORMASK}) for a single major\n")
            return -EINVAL
        if major == 0:
            major = self.find_dynamic_major()
            if major < 0:
                log(self.k, LOGLEVEL_ERR, f'CHRDEV "{name}" dynamic allocation region is '
                                          f"full\n")
                return major
        for m, base, count, _ in self.all_regions():
            if m == major and base < baseminor + minorct and baseminor < base + count:
                return -EBUSY
        lm = _current.module()
        self.regions.append([major, baseminor, minorct, name[:63], lm.name if lm else ""])
        self._store()
        return major

    def unregister(self, major: int, baseminor: int, minorct: int) -> bool:
        for i, (m, base, count, *_) in enumerate(self.regions):
            if (m, base, count) == (major, baseminor, minorct):
                del self.regions[i]
                self._store()
                return True
        return False

    def add_cdev(self, p: cdev, owner: str) -> None:
        p.key = f"{p.dev}:{p.count}:{self.int_var('next_id', 1)}"
        self.set_var("next_id", self.int_var("next_id", 1) + 1)
        self.cdevs.append([p.dev, p.count, owner, p.key])
        self._store()

    def del_cdev(self, p: cdev) -> bool:
        for i, entry in enumerate(self.cdevs):
            if entry[3] == p.key:
                del self.cdevs[i]
                self._store()
                return True
        return False

    def del_cdev_at(self, first: int, count: int) -> str | None:
        """Remove the newest cdev serving exactly `first`..`first+count-1`: its key."""
        for i in range(len(self.cdevs) - 1, -1, -1):
            if self.cdevs[i][0] == first and self.cdevs[i][1] == count:
                key = self.cdevs.pop(i)[3]
                self._store()
                return str(key)
        return None

    def lookup(self, dev: int) -> tuple[str, str] | None:
        """kobj_lookup(): (owner, key) of the cdev serving `dev`, the newest first."""
        for first, count, owner, key in reversed(self.cdevs):
            if first <= dev < first + count:
                return owner, key
        return None

    def proc_devices(self) -> str:
        """/proc/devices (fs/proc/devices.c): majors in order, then the block devices."""
        lines = ["Character devices:"]
        for major, _, _, name in sorted(self.all_regions(), key=lambda r: (r[0], r[1])):
            lines.append(f"{major:3d} {name}")
        lines += ["", "Block devices:"]
        lines += [f"{major:3d} {name}" for major, name in BUILTIN_BLKDEVS]
        return "\n".join(lines) + "\n"


def _chrdevs() -> ChrdevState:
    return _current.entry().state(ChrdevState)


def _objects(lm: Module | None) -> dict:
    return lm.objects_of("chrdev") if lm is not None else {}


# -- the API ----------------------------------------------------------------------------------

def register_chrdev_region(first: int, count: int, name: str) -> int:
    """Reserve `count` numbers from `first` (its major given): 0, or -EBUSY if taken."""
    state = _chrdevs()
    to = int(first) + int(count)
    n = int(first)
    done: list[tuple[int, int, int]] = []
    while n < to:
        nxt = min(MKDEV(MAJOR(n) + 1, 0), to)
        ret = state.register(MAJOR(n), MINOR(n), nxt - n, name)
        if ret < 0:
            for r in done:
                state.unregister(*r)
            return ret
        done.append((MAJOR(n), MINOR(n), nxt - n))
        n = nxt
    return 0


def alloc_chrdev_region(baseminor: int, count: int, name: str) -> tuple[int, int]:
    """C's `err = alloc_chrdev_region(&dev, baseminor, count, name)` is
    `err, dev = alloc_chrdev_region(baseminor, count, name)`: a free major chosen for you."""
    major = _chrdevs().register(0, int(baseminor), int(count), name)
    if major < 0:
        return major, 0
    return 0, MKDEV(major, baseminor)


def unregister_chrdev_region(first: int, count: int) -> None:
    state = _chrdevs()
    to = int(first) + int(count)
    n = int(first)
    while n < to:
        nxt = min(MKDEV(MAJOR(n) + 1, 0), to)
        state.unregister(MAJOR(n), MINOR(n), nxt - n)
        n = nxt


def cdev_init(p: cdev, fops: file_operations) -> None:
    """Make `p` serve `fops` (cdev_add() then puts it to work)."""
    p.__init__()  # type: ignore[misc]  # C memsets it
    p.ops = fops


def cdev_alloc() -> cdev:
    return cdev()


def cdev_add(p: cdev, dev: int, count: int) -> int:
    """Device numbers `dev`..`dev+count-1` are served by `p` from now on."""
    p.dev, p.count = int(dev), int(count)
    lm = _current.module()
    _chrdevs().add_cdev(p, lm.name if lm else "")
    _objects(lm)[p.key] = p
    return 0


def cdev_del(p: cdev) -> None:
    """No new open finds `p` (files already open keep their fops)."""
    if _chrdevs().del_cdev(p):
        _objects(_current.module()).pop(p.key, None)


def __register_chrdev(major: int, baseminor: int, count: int, name: str,  # noqa: N807
                      fops: file_operations) -> int:
    state = _chrdevs()
    got = state.register(int(major), int(baseminor), int(count), name)
    if got < 0:
        return got
    p = cdev_alloc()
    p.owner, p.ops, p.kobj_name = fops.owner, fops, name
    cdev_add(p, MKDEV(got, baseminor), count)
    return 0 if major else got


def register_chrdev(major: int, name: str, fops: file_operations) -> int:
    """Minors 0-255 of `major` served by `fops`. With major 0 a free major is chosen and
    returned; with a given major, 0 (or -EBUSY if it is taken)."""
    return __register_chrdev(major, 0, 256, name, fops)


def __unregister_chrdev(major: int, baseminor: int, count: int, name: str) -> None:  # noqa: N807
    state = _chrdevs()
    if not state.unregister(int(major), int(baseminor), int(count)):
        return
    key = state.del_cdev_at(MKDEV(major, baseminor), int(count))  # the one it made
    if key is not None:
        _objects(_current.module()).pop(key, None)


def unregister_chrdev(major: int, name: str) -> None:
    __unregister_chrdev(major, 0, 256, name)


def imajor(inode: object) -> int:
    return MAJOR(getattr(inode, "i_rdev", 0))


def iminor(inode: object) -> int:
    return MINOR(getattr(inode, "i_rdev", 0))


def find_cdev(k: Kernel, dev: int) -> tuple[str, cdev | None] | None:
    """The cdev serving device number `dev`: (owner module, the cdev from its memory; None
    if the owner is gone), or None when no cdev serves it (open() fails with ENXIO)."""
    found = k.state(ChrdevState).lookup(dev)
    if found is None:
        return None
    owner, key = found
    if not owner:
        return owner, None
    try:
        lm = k.module(owner)
    except KeyError:
        return owner, None
    p = lm.objects_of("chrdev").get(key)
    return owner, p if isinstance(p, cdev) else None


# -- /dev ---------------------------------------------------------------------------------------

@kernel_glue
def chrdev_open(inode: object, filp: object) -> int:
    """fs/char_dev.c chrdev_open(): the driver's open, with the cdev's owner held while the
    file is open (the VFS holds the fops' owner): a driver whose cdev and fops both name
    THIS_MODULE is "Used by 2" per open file, as lsmod shows on the real kernel."""
    k = _current.entry()
    served = find_cdev(k, inode.i_rdev)  # type: ignore[attr-defined]
    if served is None or served[1] is None:
        return -ENXIO
    owner, p = served
    lm = k.module(owner)
    if lm.state == "Unloading":  # try_module_get() fails for a module on its way out
        return -ENXIO
    inode.i_cdev = p  # type: ignore[attr-defined]  # the driver's open finds its device by it
    ops = p.ops or file_operations()
    held = p.owner is not None
    filp.f_op = ops  # type: ignore[attr-defined]
    filp.cdev_owner = owner  # type: ignore[attr-defined]  # for the release
    filp.cdev_held = held  # type: ignore[attr-defined]
    if held:
        k.state(ModuleState).file_opened(owner)  # cdev_get()
    if ops.open is None:
        return 0
    try:
        ret = k.call(lm, "open", ops.open, inode, filp)
    except BaseException:
        if held:
            k.state(ModuleState).file_closed(owner)
        raise
    ret = ret if isinstance(ret, int) else 0
    if ret < 0 and held:  # the open failed: cdev_put()
        k.state(ModuleState).file_closed(owner)
    return ret


@kernel_glue
def chrdev_release(inode: object, filp: object) -> int:
    """__fput() of a device file: the driver's release, then cdev_put()."""
    k = _current.entry()
    owner = getattr(filp, "cdev_owner", "")
    ops = getattr(filp, "f_op", None)
    try:
        if ops is not None and ops.release is not None and owner:
            k.call(k.module(owner), "release", ops.release, inode, filp)
    finally:
        if getattr(filp, "cdev_held", False):
            k.state(ModuleState).file_closed(owner)
    return 0


def _device_fops(ops: file_operations | None) -> file_operations:
    """The node's operations: the driver's, its open and release through the kernel's."""
    ops = ops or file_operations()
    return file_operations(owner=ops.owner, open=chrdev_open, release=chrdev_release,
                           read=ops.read, write=ops.write, llseek=ops.llseek,
                           unlocked_ioctl=ops.unlocked_ioctl, compat_ioctl=ops.compat_ioctl,
                           poll=ops.poll)


class DevTree:
    """/dev as devtmpfs makes it: a node for every device with a number. A node no cdev
    serves opens with ENXIO (no fops); one whose driver left without cdev_del() names a
    module that is gone (the VFS reports the page fault)."""

    def lookup(self, k: Kernel, rel: str) -> Node | None:
        nodes = k.state(DeviceState).nodes()
        if rel == "" or any(name.startswith(rel + "/") for name in nodes):
            return Node("/dev/" + rel if rel else "/dev", S_IFDIR | 0o755)
        found = nodes.get(rel)
        if found is None:
            return None
        devt, mode, uid, gid = found
        fops, owner = None, ""
        served = find_cdev(k, devt)
        if served is not None:
            owner, p = served
            if p is not None:
                fops = _device_fops(p.ops)
        return Node("/dev/" + rel, S_IFCHR | (mode & 0o7777), fops, owner, rdev=devt,
                    uid=uid, gid=gid)

    def listdir(self, k: Kernel, rel: str) -> list[str] | None:
        nodes = k.state(DeviceState).nodes()
        prefix = rel + "/" if rel else ""
        if rel and not any(name.startswith(prefix) for name in nodes):
            return None
        return sorted({name[len(prefix):].split("/", 1)[0] for name in nodes
                       if name.startswith(prefix)})


TREE = DevTree()


def proc_devices_text(k: Kernel) -> bytes:
    """/proc/devices."""
    return k.state(ChrdevState).proc_devices().encode()


# -- seeking a device (fs/read_write.c, fs/open.c) ----------------------------------------------

FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE = 0x4, 0x8, 0x10


def nonseekable_open(inode: object, filp: object) -> int:
    """Call from open: the file is a stream, lseek() on it fails with ESPIPE."""
    filp.f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE)  # type: ignore[attr-defined]
    return 0


def fixed_size_llseek(filp: object, offset: int, whence: int, size: int) -> int:
    """llseek for a file of `size` bytes: SEEK_SET, SEEK_CUR, SEEK_END within 0..size."""
    pos = int(filp.f_pos)  # type: ignore[attr-defined]
    if whence == 0:
        new = int(offset)
    elif whence == 1:
        new = pos + int(offset)
    elif whence == 2:
        new = int(size) + int(offset)
    else:
        return -EINVAL
    if new < 0 or new > int(size):
        return -EINVAL
    filp.f_pos = new  # type: ignore[attr-defined]
    return new
