"""KASAN's reports (mm/kasan/report.c): out-of-bounds, use-after-free, double-free."""

from __future__ import annotations

from kmodsim.kernel._current import Kernel
from kmodsim.kernel.module import TAINT_BAD_PAGE, Module, add_taint
from kmodsim.kernel.panic import KernelFault, oops
from kmodsim.kernel.printk import hint, log_lines
from kmodsim.kernel.stacktrace import HARDWARE, Frame, at, call_trace, cpu_line

RULE = "=" * 66
_CACHES = (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192)
GLOBAL_BASE = 0xFFFFFFFFC1000000  # module data, for buffers that are not from kmalloc
STACK_BASE = 0xFFFFC90000A07C00


def cache_size(size: int) -> int:
    return next((c for c in _CACHES if c >= size), size)


class KasanFault(KernelFault):
    """A bad access to kernel memory: KASAN's report, then the Oops."""

    def __init__(self, kind: str, access: str, size: int, buf: object, offset: int,
                 via: str = "") -> None:
        super().__init__(f"{kind}: {access} of size {size}")
        self.kind = kind  # slab-out-of-bounds, slab-use-after-free, double-free, …
        self.access = access  # read | write | free
        self.size = size
        self.buf = buf
        self.offset = offset
        self.via = via  # kernel function that made the access, e.g. _copy_from_user

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        module = lm.name if lm else "?"
        where = frames[0].symbol(module) if frames else self.via or "?"
        base = _address(self.buf, lm)
        size = len(self.buf)  # type: ignore[arg-type]
        lines = [RULE, f"BUG: KASAN: {self.kind} in {where}"]
        if self.kind == "double-free":
            lines.append(f"Free of addr {base:016x} by task {k.task.comm}/{k.task.pid}")
        else:
            lines.append(f"{self.access.capitalize()} of size {self.size} at addr "
                         f"{base + self.offset:016x} by task {k.task.comm}/{k.task.pid}")
        top = ["dump_stack_lvl+0x48/0x70", "print_report+0xd2/0x670", "kasan_report+0xd7/0x110"]
        if self.via:
            top += ["kasan_check_range+0x10c/0x1c0", f"{self.via}+0x2f/0x90"]
        if self.kind == "double-free":
            top += ["kasan_report_invalid_free+0x8f/0xc0", "kfree+0x11d/0x3c0"]
        lines += ["", cpu_line(k), f"Hardware name: {HARDWARE}",
                  *call_trace(k, frames, module, top), ""]
        info = getattr(self.buf, "__dict__", {})
        if "addr" in info:
            lines += [f"Allocated by task {info['pid']}:", " kasan_save_stack+0x33/0x60",
                      " __kasan_kmalloc+0x8f/0xa0", " __kmalloc+0x1b9/0x420",
                      f" {info['site']}", ""]
            if info.get("freed"):
                lines += [f"Freed by task {info['free_pid']}:", " kasan_save_stack+0x33/0x60",
                          " __kasan_slab_free+0x13a/0x1b0", " kfree+0x11d/0x3c0",
                          f" {info['free_site']}", ""]
            cache = cache_size(size)
            state = "freed" if info.get("freed") else "allocated"
            lines += [f"The buggy address belongs to the object at {base:016x}",
                      f" which belongs to the cache kmalloc-{cache} of size {cache}"]
            if self.offset >= size:
                lines.append(f"The buggy address is located {self.offset - size} bytes to "
                             f"the right of")
            else:
                lines.append(f"The buggy address is located {max(0, self.offset)} bytes "
                             f"inside of")
            lines.append(f" {state} {size}-byte region [{base:016x}, {base + size:016x})")
        else:
            kind = "global" if self.kind.startswith("global") else "stack"
            lines.append(f"The buggy address belongs to the {kind} variable of size {size}")
        lines.append(RULE)
        log_lines(k, [(3, line) for line in lines])
        add_taint(k, TAINT_BAD_PAGE)  # B, as KASAN marks it
        oops(k, self, lm, frames, first_lines=[])
        hint(k, f"kmodsim: hint: {self.hint_text(size)}{at(frames)}")

    def hint_text(self, size: int) -> str:
        if self.kind == "double-free":
            return "kfree() of a buffer that was already freed"
        if "use-after-free" in self.kind:
            return f"{self.access} of a buffer after kfree()"
        return (f"{self.access} of {self.size} bytes at offset {self.offset} of a "
                f"{size}-byte buffer")


def _address(buf: object, lm: Module | None) -> int:
    info = getattr(buf, "__dict__", {})
    if "addr" in info:
        return int(info["addr"])
    if lm is not None and any(v is buf for v in lm.ns.values()):
        return GLOBAL_BASE
    return STACK_BASE


def bad_kernel_length(buf: object, n: int, access: str, via: str,
                      lm: Module | None) -> KasanFault:
    """A copy of `n` bytes into or out of a kernel buffer that is smaller."""
    info = getattr(buf, "__dict__", {})
    if info.get("freed"):
        return KasanFault("slab-use-after-free", access, n, buf, 0, via)
    size = len(buf)  # type: ignore[arg-type]
    if "addr" in info:
        kind = "slab-out-of-bounds"
    elif lm is not None and any(v is buf for v in lm.ns.values()):
        kind = "global-out-of-bounds"
    else:
        kind = "stack-out-of-bounds"
    return KasanFault(kind, access, n, buf, size, via)
