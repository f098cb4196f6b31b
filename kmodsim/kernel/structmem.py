"""A module's structs in kernel memory: objects of the module's own classes that kmalloc made
(and kfree freed), kernel objects embedded in them (a list_head, a kref) and container_of,
and the pointers C code can hold that point nowhere good (a poisoned list pointer, an entry
computed from a list head).

C code reaches a struct through its address; Python code holds the object. What C makes of
addresses is kept here: an embedded object knows the struct it is embedded in, so that
container_of() finds it; a freed struct can't be read or written (KASAN's use-after-free);
and a pointer computed from something that is no struct (`list_first_entry()` of an empty
list, the entry after a list_del()'d one) faults when used, where and as C's would.
"""

from __future__ import annotations

import gc
import sys

from kmodsim.errors import SIGSEGV
from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.ctype import offsetof
from kmodsim.kernel.debug.kasan import KasanFault
from kmodsim.kernel.module import Module
from kmodsim.kernel.panic import KernelFault, oops
from kmodsim.kernel.printk import hint
from kmodsim.kernel.stacktrace import Frame, at

MEM = "__kmem__"  # an object's kmalloc'd memory, in its __dict__
CLASS = "__kmem_class__"  # a freed object's class before kfree


def is_module_object(obj: object) -> bool:
    """An instance of a class a module defines (its code runs as kmodsim.live.NAME)."""
    return type(obj).__module__.startswith("kmodsim.live.") and hasattr(obj, "__dict__")


def memory(obj: object) -> object:
    """The kmalloc'd memory behind a module object (None if it was never kmalloc'd)."""
    try:
        return object.__getattribute__(obj, "__dict__").get(MEM)
    except AttributeError:
        return None


def attach(obj: object, mem: object) -> None:
    """Note the kmalloc'd memory an object stands on (an object without a __dict__, of a
    class with __slots__, can't keep it: it is then not checked)."""
    try:
        object.__getattribute__(obj, "__dict__")[MEM] = mem
    except AttributeError:
        pass


def field_offset(cls: type, name: str) -> int:
    try:
        return offsetof(cls, name)
    except AttributeError:
        return 0


class FreedObject:
    """What an object of the module's becomes once kfree'd: any use of it is KASAN's
    use-after-free (its memory, with the allocation and the free, is in __dict__)."""

    __kmod_freed__ = True

    def __getattribute__(self, name: str) -> object:
        if name.startswith("__"):
            return object.__getattribute__(self, name)
        raise use_after_free(self, name, "read")

    def __setattr__(self, name: str, value: object) -> None:
        if name.startswith("__"):
            object.__setattr__(self, name, value)
            return
        raise use_after_free(self, name, "write")

    def __delattr__(self, name: str) -> None:
        raise use_after_free(self, name, "write")

    def __repr__(self) -> str:
        cls = object.__getattribute__(self, "__dict__").get(CLASS)
        return f"<freed {getattr(cls, '__name__', 'object')}>"


def is_freed(obj: object) -> bool:
    return bool(getattr(type(obj), "__kmod_freed__", False))


def use_after_free(obj: object, name: str, access: str) -> KasanFault:
    info = object.__getattribute__(obj, "__dict__")
    cls = info.get(CLASS, type(obj))
    return KasanFault("slab-use-after-free", access, 8, info.get(MEM),
                      field_offset(cls, name))


def free_object(obj: object) -> None:
    """kfree() of a module object: it becomes a FreedObject (its memory was freed first)."""
    info = object.__getattribute__(obj, "__dict__")
    info[CLASS] = type(obj)
    try:
        obj.__class__ = FreedObject
    except TypeError:  # a layout __class__ can't change to (a class with __slots__)
        pass


# -- embedded kernel objects and container_of --------------------------------------------


class Embedded:
    """A kernel object that lives inside a module's struct (a list_head, a kref): it notes the
    struct whose __init__ made it, so container_of() finds the struct at once."""

    __slots__ = ("_owner",)

    def __init__(self) -> None:
        self._owner = _constructing()


