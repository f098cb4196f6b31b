"""One ring-buffer record, as /dev/kmsg describes it.

A plain class with __slots__ rather than a dataclass: every `kmod` command that logs builds
these, and importing dataclasses costs a new process more than the class itself does.
"""

from __future__ import annotations

LOG_KERN = 0
LOG_USER = 1


class Record:
    __slots__ = ("seq", "ts_usec", "level", "text", "facility", "cont", "caller")

    def __init__(self, seq: int, ts_usec: int, level: int, text: str,
                 facility: int = LOG_KERN, cont: bool = False, caller: str | None = None
                 ) -> None:
        self.seq = seq
        self.ts_usec = ts_usec  # microseconds since boot
        self.level = level  # 0 (emerg) .. 7 (debug)
        self.text = text  # the message; may hold embedded newlines; never the trailing one
        self.facility = facility
        self.cont = cont  # LOG_CONT: the kmsg flags column prints 'c' instead of '-'
        self.caller = caller  # "T<pid>" or "C<cpu>", as printk's caller id

    @property
    def pri(self) -> int:
        return (self.facility << 3) | self.level

    def _fields(self) -> tuple:
        return tuple(getattr(self, f) for f in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        args = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__)
        return f"Record({args})"
