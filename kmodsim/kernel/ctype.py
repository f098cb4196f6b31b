"""C's scalar types (include/linux/types.h) and sizeof, for module code that needs C's widths.

A Python int has no width and never wraps; a C integer does both. A C type here is a value a
module can name as C names it (`u8`, `u32`, `size_t`, `ulong`…) and call as a cast:
`u8(300)` is 44 and `s32(0x80000000)` is -2147483648, as `(u8)300` and `(s32)0x80000000` are.
`int` and `bool` stay Python's own; where a C type is expected they mean C's `int` (32 bits)
and `bool`.

sizeof() answers what C would for the Python objects module code holds (README: "What sizeof
means"): a C type its width, a byte buffer its length, a string literal its length and NUL, a
class a struct of its fields. A struct's layout is the fields its `__init__` assigns to `self`,
in order: a list_head or hlist_node 16 bytes, anything else 8 (a pointer or a long), with no
padding, so that `offsetof()` and the addresses in the kernel's reports stay predictable.
"""

from __future__ import annotations

import dis
import types

NULL = None  # C's null pointer: Python's None


class ctype:
    """A C integer type: its name, size in bytes and signedness; calling it casts."""

    __slots__ = ("name", "size", "signed")

    def __init__(self, name: str, size: int, signed: bool) -> None:
        self.name = name
        self.size = size
        self.signed = signed

    @property
    def bits(self) -> int:
        return self.size * 8

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def __call__(self, value: object) -> int:
        """The C cast `(type)value`: keep the low bits, then read them as this type."""
        return wrap(int(value), self.bits, self.signed)  # type: ignore[call-overload]

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name  # a module-level name of this file


def wrap(value: int, bits: int, signed: bool) -> int:
    """`value` as a `bits`-wide C integer (two's complement)."""
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


u8, s8 = ctype("u8", 1, False), ctype("s8", 1, True)
u16, s16 = ctype("u16", 2, False), ctype("s16", 2, True)
u32, s32 = ctype("u32", 4, False), ctype("s32", 4, True)
u64, s64 = ctype("u64", 8, False), ctype("s64", 8, True)
uint8_t, int8_t = ctype("uint8_t", 1, False), ctype("int8_t", 1, True)
uint16_t, int16_t = ctype("uint16_t", 2, False), ctype("int16_t", 2, True)
uint32_t, int32_t = ctype("uint32_t", 4, False), ctype("int32_t", 4, True)
uint64_t, int64_t = ctype("uint64_t", 8, False), ctype("int64_t", 8, True)
char = ctype("char", 1, True)  # x86-64: plain char is signed
unchar = ctype("unchar", 1, False)
short = ctype("short", 2, True)
ushort = ctype("ushort", 2, False)
uint = ctype("uint", 4, False)
long = ctype("long", 8, True)
ulong = ctype("ulong", 8, False)
longlong = ctype("longlong", 8, True)
ulonglong = ctype("ulonglong", 8, False)
size_t = ctype("size_t", 8, False)
ssize_t = ctype("ssize_t", 8, True)
uintptr_t = ctype("uintptr_t", 8, False)
ptrdiff_t = ctype("ptrdiff_t", 8, True)
pid_t = ctype("pid_t", 4, True)
umode_t = ctype("umode_t", 2, False)
dev_t = ctype("dev_t", 4, False)
gfp_t = ctype("gfp_t", 4, False)

C_INT = s32  # what Python's `int` stands for where a C type is asked for
_BY_NAME = {t.name: t for t in (u8, s8, u16, s16, u32, s32, u64, s64, char, unchar, short,
                                ushort, uint, long, ulong, longlong, ulonglong, size_t,
                                ssize_t, uintptr_t, ptrdiff_t, pid_t, umode_t, dev_t, gfp_t)}
_BY_NAME.update({"int": s32, "unsigned int": u32, "unsigned long": u64, "byte": u8,
                 "ullong": u64, "unsigned long long": u64, "long long": s64, "loff_t": s64,
                 "hexint": u32})


