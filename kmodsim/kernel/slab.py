"""kmalloc and friends (include/linux/slab.h), checked as a KASAN + kmemleak kernel checks them.

A buffer is a `KernelBuffer`, a bytearray that knows its address, where it was allocated
and whether it was freed. Every buffer a module allocates is remembered with the module's
memory, so a buffer it lost track of can be reported as a leak when it is removed.
"""

from __future__ import annotations

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.debug.atomic_sleep import might_sleep
from kmodsim.kernel.debug.kasan import KasanFault
from kmodsim.kernel.stacktrace import live_frames, module_base
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


class SlabState(State):
    """Where the next kmalloc'd object goes. The objects themselves are module memory (each
    module's `slab` objects, by address), so a leak can be reported when it is removed."""

    PREFIX = "slab"

    def alloc(self, buf: KernelBuffer) -> KernelBuffer:
        k = self.k
        lm = _current.module()
        frames = live_frames(lm.path) if lm else []
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
    size = int(size)
    if size < 0 or size > KMALLOC_MAX_SIZE:
        return None
    return _slab(k).alloc(KernelBuffer(size))


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
    _slab(k).free(buf)


def ksize(buf: KernelBuffer) -> int:
    return len(buf)


vmalloc = kmalloc
vzalloc = kzalloc
vfree = kfree
kvmalloc = kmalloc
kvzalloc = kzalloc
kvfree = kfree
