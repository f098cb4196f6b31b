"""One ring-buffer record, as /dev/kmsg describes it."""

from __future__ import annotations

from dataclasses import dataclass

LOG_KERN = 0
LOG_USER = 1


@dataclass(slots=True)
class Record:
    seq: int
    ts_usec: int  # microseconds since boot
    level: int  # 0 (emerg) .. 7 (debug)
    text: str  # the message; may hold embedded newlines; never the trailing one
    facility: int = LOG_KERN
    cont: bool = False  # LOG_CONT: the kmsg flags column prints 'c' instead of '-'
    caller: str | None = None  # "T<pid>" or "C<cpu>", as printk's caller id

    @property
    def pri(self) -> int:
        return (self.facility << 3) | self.level