def _constructing() -> object:
    """The module object whose __init__ is running further up the stack, if any."""
    f = sys._getframe(2)
    while f is not None and f.f_globals.get("__name__", "").startswith("kmodsim.kernel"):
        f = f.f_back  # type: ignore[assignment]
    if f is None or f.f_code.co_name != "__init__" or not f.f_code.co_argcount:
        return None
    obj = f.f_locals.get(f.f_code.co_varnames[0])
    return obj if obj is not None and is_module_object(obj) else None


def owner_of(ptr: object, member: str | None = None) -> object:
    """The struct `ptr` is embedded in (as its field `member`, if given), or None."""
    owner = getattr(ptr, "_owner", None)
    if owner is not None and (member is None or _field_is(owner, member, ptr)):
        return owner
    for ref in gc.get_referrers(ptr):
        for candidate in (gc.get_referrers(ref) if isinstance(ref, dict) else [ref]):
            if is_module_object(candidate) or is_freed(candidate):
                info = object.__getattribute__(candidate, "__dict__")
                if info is ref or not isinstance(ref, dict):
                    names = [k for k, v in info.items() if v is ptr]
                    if names and (member is None or member in names):
                        try:
                            ptr._owner = candidate  # type: ignore[attr-defined]
                        except AttributeError:
                            pass
                        return candidate
    return None


def _field_is(owner: object, member: str, ptr: object) -> bool:
    try:
        return object.__getattribute__(owner, "__dict__").get(member) is ptr
    except AttributeError:
        return False


def member_of(owner: object, ptr: object) -> str | None:
    """The name of the field of `owner` that holds `ptr`."""
    try:
        info = object.__getattribute__(owner, "__dict__")
    except AttributeError:
        return None
    return next((k for k, v in info.items() if v is ptr), None)


def container_of(ptr: object, type_: type | None, member: str) -> object:
    """`container_of(ptr, struct item, node)` is `container_of(ptr, Item, "node")`: the struct
    whose field `member` is `ptr`. A pointer into no such struct gives what C would compute:
    an address that faults when used (WildPointer)."""
    if ptr is None:
        return WildPointer(-offset_in(type_, member), type_, "NULL")
    if isinstance(ptr, Poison):
        return WildPointer(ptr.address - offset_in(type_, member), type_, ptr.name)
    owner = owner_of(ptr, member)
    if owner is not None and (type_ is None or isinstance(owner, type_) or (
            is_freed(owner) and issubclass(
                object.__getattribute__(owner, "__dict__").get(CLASS, object), type_))):
        return owner
    return WildPointer(address_of_object(ptr) - offset_in(type_, member), type_, "", ptr)


def offset_in(type_: type | None, member: str) -> int:
    return field_offset(type_, member) if isinstance(type_, type) else 0


def address_of_object(obj: object) -> int:
    from kmodsim.kernel.cformat import address_of

    return address_of(obj)


# -- pointers to nowhere -------------------------------------------------------------------


class Poison:
    """A poison pointer value (include/linux/poison.h): what list_del() leaves in an entry so
    that using it faults. Non-canonical on x86-64: any access is a general protection
    fault."""

    __slots__ = ("address", "name")

    def __init__(self, address: int, name: str) -> None:
        self.address = address
        self.name = name

    def kmod_addr(self) -> int:
        return self.address

    def __getattr__(self, field: str) -> object:
        if field.startswith("__"):
            raise AttributeError(field)
        raise bad_address(self.address + _list_field(field), "read", self.name)

    def __setattr__(self, field: str, value: object) -> None:
        if field in Poison.__slots__:
            object.__setattr__(self, field, value)
            return
        raise bad_address(self.address + _list_field(field), "write", self.name)

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name  # LIST_POISON1 and LIST_POISON2 are names of list.py


POISON_POINTER_DELTA = 0xDEAD000000000000  # CONFIG_ILLEGAL_POINTER_VALUE on x86-64
LIST_POISON1 = Poison(0x100 + POISON_POINTER_DELTA, "LIST_POISON1")
LIST_POISON2 = Poison(0x122 + POISON_POINTER_DELTA, "LIST_POISON2")


