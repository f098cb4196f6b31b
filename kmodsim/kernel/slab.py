"""kmalloc and friends (include/linux/slab.h), checked as a KASAN + kmemleak kernel checks them.

A buffer is a `KernelBuffer`, a bytearray that knows its address, where it was allocated
and whether it was freed. Every buffer a module allocates is remembered with the module's
memory, so a buffer it lost track of can be reported as a leak when it is removed.
"""

from __future__ import annotations

import operator
import zlib
from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.ctype import size as typed_size
from kmodsim.kernel.debug.atomic_sleep import might_sleep
from kmodsim.kernel.debug.kasan import KasanFault
from kmodsim.kernel.module import (
    TAINT_BAD_PAGE,
    TAINT_FORCED_RMMOD,
    TAINT_PROPRIETARY_MODULE,
    ModuleState,
    add_taint,
    tainted_text,
)
from kmodsim.kernel.panic import KernelBugFault, warn
from kmodsim.kernel.printk import log, log_lines
from kmodsim.kernel.stacktrace import dump_stack, live_frames, module_base
from kmodsim.kernel.structmem import attach, free_object, is_freed, memory
from kmodsim.kernel.time import jiffies

GFP_KERNEL = 0xCC0
GFP_ATOMIC = 0x820
GFP_NOWAIT = 0x800
GFP_NOIO = 0xC00
GFP_USER = 0x100CC0
__GFP_ZERO = 0x100
__GFP_DIRECT_RECLAIM = 0x400
KMALLOC_MAX_SIZE = 4 * 1024 * 1024
ZERO_SIZE_PTR = None
KMALLOC_BASE = 0xFFFF888104A1C000  # where kmalloc'd objects sit (the direct map)
VMALLOC_BASE = 0xFFFFC90000C00000  # where vmalloc'd areas sit
PAGE_SIZE = 4096


