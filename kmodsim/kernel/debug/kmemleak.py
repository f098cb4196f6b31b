"""kmemleak's report (mm/kmemleak.c) for buffers a module allocated and never freed.

The real kmemleak scans memory every ten minutes; kmodsim scans when a module is removed,
which is when a learner wants to know.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from kmodsim.kernel._current import Kernel
from kmodsim.kernel.printk import hint, log, log_lines

if TYPE_CHECKING:
    from kmodsim.kernel.module import Module
    from kmodsim.kernel.slab import KernelBuffer


def _hex_rows(data: bytes) -> list[str]:
    rows = []
    for i in range(0, min(32, len(data)), 16):
        chunk = data[i : i + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append(f"    {' '.join(f'{b:02x}' for b in chunk):<47}  {text}")
    return rows


def report_leaks(k: Kernel, lm: Module) -> None:
    leaks: list[KernelBuffer] = [b for b in lm.objects_of("slab").values()
                                 if not b.__dict__.get("freed")]
    if not leaks:
        return
    lines: list[str] = []
    for buf in leaks:
        info = buf.__dict__
        data = bytes(bytearray(buf))
        lines += [f"unreferenced object 0x{info['addr']:x} (size {len(buf)}):",
                  f'  comm "{info["comm"]}", pid {info["pid"]}, jiffies {info["jiffies"]}',
                  f"  hex dump (first {min(32, len(data))} bytes):", *_hex_rows(data),
                  f"  backtrace (crc {zlib.crc32(info['site'].encode()):x}):",
                  "    [<ffffffff812a3b4c>] __kmalloc+0x1b9/0x420",
                  f"    [<{info['site_addr']:016x}>] {info['site']}"]
    log_lines(k, [(4, line) for line in lines])
    n = len(leaks)
    log(k, 6, f"kmemleak: {n} new suspected memory leak{'s' if n > 1 else ''} "
                f"(see /sys/kernel/debug/kmemleak)\n")
    first = leaks[0].__dict__
    hint(k, f"kmodsim: hint: {lm.name} never kfree'd {n} buffer{'s' if n > 1 else ''}; the "
           f"first was allocated at {first['where']}")