def _list_field(field: str) -> int:
    return {"next": 0, "first": 0, "prev": 8, "pprev": 8}.get(field, 0)


class WildPointer:
    """A struct pointer C would have computed from something that isn't that struct: from a
    list head, NULL or a poison value. Using a field reads or writes wherever it points:
    through a poison or NULL value, the fault the hardware takes; next to a real object (a
    list head), KASAN's out-of-bounds report."""

    __slots__ = ("_address", "_type", "_via", "_near")

    def __init__(self, address: int, type_: type | None, via: str,
                 near: object = None) -> None:
        object.__setattr__(self, "_address", address & 0xFFFFFFFFFFFFFFFF)
        object.__setattr__(self, "_type", type_)
        object.__setattr__(self, "_via", via)
        object.__setattr__(self, "_near", near)

    def kmod_addr(self) -> int:
        return self._address

    def _fault(self, field: str, access: str) -> BaseException:
        addr = (self._address + offset_in(self._type, field)) & 0xFFFFFFFFFFFFFFFF
        if self._near is not None:  # beside a real object (a list head): out of its bounds
            near = self._near
            lm = _current.module()
            is_global = lm is not None and any(v is near for v in lm.ns.values())
            return KasanFault("global-out-of-bounds" if is_global else "stack-out-of-bounds",
                              access, 8, bytearray(16), addr - address_of_object(near), "")
        return bad_address(addr, access, self._via)

    def __getattr__(self, field: str) -> object:
        if field.startswith("__"):
            raise AttributeError(field)
        raise self._fault(field, "read")

    def __setattr__(self, field: str, value: object) -> None:
        raise self._fault(field, "write")

    def __repr__(self) -> str:
        return f"<bad pointer 0x{self._address:x}>"

    def __reduce__(self) -> tuple:
        return (WildPointer, (self._address, None, self._via))


def bad_address(addr: int, access: str, via: str = "") -> KernelFault:
    """The fault of an access at `addr`, where nothing is: near NULL, a NULL pointer
    dereference; a non-canonical address (a poison value), a general protection fault;
    anything else, a page fault."""
    if 0x0000800000000000 <= addr < 0xFFFF800000000000:
        return GeneralProtectionFault(addr, via)
    return BadAccess(addr, access)


class GeneralProtectionFault(KernelFault):
    """An access through a non-canonical address (a poison pointer): the CPU's general
    protection fault, the Oops, and the task killed by SIGSEGV."""

    signal = SIGSEGV

    def __init__(self, address: int, via: str = "") -> None:
        super().__init__(f"general protection fault at 0x{address:x}")
        self.address = address
        self.via = via

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        oops(k, self, lm, frames, first_lines=[],
             trap=f"general protection fault, probably for non-canonical address "
                  f"0x{self.address:x}")
        what = (f"a pointer {self.via} left behind" if self.via.startswith("LIST_POISON")
                else "a bad pointer")
        hint(k, f"kmodsim: hint: access through {what} (0x{self.address:x}): an entry "
                f"used after list_del() (delete while iterating needs the _safe iterator)"
                f"{at(frames)}" if self.via.startswith("LIST_POISON") else
             f"kmodsim: hint: access through {what} (0x{self.address:x}){at(frames)}")


class BadAccess(KernelFault):
    """An access where nothing is mapped: near 0, the NULL pointer dereference Oops; else the
    page fault's."""

    def __init__(self, address: int, access: str) -> None:
        super().__init__(f"bad access at 0x{address:x}")
        self.address = address
        self.access = access

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        from kmodsim.kernel.panic import page_fault_lines

        oops(k, self, lm, frames, page_fault_lines(self.address, self.access),
             address=self.address)
        what = "a NULL pointer" if self.address < 4096 else f"0x{self.address:x}"
        hint(k, f"kmodsim: hint: a struct reached through {what}{at(frames)}")