class SlabState(State):
    """Where the next kmalloc'd object goes. The objects themselves are module memory (each
    module's `slab` objects, by address), so a leak can be reported when it is removed."""

    PREFIX = "slab"

    def alloc(self, buf: KernelBuffer, area: str = "kmalloc") -> KernelBuffer:
        k = self.k
        lm = _current.module()
        frames = live_frames(lm.path) if lm else []
        if area == "vmalloc":  # page-granular, each area followed by a guard page
            offset = self.int_var("next_vmalloc")
            self.set_var("next_vmalloc", offset + ((len(buf) + PAGE_SIZE - 1) // PAGE_SIZE + 1)
                         * PAGE_SIZE)
            addr = VMALLOC_BASE + offset
        else:
            offset = self.int_var("next_offset")
            self.set_var("next_offset", offset + max(64, (len(buf) + 63) // 64 * 64))
            addr = KMALLOC_BASE + offset
        module = lm.name if lm else "?"
        buf.__dict__.update(
            addr=addr, pid=k.task.pid, comm=k.task.comm, freed=False, jiffies=jiffies(k),
            owner=module, site=frames[0].symbol(module) if frames else "?",
            site_addr=module_base(module) + (frames[0].offset if frames else 0),
            where=frames[0].where if frames else "?")
        if lm is not None:
            lm.objects_of("slab")[addr] = buf
        return buf

    def free(self, buf: object) -> None:
        if not isinstance(buf, KernelBuffer):
            raise KasanFault("invalid-free", "free", 0, buf, 0)
        info = buf.__dict__
        if info.get("freed"):
            raise KasanFault("double-free", "free", len(buf), buf, 0)
        lm = _current.module()
        frames = live_frames(lm.path) if lm else []
        info.update(freed=True, free_pid=self.k.task.pid,
                    free_site=frames[0].symbol(lm.name) if frames and lm else "?")


def _slab(k: Kernel) -> SlabState:
    return k.state(SlabState)


class KernelBuffer(bytearray):
    """Kernel memory from kmalloc: index and slice it like a `char *` buffer."""

    def _check(self, index: object, access: str) -> None:
        if self.__dict__.get("freed"):
            raise KasanFault("slab-use-after-free", access, 1, self, _offset(index))

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        self._check(index, "read")
        try:
            return bytearray.__getitem__(self, index)
        except IndexError:
            raise KasanFault("slab-out-of-bounds", "read", 1, self, _offset(index)) from None

    def __setitem__(self, index, value):  # type: ignore[no-untyped-def]
        self._check(index, "write")
        if isinstance(index, int) and not -len(self) <= index < len(self):
            raise KasanFault("slab-out-of-bounds", "write", 1, self, index)
        bytearray.__setitem__(self, index, value)

    def kmod_bytes(self) -> bytearray:
        """The memory, for copy_to_user/copy_from_user (which check it themselves)."""
        return self

    def __repr__(self) -> str:
        return f"<kmalloc buffer 0x{self.addr:x} size {len(self)}>"  # type: ignore[attr-defined]


def _offset(index: object) -> int:
    if isinstance(index, int):
        return index
    if isinstance(index, slice):
        return index.start or 0
    return 0


def kmalloc(size: int, flags: int = GFP_KERNEL) -> KernelBuffer | None:
    """Allocate `size` bytes; None (NULL) when it can't, as the kernel does past 4 MiB."""
    k = _current.entry()
    if flags & __GFP_DIRECT_RECLAIM:
        might_sleep(k, "include/linux/sched/mm.h:306")
    struct = _struct_type(size)
    size = int(size)
    if size < 0 or size > KMALLOC_MAX_SIZE:
        return None
    buf = _slab(k).alloc(KernelBuffer(size))
    return buf if struct is None else new_object(struct, buf)  # type: ignore[return-value]


def _struct_type(size: object) -> type | None:
    """The module class `size` measured, when it is sizeof(Class): kmalloc then gives an
    object of that class, standing on the memory it allocated."""
    of = size.type if isinstance(size, typed_size) else None
    if isinstance(of, type) and of.__module__.startswith("kmodsim.live."):
        return of
    return None


def new_object(cls: type, mem: KernelBuffer) -> object:
    """An object of the module's class `cls` (its __init__ run with no arguments, as the
    struct's fields are set up) on kmalloc'd memory `mem`."""
    import inspect

    try:
        inspect.signature(cls).bind()
    except TypeError:
        raise TypeError(f"kmalloc(sizeof({cls.__name__})) makes a {cls.__name__} with no "
                        f"arguments, as C's struct starts out: its __init__ must take none "
                        f"(set the fields afterwards)") from None
    except ValueError:
        pass
    obj = cls()
    attach(obj, mem)
    return obj


def kzalloc(size: int, flags: int = GFP_KERNEL) -> KernelBuffer | None:
    return kmalloc(size, flags | __GFP_ZERO)


def kcalloc(n: int, size: int, flags: int = GFP_KERNEL) -> KernelBuffer | None:
    return kmalloc(n * size, flags | __GFP_ZERO)


def kmalloc_array(n: int, size: int, flags: int = GFP_KERNEL) -> KernelBuffer | None:
    return kmalloc(n * size, flags)


def kmemdup(src: bytes | bytearray | str, size: int, flags: int = GFP_KERNEL
            ) -> KernelBuffer | None:
    data = src.encode() if isinstance(src, str) else src
    buf = kmalloc(size, flags)
    if buf is not None:
        n = min(size, len(data))
        bytearray.__setitem__(buf, slice(0, n), data[:n])
    return buf


def krealloc(buf: KernelBuffer | None, size: int, flags: int = GFP_KERNEL
             ) -> KernelBuffer | None:
    new = kmalloc(size, flags)
    if new is not None and buf is not None:
        n = min(size, len(buf))
        bytearray.__setitem__(new, slice(0, n), bytes(buf[:n]))
        kfree(buf)
    return new


def kfree(buf: KernelBuffer | None) -> None:
    """Free a buffer; kfree(None) does nothing, as kfree(NULL) does."""
    if buf is None:
        return
    k = _current.entry()
    mem = memory(buf) if not isinstance(buf, KernelBuffer) else None
    if mem is None:
        _slab(k).free(buf)
        return
    _slab(k).free(mem)  # a second kfree(): KASAN's double-free
    if not is_freed(buf):
        free_object(buf)


def ksize(buf: object) -> int:
    mem = memory(buf) if not isinstance(buf, KernelBuffer) else buf
    return len(mem) if mem is not None else 0  # type: ignore[arg-type]


def vmalloc(size: int) -> KernelBuffer | None:
    """Virtually contiguous memory (include/linux/vmalloc.h): pages, so any size; None for
    0 bytes, as vmalloc(0) is NULL."""
    k = _current.entry()
    might_sleep(k, "mm/vmalloc.c:3042")
    size = int(size)
    if size <= 0:
        return None
    return _slab(k).alloc(KernelBuffer(size), area="vmalloc")


def vzalloc(size: int) -> KernelBuffer | None:
    return vmalloc(size)


def vfree(buf: KernelBuffer | None) -> None:
    kfree(buf)


def kvmalloc(size: int, flags: int = GFP_KERNEL) -> KernelBuffer | None:
    """kmalloc() when it can, vmalloc() for sizes kmalloc refuses (mm/util.c)."""
    if _struct_type(size) is not None or int(size) <= KMALLOC_MAX_SIZE:
        return kmalloc(size, flags)
    return vmalloc(size)


def kvzalloc(size: int, flags: int = GFP_KERNEL) -> KernelBuffer | None:
    return kvmalloc(size, flags | __GFP_ZERO)


def kvfree(buf: KernelBuffer | None) -> None:
    kfree(buf)


def kvfree_sensitive(buf: KernelBuffer | None, size: int) -> None:
    kfree(buf)


# -- slab caches (mm/slab_common.c, mm/slub.c) -----------------------------------------------

SLAB_CONSISTENCY_CHECKS = 0x00000100
SLAB_RED_ZONE = 0x00000400
SLAB_POISON = 0x00000800
SLAB_HWCACHE_ALIGN = 0x00002000
SLAB_CACHE_DMA = 0x00004000
SLAB_STORE_USER = 0x00010000
SLAB_RECLAIM_ACCOUNT = 0x00020000
SLAB_PANIC = 0x00040000
SLAB_TYPESAFE_BY_RCU = 0x00080000
SLAB_MEM_SPREAD = 0x00100000
SLAB_ACCOUNT = 0x04000000
CACHE_LINE = 64
SLUB_MIN_OBJECTS = 8  # 4 * (fls(nr_cpu_ids) + 1), one CPU
SLUB_MAX_ORDER = 3
# the taints after which the kernel has already said "Disabling lock debugging"
_LOCKDEP_UNRELIABLE = (1 << TAINT_PROPRIETARY_MODULE) | (1 << TAINT_FORCED_RMMOD) | (
    1 << TAINT_BAD_PAGE)


class kmem_cache:
    """struct kmem_cache: a named pool of objects of one size (of one module class, when
    made with sizeof(Class) or KMEM_CACHE(Class)). Its live objects are counted so that
    destroying it with some left is reported, as SLUB reports it."""

    __slots__ = ("name", "object_size", "align", "flags", "ctor", "type", "live",
                 "destroyed", "serial")
    _slot_values = operator.attrgetter(*__slots__)  # (what pickling keeps)

    def __init__(self, name: str, object_size: int, align: int, flags: int,
                 ctor: Callable | None, type_: type | None) -> None:
        self.name = name
        self.object_size = object_size
        self.align = align
        self.flags = flags
        self.ctor = ctor
        self.type = type_
        self.live: dict[int, tuple[KernelBuffer, int]] = {}  # addr -> (memory, slot index)
        self.destroyed = False
        self.serial = 0  # slots handed out so far

    @property
    def slot_size(self) -> int:
        """What one object takes in a slab (calculate_sizes()): its size, then SLUB's free
        pointer when the object can't hold it (a constructor or RCU-typesafe objects keep
        their contents while free), rounded up to the alignment (calculate_alignment())."""
        align = max(8, self.align)
        if self.flags & SLAB_HWCACHE_ALIGN:
            ralign = CACHE_LINE
            while self.object_size <= ralign // 2:
                ralign //= 2
            align = max(align, ralign)
        size = (self.object_size + 7) // 8 * 8
        if self.ctor is not None or self.flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON):
            size += 8
        return (size + align - 1) // align * align

    @property
    def objects_per_slab(self) -> int:
        order = 0
        while order < SLUB_MAX_ORDER and (PAGE_SIZE << order) // self.slot_size < \
                SLUB_MIN_OBJECTS:
            order += 1
        return max(1, (PAGE_SIZE << order) // self.slot_size)

    def __getstate__(self) -> tuple:
        return self._slot_values(self)

    def __setstate__(self, state: tuple) -> None:
        for k, v in zip(self.__slots__, state, strict=True):
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"<kmem_cache {self.name} object_size {self.object_size}>"


def kmem_cache_create(name: str, size: int, align: int, flags: int,
                      ctor: Callable | None) -> kmem_cache | None:
    """A cache of `size`-byte objects named `name`; None when it can't be made (a name of
    None, an object smaller than a pointer or larger than kmalloc's largest), as C's is NULL
    after a warning and a stack dump."""
    k = _current.entry()
    might_sleep(k, "mm/slab_common.c:315")
    struct = _struct_type(size)
    n = int(size)
    if not name or n < 8 or n > KMALLOC_MAX_SIZE - 16:
        text = name.decode() if isinstance(name, (bytes, bytearray)) else str(name)
        if int(flags) & SLAB_PANIC:
            from kmodsim.kernel.panic import panic

            panic("kmem_cache_create_usercopy: Failed to create slab '%s'. Error %d\n",
                  text, -22)
        log(k, 4, f"kmem_cache_create_usercopy({text}) failed with error -22\n")
        lm = _current.module()
        frames = live_frames(lm.path) if lm else []
        log_lines(k, [(4, line) for line in dump_stack(
            k, frames, lm.name if lm else "?",
            ["dump_stack_lvl+0x44/0x5c", "kmem_cache_create_usercopy.cold+0x2b/0x45"])])
        return None
    text = name.decode() if isinstance(name, (bytes, bytearray)) else str(name)
    return kmem_cache(text, n, int(align), int(flags), ctor, struct)


def KMEM_CACHE(struct: type, flags: int) -> kmem_cache | None:
    """`KMEM_CACHE(item, flags)` is `KMEM_CACHE(Item, flags)`: a cache named after the
    struct, of its size."""
    from kmodsim.kernel.ctype import sizeof

    return kmem_cache_create(struct.__name__, sizeof(struct), 0, flags, None)


def _cache_alive(cache: kmem_cache, fn: str) -> None:
    if cache is None:
        raise AttributeError("'NoneType' object has no attribute 'object_size'")
    if cache.destroyed:
        raise KernelBugFault(f"{fn}() on a destroyed cache",
                             f"{fn}({cache.name}) after kmem_cache_destroy(): the cache is "
                             f"freed memory")


def kmem_cache_alloc(cache: kmem_cache, flags: int = GFP_KERNEL) -> object:
    """An object from the cache: an object of the cache's class, or a KernelBuffer of its
    object size. A constructor given to kmem_cache_create() runs on it first."""
    k = _current.entry()
    _cache_alive(cache, "kmem_cache_alloc")
    if flags & __GFP_DIRECT_RECLAIM:
        might_sleep(k, "include/linux/sched/mm.h:306")
    mem = _slab(k).alloc(KernelBuffer(cache.object_size))
    mem.__dict__["cache"] = cache.name
    cache.live[mem.__dict__["addr"]] = (mem, cache.serial)
    cache.serial += 1
    obj: object = mem if cache.type is None else new_object(cache.type, mem)
    if cache.ctor is not None:
        cache.ctor(obj)
    return obj


def kmem_cache_zalloc(cache: kmem_cache, flags: int = GFP_KERNEL) -> object:
    return kmem_cache_alloc(cache, flags | __GFP_ZERO)


def kmem_cache_free(cache: kmem_cache, obj: object) -> None:
    """Give an object back to its cache (kfree() would do too)."""
    if obj is None:
        return
    k = _current.entry()
    mem = obj if isinstance(obj, KernelBuffer) else memory(obj)
    if mem is not None and not mem.__dict__.get("freed"):  # type: ignore[union-attr]
        owner = mem.__dict__.get("cache")  # type: ignore[union-attr]
        if cache is not None and owner != cache.name:
            lm = _current.module()
            warn(k, lm, "mm/slab.h:760 kmem_cache_free+0x2b8/0x360",
                 f"kmem_cache_free: Wrong slab cache. {cache.name} but object is from "
                 f"{owner or 'kmalloc-' + str(max(8, len(mem)))}")  # type: ignore[arg-type]
        if cache is not None:
            cache.live.pop(mem.__dict__["addr"], None)  # type: ignore[union-attr]
    kfree(obj)  # type: ignore[arg-type]


def kmem_cache_size(cache: kmem_cache) -> int:
    return cache.object_size


def kmem_cache_destroy(cache: kmem_cache | None) -> None:
    """Destroy a cache. Objects still allocated from it are a bug: SLUB lists them (`Objects
    remaining in NAME on __kmem_cache_shutdown()`) and the kernel WARNs `kmem_cache_destroy
    NAME: Slab cache still has objects`; they stay allocated, leaked."""
    if cache is None:
        return
    k = _current.entry()
    might_sleep(k, "mm/slab_common.c:472")
    if cache.destroyed:
        raise KernelBugFault("kmem_cache_destroy() twice",
                             f"kmem_cache_destroy({cache.name}) of a cache already destroyed")
    live = [entry for entry in cache.live.values() if not entry[0].__dict__.get("freed")]
    cache.destroyed = True
    if not live:
        return
    lm = _current.module()
    module = lm.name if lm else "?"
    frames = live_frames(lm.path) if lm else []
    name = cache.name
    from kmodsim.kernel.cformat import format_c

    slab = KMALLOC_BASE - 0x8000 + (zlib.crc32(name.encode()) & 0xFFF) * 0x40
    lines = [(3, "=" * 77),
             (3, f"BUG {name} ({tainted_text(k)}): Objects remaining in {name} on "
                 f"__kmem_cache_shutdown()"),
             (3, "-" * 77 + "\n"),
             (3, format_c("Slab 0x%p objects=%u used=%u fp=0x%p flags=%s", (
                 slab, cache.objects_per_slab, len(live), slab + 0x40,
                 "0xfffffc0000200(slab|node=0|zone=1|lastcpupid=0x1fffff)")))]
    lines += [(4, line) for line in dump_stack(k, frames, module, [
        "dump_stack_lvl+0x44/0x5c", "slab_err+0xae/0xe7",
        "__kmem_cache_shutdown.cold+0x34/0xe9", "kmem_cache_destroy+0x51/0x150"])]
    log_lines(k, lines)
    if not k.state(ModuleState).taint & _LOCKDEP_UNRELIABLE:  # slab_err()'s add_taint()
        log(k, 4, "Disabling lock debugging due to kernel taint\n")
    add_taint(k, TAINT_BAD_PAGE)
    per_slab = cache.objects_per_slab  # list_slab_objects(): those still allocated
    log_lines(k, [(3, format_c("Object 0x%p @offset=%u", (mem, (index % per_slab) *
                                                           cache.slot_size)))
                  for mem, index in sorted(live, key=lambda e: e[1] % per_slab)])
    caller = frames[0].symbol(module) if frames else "0x0"
    warn(k, lm, "mm/slab_common.c:493 kmem_cache_destroy+0x141/0x150",
         f"kmem_cache_destroy {name}: Slab cache still has objects when called from {caller}")