def as_ctype(t: object) -> ctype | None:
    """The C type `t` names: a ctype, Python's int (C's int), bool, or a type's name."""
    if isinstance(t, ctype):
        return t
    if t is int:
        return C_INT
    if t is bool:
        return u8
    if isinstance(t, str):
        return _BY_NAME.get(t)
    name = getattr(t, "__name__", None)  # loff_t, the file offset class
    return _BY_NAME.get(name) if isinstance(name, str) else None


def cast(t: object, value: object) -> object:
    """`(t)value` for an integer type `t`; other values pass unchanged."""
    c = as_ctype(t)
    if c is None or not isinstance(value, int):
        return value
    return c(value)


# -- sizeof ----------------------------------------------------------------------------------

POINTER = 8
LIST_NODE = 16  # struct list_head, struct hlist_node: two pointers
_NODE_FACTORIES = {"list_head", "LIST_HEAD_INIT", "LIST_HEAD", "hlist_node", "INIT_LIST_HEAD"}


class size(int):
    """What sizeof() returns: an int that remembers which type it measured, so that
    `kmalloc(sizeof(Item), GFP_KERNEL)` can give back an Item."""

    type: object = None

    def __new__(cls, n: int, of: object = None) -> size:
        obj = super().__new__(cls, n)
        obj.type = of
        return obj

    def __reduce__(self) -> tuple:
        return (int, (int(self),))


def struct_fields(cls: type) -> list[tuple[str, int]]:
    """(field, size) of a module class, in the order its __init__ first assigns them."""
    cached = cls.__dict__.get("__kmod_fields__")
    if cached is not None:
        return cached
    fields: list[tuple[str, int]] = []
    init = getattr(cls, "__init__", None)
    code = getattr(init, "__code__", None)
    if isinstance(code, types.CodeType) and code.co_argcount:
        self_name = code.co_varnames[0]
        seen: set[str] = set()
        last_global = ""
        stack_self = False
        for ins in dis.get_instructions(code):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                last_global = str(ins.argval)
            elif ins.opname == "LOAD_FAST":
                stack_self = ins.argval == self_name
            elif ins.opname == "STORE_ATTR":
                name = str(ins.argval)
                if stack_self and name not in seen:
                    seen.add(name)
                    fields.append((name, LIST_NODE if last_global in _NODE_FACTORIES
                                   else POINTER))
                last_global = ""
                stack_self = False
    try:
        cls.__kmod_fields__ = fields
    except (AttributeError, TypeError):
        pass
    return fields


def offsetof(cls: type, member: str) -> int:
    """`offsetof(struct item, node)` is `offsetof(Item, "node")`."""
    off = 0
    for name, n in struct_fields(cls):
        if name == member:
            return off
        off += n
    raise AttributeError(f"offsetof: {cls.__name__} has no field {member!r} (fields are what "
                         f"its __init__ assigns to self)")


def struct_size(cls: type) -> int:
    return max(POINTER, sum(n for _, n in struct_fields(cls)))


def sizeof(x: object) -> int:
    """C's sizeof for what module code holds (see the file's docstring)."""
    if isinstance(x, ctype) or x is int or x is bool or (
            isinstance(x, type) and x.__name__ == "loff_t"):
        return size(as_ctype(x).size, x)  # type: ignore[union-attr]
    if isinstance(x, bool):
        return size(1)
    if isinstance(x, int):
        return size(4)  # an int variable: C's int
    if isinstance(x, str):
        return size(len(x.encode()) + 1)  # a string literal: its bytes and the NUL
    if isinstance(x, (bytes, bytearray, memoryview)):
        return size(len(x))
    if isinstance(x, (list, tuple)):
        return size(len(x) * (int(sizeof(x[0])) if x else 0))
    ksize = getattr(type(x), "__ksize__", None)  # kernel objects say their own size
    if isinstance(ksize, int):
        return size(ksize, type(x))
    if isinstance(x, type):
        ksize = getattr(x, "__ksize__", None)
        if isinstance(ksize, int):
            return size(ksize, x)
        return size(struct_size(x), x)
    if hasattr(x, "__dict__"):
        return size(struct_size(type(x)), type(x))
    return size(POINTER)
