"""Linked lists (include/linux/list.h), checked as CONFIG_DEBUG_LIST checks them
(lib/list_debug.c).

A list runs through `list_head` fields of the module's own structs, as in C:

    class Item:                          # struct item {
        def __init__(self):
            self.value = 0               #     int value;
            self.node = list_head()      #     struct list_head node;
                                         # };
    items = LIST_HEAD()                  # static LIST_HEAD(items);

    item = kmalloc(sizeof(Item), GFP_KERNEL)
    list_add_tail(item.node, items)      # list_add_tail(&item->node, &items);
    for pos in list_for_each_entry(items, Item, "node"):   # list_for_each_entry(pos, &items, node)
        pr_info("%d\\n", pos.value)

Iterators are Python generators over C's loops: `for pos in list_for_each_entry(head, Item,
"node"):` for `list_for_each_entry(pos, head, node)`; the `_safe` ones fetch the next entry
before the body runs, as C's do, so the body may list_del() the current one. A list_head
knows the struct its __init__ made it in, so list_entry()/container_of() find the struct.

Lists live in module memory between commands like any data. Misuse faults as in C:
list_del() leaves LIST_POISON1/2 in the entry, so a second list_del() is the kernel's
`list_del corruption` BUG and an entry used after it (deleting in a plain list_for_each*)
is a general protection fault; an entry kfree'd while still on a list is KASAN's
use-after-free when the list next reaches it.
"""

from __future__ import annotations

from collections.abc import Iterator

from kmodsim.errors import SIGSEGV
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.cformat import address_of, format_c
from kmodsim.kernel.debug.kasan import KasanFault
from kmodsim.kernel.module import Module
from kmodsim.kernel.panic import KernelFault, oops
from kmodsim.kernel.printk import hint
from kmodsim.kernel.stacktrace import Frame, at
from kmodsim.kernel.structmem import (
    LIST_POISON1,
    LIST_POISON2,
    MEM,
    Embedded,
    Poison,
    WildPointer,
    container_of,
    field_offset,
    is_freed,
    member_of,
)


class _Node(Embedded):
    """A list node whose links are checked on use: reading the links of a node inside a
    kfree'd struct is KASAN's use-after-free, as reading freed memory is."""

    __slots__ = ()
    __ksize__ = 16

    def _check(self, field: str, access: str) -> None:
        owner = self._owner
        if owner is not None and is_freed(owner):
            info = object.__getattribute__(owner, "__dict__")
            cls = info.get("__kmem_class__")
            member = member_of(owner, self) or ""
            off = field_offset(cls, member) + (8 if field in ("prev", "pprev") else 0) \
                if isinstance(cls, type) else 0
            raise KasanFault("slab-use-after-free", access, 8, info.get(MEM), off)

    def kmod_addr(self) -> int:
        owner = self._owner
        if owner is not None:
            member = member_of(owner, self)
            cls = object.__getattribute__(owner, "__dict__").get("__kmem_class__") \
                if is_freed(owner) else type(owner)
            return address_of(owner) + (field_offset(cls, member) if member else 0)
        return address_of_static(self)


def _pointer(field: str) -> property:
    """A node's pointer field (stored in the slot `_field`): every read and write of it is
    checked first, so a node in freed memory is KASAN's use-after-free."""
    slot = "_" + field

    def read(node: _Node) -> object:
        node._check(field, "read")
        return getattr(node, slot)

    def write(node: _Node, value: object) -> None:
        node._check(field, "write")
        setattr(node, slot, value)

    return property(read, write)


def address_of_static(obj: object) -> int:
    """A list head that is a variable: an address in the module's data."""
    return 0xFFFFFFFFC0202000 + (id(obj) >> 4 & 0xFF) * 16


class list_head(_Node):
    """struct list_head: `next` and `prev`. `list_head()` is a field not yet initialized
    (both NULL, as in a zeroed struct): INIT_LIST_HEAD() it or list_add() it before use.
    LIST_HEAD() gives an initialized, empty list."""

    __slots__ = ("_next", "_prev")

    def __init__(self) -> None:
        super().__init__()
        self._next: object = None
        self._prev: object = None

    next = _pointer("next")
    prev = _pointer("prev")

    def __repr__(self) -> str:
        return f"<list_head 0x{self.kmod_addr():x}>"

    def __getstate__(self) -> tuple:
        return (self._owner, self._next, self._prev)

    def __setstate__(self, state: tuple) -> None:
        self._owner, self._next, self._prev = state


def LIST_HEAD() -> list_head:
    """`static LIST_HEAD(items);` is `items = LIST_HEAD()`: an empty list."""
    head = list_head()
    head._next = head._prev = head
    return head


LIST_HEAD_INIT = LIST_HEAD


def INIT_LIST_HEAD(lst: list_head) -> None:
    lst.next = lst
    lst.prev = lst


# -- CONFIG_DEBUG_LIST -----------------------------------------------------------------------

class ListCorruption(KernelFault):
    """CHECK_DATA_CORRUPTION() with CONFIG_BUG_ON_DATA_CORRUPTION (as Debian's kernel has it):
    the message, then BUG() in lib/list_debug.c."""

    signal = SIGSEGV

    def __init__(self, message: str, line: int, function: str, why: str) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.function = function
        self.why = why

    def report(self, k: Kernel, lm: Module | None, frames: list[Frame]) -> None:
        first = [(3, self.message), (4, "------------[ cut here ]------------"),
                 (2, f"kernel BUG at lib/list_debug.c:{self.line}!")]
        # the BUG is in the kernel's function; the module's frames are all its callers
        oops(k, self, lm, frames[:1] + frames, first_lines=first, trap="invalid opcode",
             rip=f"{self.function}.cold+0x5c/0x6f")
        hint(k, f"kmodsim: hint: {self.why}{at(frames)}")


def _px(obj: object) -> str:
    return format_c("%px", (obj,))


def _add_valid(new: list_head, prev: object, nxt: object) -> None:
    fn = "__list_add_valid"
    if prev is None:
        raise ListCorruption("list_add corruption. prev is NULL.", 23, fn,
                             "list_add() on a list that was never initialized (LIST_HEAD() "
                             "or INIT_LIST_HEAD())")
    if nxt is None:
        raise ListCorruption("list_add corruption. next is NULL.", 25, fn,
                             "list_add() on a list that was never initialized (LIST_HEAD() "
                             "or INIT_LIST_HEAD())")
    if nxt.prev is not prev:  # type: ignore[attr-defined]
        raise ListCorruption(
            f"list_add corruption. next->prev should be prev ({_px(prev)}), but was "
            f"{_px(nxt.prev)}. (next={_px(nxt)}).", 27, fn,  # type: ignore[attr-defined]
            "the list was corrupted before this list_add()")
    if prev.next is not nxt:  # type: ignore[attr-defined]
        raise ListCorruption(
            f"list_add corruption. prev->next should be next ({_px(nxt)}), but was "
            f"{_px(prev.next)}. (prev={_px(prev)}).", 30, fn,  # type: ignore[attr-defined]
            "the list was corrupted before this list_add()")
    if new is prev or new is nxt:
        raise ListCorruption(
            f"list_add double add: new={_px(new)}, prev={_px(prev)}, next={_px(nxt)}.", 33,
            fn, "list_add() of an entry that is already on the list")


def _del_valid(entry: list_head) -> None:
    fn = "__list_del_entry_valid"
    prev, nxt = entry.prev, entry.next
    if nxt is None:
        raise ListCorruption(f"list_del corruption, {_px(entry)}->next is NULL", 49, fn,
                             "list_del() of an entry that was never added to a list")
    if prev is None:
        raise ListCorruption(f"list_del corruption, {_px(entry)}->prev is NULL", 51, fn,
                             "list_del() of an entry that was never added to a list")
    if nxt is LIST_POISON1:
        raise ListCorruption(
            f"list_del corruption, {_px(entry)}->next is LIST_POISON1 ({_px(LIST_POISON1)})",
            53, fn, "list_del() of an entry already deleted (list_del() twice?)")
    if prev is LIST_POISON2:
        raise ListCorruption(
            f"list_del corruption, {_px(entry)}->prev is LIST_POISON2 ({_px(LIST_POISON2)})",
            56, fn, "list_del() of an entry already deleted (list_del() twice?)")
    if prev.next is not entry:  # type: ignore[attr-defined]
        raise ListCorruption(
            f"list_del corruption. prev->next should be {_px(entry)}, but was "
            f"{_px(prev.next)}. (prev={_px(prev)})", 59, fn,  # type: ignore[attr-defined]
            "the list was corrupted: the entry's neighbour doesn't point back at it")
    if nxt.prev is not entry:  # type: ignore[attr-defined]
        raise ListCorruption(
            f"list_del corruption. next->prev should be {_px(entry)}, but was "
            f"{_px(nxt.prev)}. (next={_px(nxt)})", 62, fn,  # type: ignore[attr-defined]
            "the list was corrupted: the entry's neighbour doesn't point back at it")


# -- adding and removing ---------------------------------------------------------------------

def __list_add(new: list_head, prev: list_head, nxt: list_head) -> None:
    _add_valid(new, prev, nxt)
    nxt.prev = new
    new.next = nxt
    new.prev = prev
    prev.next = new


def list_add(new: list_head, head: list_head) -> None:
    """Insert `new` right after `head` (a stack: the newest first)."""
    __list_add(new, head, head.next)  # type: ignore[arg-type]


def list_add_tail(new: list_head, head: list_head) -> None:
    """Insert `new` before `head`, at the end of the list (a queue)."""
    __list_add(new, head.prev, head)  # type: ignore[arg-type]


def __list_del(prev: list_head, nxt: list_head) -> None:
    nxt.prev = prev
    prev.next = nxt


def __list_del_entry(entry: list_head) -> None:
    _del_valid(entry)
    __list_del(entry.prev, entry.next)  # type: ignore[arg-type]


def list_del(entry: list_head) -> None:
    """Unlink `entry`; its links are poisoned (LIST_POISON1/2) so that any later use
    faults."""
    __list_del_entry(entry)
    entry.next = LIST_POISON1
    entry.prev = LIST_POISON2


def list_del_init(entry: list_head) -> None:
    """Unlink `entry` and make it an empty list of its own (safe to delete again)."""
    __list_del_entry(entry)
    INIT_LIST_HEAD(entry)


def list_replace(old: list_head, new: list_head) -> None:
    new.next = old.next
    new.next.prev = new  # type: ignore[attr-defined]
    new.prev = old.prev
    new.prev.next = new  # type: ignore[attr-defined]


def list_replace_init(old: list_head, new: list_head) -> None:
    list_replace(old, new)
    INIT_LIST_HEAD(old)


def list_swap(entry1: list_head, entry2: list_head) -> None:
    pos = entry2.prev
    list_del(entry2)
    list_replace(entry1, entry2)
    if pos is entry1:
        pos = entry2
    list_add(entry1, pos)  # type: ignore[arg-type]


def list_move(lst: list_head, head: list_head) -> None:
    """Delete `lst` from its list and add it after `head`."""
    __list_del_entry(lst)
    list_add(lst, head)


def list_move_tail(lst: list_head, head: list_head) -> None:
    __list_del_entry(lst)
    list_add_tail(lst, head)


def list_is_first(lst: list_head, head: list_head) -> bool:
    return lst.prev is head


def list_is_last(lst: list_head, head: list_head) -> bool:
    return lst.next is head


def list_is_head(lst: object, head: list_head) -> bool:
    return lst is head


def list_empty(head: list_head) -> bool:
    return head.next is head


def list_empty_careful(head: list_head) -> bool:
    nxt = head.next
    return nxt is head and nxt is head.prev


def list_is_singular(head: list_head) -> bool:
    return not list_empty(head) and head.next is head.prev


def list_count_nodes(head: list_head) -> int:
    count = 0
    for _ in list_for_each(head):
        count += 1
    return count


def list_rotate_left(head: list_head) -> None:
    if not list_empty(head):
        list_move_tail(head.next, head)  # type: ignore[arg-type]


def __list_splice(lst: list_head, prev: list_head, nxt: list_head) -> None:
    first, last = lst.next, lst.prev
    first.prev = prev  # type: ignore[attr-defined]
    prev.next = first
    last.next = nxt  # type: ignore[attr-defined]
    nxt.prev = last


def list_splice(lst: list_head, head: list_head) -> None:
    """Join list `lst` (its entries, not its head) after `head`."""
    if not list_empty(lst):
        __list_splice(lst, head, head.next)  # type: ignore[arg-type]


def list_splice_tail(lst: list_head, head: list_head) -> None:
    if not list_empty(lst):
        __list_splice(lst, head.prev, head)  # type: ignore[arg-type]


def list_splice_init(lst: list_head, head: list_head) -> None:
    if not list_empty(lst):
        __list_splice(lst, head, head.next)  # type: ignore[arg-type]
        INIT_LIST_HEAD(lst)


def list_splice_tail_init(lst: list_head, head: list_head) -> None:
    if not list_empty(lst):
        __list_splice(lst, head.prev, head)  # type: ignore[arg-type]
        INIT_LIST_HEAD(lst)


def list_cut_position(lst: list_head, head: list_head, entry: list_head) -> None:
    """Move head's entries up to and including `entry` to `lst`."""
    if list_empty(head):
        return
    if list_is_singular(head) and head.next is not entry and head is not entry:
        return
    if entry is head:
        INIT_LIST_HEAD(lst)
        return
    new_first = entry.next
    lst.next = head.next
    lst.next.prev = lst  # type: ignore[attr-defined]
    lst.prev = entry
    entry.next = lst
    head.next = new_first
    new_first.prev = head  # type: ignore[attr-defined]


# -- entries ---------------------------------------------------------------------------------

def list_entry(ptr: object, type_: type, member: str) -> object:
    """`list_entry(ptr, struct item, node)` is `list_entry(ptr, Item, "node")`."""
    return container_of(ptr, type_, member)


def list_first_entry(head: list_head, type_: type, member: str) -> object:
    """The first entry; on an empty list, C computes an entry from the head itself, and so
    does this: using it reads outside the head (check list_empty() first, or use
    list_first_entry_or_null())."""
    return container_of(head.next, type_, member)


def list_last_entry(head: list_head, type_: type, member: str) -> object:
    return container_of(head.prev, type_, member)


def list_first_entry_or_null(head: list_head, type_: type, member: str) -> object:
    pos = head.next
    return None if pos is head else container_of(pos, type_, member)


def list_last_entry_or_null(head: list_head, type_: type, member: str) -> object:
    pos = head.prev
    return None if pos is head else container_of(pos, type_, member)


def _node(entry: object, member: str) -> object:
    return getattr(entry, member)


def list_next_entry(pos: object, member: str) -> object:
    """The entry after `pos` (of the same type, linked by field `member`)."""
    node = _node(pos, member)
    return container_of(node.next, _entry_type(pos), member)  # type: ignore[attr-defined]


def list_prev_entry(pos: object, member: str) -> object:
    node = _node(pos, member)
    return container_of(node.prev, _entry_type(pos), member)  # type: ignore[attr-defined]


def _entry_type(pos: object) -> type | None:
    cls = type(pos)
    if is_freed(pos):
        return object.__getattribute__(pos, "__dict__").get("__kmem_class__")
    return None if cls is WildPointer else cls


def _is_head(pos: object, head: object, member: str) -> bool:
    """list_entry_is_head(): is &pos->member the head? Pointer arithmetic, no access."""
    if type(pos) is WildPointer:  # computed from a node: is that node the head?
        return object.__getattribute__(pos, "_near") is head
    try:
        return object.__getattribute__(pos, "__dict__").get(member) is head
    except AttributeError:
        return False


# -- iterating -------------------------------------------------------------------------------

def list_for_each(head: list_head) -> Iterator[list_head]:
    """`list_for_each(pos, head)`: `for pos in list_for_each(head):` (the nodes)."""
    pos = head.next
    while pos is not head:
        yield pos  # type: ignore[misc]
        pos = pos.next  # type: ignore[attr-defined]


def list_for_each_prev(head: list_head) -> Iterator[list_head]:
    pos = head.prev
    while pos is not head:
        yield pos  # type: ignore[misc]
        pos = pos.prev  # type: ignore[attr-defined]


def list_for_each_safe(head: list_head) -> Iterator[list_head]:
    """`list_for_each_safe(pos, n, head)`: `for pos in list_for_each_safe(head):`; the body
    may delete pos."""
    pos = head.next
    n = pos.next  # type: ignore[attr-defined]
    while pos is not head:
        yield pos  # type: ignore[misc]
        pos, n = n, n.next  # type: ignore[attr-defined]


def list_for_each_prev_safe(head: list_head) -> Iterator[list_head]:
    pos = head.prev
    n = pos.prev  # type: ignore[attr-defined]
    while pos is not head:
        yield pos  # type: ignore[misc]
        pos, n = n, n.prev  # type: ignore[attr-defined]


def list_for_each_entry(head: list_head, type_: type, member: str) -> Iterator:
    """`list_for_each_entry(pos, head, member)` with `struct T *pos`:
    `for pos in list_for_each_entry(head, T, "member"):`. Don't delete pos in the body
    (use list_for_each_entry_safe)."""
    pos = list_first_entry(head, type_, member)
    while not _is_head(pos, head, member):
        yield pos
        pos = container_of(getattr(pos, member).next, type_, member)


def list_for_each_entry_reverse(head: list_head, type_: type, member: str) -> Iterator:
    pos = list_last_entry(head, type_, member)
    while not _is_head(pos, head, member):
        yield pos
        pos = container_of(getattr(pos, member).prev, type_, member)


def list_for_each_entry_safe(head: list_head, type_: type, member: str) -> Iterator:
    """`list_for_each_entry_safe(pos, n, head, member)`:
    `for pos in list_for_each_entry_safe(head, T, "member"):`; the body may list_del() and
    kfree() pos."""
    pos = list_first_entry(head, type_, member)
    n = container_of(getattr(pos, member).next, type_, member) \
        if not _is_head(pos, head, member) else pos
    while not _is_head(pos, head, member):
        yield pos
        pos = n
        if not _is_head(pos, head, member):
            n = container_of(getattr(pos, member).next, type_, member)


def list_for_each_entry_safe_reverse(head: list_head, type_: type, member: str) -> Iterator:
    pos = list_last_entry(head, type_, member)
    n = container_of(getattr(pos, member).prev, type_, member) \
        if not _is_head(pos, head, member) else pos
    while not _is_head(pos, head, member):
        yield pos
        pos = n
        if not _is_head(pos, head, member):
            n = container_of(getattr(pos, member).prev, type_, member)


def list_for_each_entry_continue(pos: object, head: list_head, member: str) -> Iterator:
    """Go on after `pos` (not including it)."""
    type_ = _entry_type(pos)
    pos = container_of(getattr(pos, member).next, type_, member)
    while not _is_head(pos, head, member):
        yield pos
        pos = container_of(getattr(pos, member).next, type_, member)


def list_for_each_entry_from(pos: object, head: list_head, member: str) -> Iterator:
    """Go on from `pos` (including it)."""
    type_ = _entry_type(pos)
    while not _is_head(pos, head, member):
        yield pos
        pos = container_of(getattr(pos, member).next, type_, member)


# -- hlist: lists with a one-pointer head, for hash tables ----------------------------------

class hlist_head:
    """struct hlist_head: `first` (None when empty)."""

    __slots__ = ("first",)
    __ksize__ = 8

    def __init__(self) -> None:
        self.first: object = None

    def kmod_addr(self) -> int:
        return address_of_static(self)

    def __getstate__(self) -> tuple:
        return (self.first,)

    def __setstate__(self, state: tuple) -> None:
        (self.first,) = state

    def __repr__(self) -> str:
        return f"<hlist_head 0x{self.kmod_addr():x}>"


class hlist_node(_Node):
    """struct hlist_node: `next`, and `pprev`, here the node or head whose pointer points at
    this one (C's pointer to that pointer). None and None until added."""

    __slots__ = ("_next", "_pprev")

    def __init__(self) -> None:
        super().__init__()
        self._next: object = None
        self._pprev: object = None

    next = _pointer("next")
    pprev = _pointer("pprev")

    def __getstate__(self) -> tuple:
        return (self._owner, self._next, self._pprev)

    def __setstate__(self, state: tuple) -> None:
        self._owner, self._next, self._pprev = state

    def __repr__(self) -> str:
        return f"<hlist_node 0x{self.kmod_addr():x}>"


def HLIST_HEAD() -> hlist_head:
    return hlist_head()


HLIST_HEAD_INIT = HLIST_HEAD


def INIT_HLIST_HEAD(head: hlist_head) -> None:
    head.first = None


def INIT_HLIST_NODE(node: hlist_node) -> None:
    node.next = None
    node.pprev = None


def hlist_unhashed(node: hlist_node) -> bool:
    return node.pprev is None


def hlist_empty(head: hlist_head) -> bool:
    return head.first is None


def _set_link(holder: object, value: object) -> None:
    """`*pprev = value`: the pointer `pprev` names is a head's `first` or a node's `next`."""
    if isinstance(holder, hlist_head):
        holder.first = value
    else:
        holder.next = value  # type: ignore[attr-defined]


def hlist_add_head(n: hlist_node, h: hlist_head) -> None:
    first = h.first
    n.next = first
    if first is not None:
        first.pprev = n  # type: ignore[attr-defined]
    h.first = n
    n.pprev = h


def hlist_add_before(n: hlist_node, nxt: hlist_node) -> None:
    n.pprev = nxt.pprev
    n.next = nxt
    nxt.pprev = n
    _set_link(n.pprev, n)


def hlist_add_behind(n: hlist_node, prev: hlist_node) -> None:
    n.next = prev.next
    prev.next = n
    n.pprev = prev
    if n.next is not None:
        n.next.pprev = n  # type: ignore[attr-defined]


def __hlist_del(n: hlist_node) -> None:
    nxt, pprev = n.next, n.pprev
    if isinstance(pprev, Poison):  # `*pprev = next` through the poison: it faults
        pprev.next = nxt
    _set_link(pprev, nxt)
    if nxt is not None:
        nxt.pprev = pprev  # type: ignore[attr-defined]


def hlist_del(n: hlist_node) -> None:
    __hlist_del(n)
    n.next = LIST_POISON1
    n.pprev = LIST_POISON2


def hlist_del_init(n: hlist_node) -> None:
    if not hlist_unhashed(n):
        __hlist_del(n)
        INIT_HLIST_NODE(n)


def hlist_entry(ptr: object, type_: type, member: str) -> object:
    return container_of(ptr, type_, member)


def hlist_entry_safe(ptr: object, type_: type, member: str) -> object:
    return None if ptr is None else container_of(ptr, type_, member)


def hlist_for_each(head: hlist_head) -> Iterator[hlist_node]:
    pos = head.first
    while pos is not None:
        yield pos  # type: ignore[misc]
        pos = pos.next  # type: ignore[attr-defined]


def hlist_for_each_safe(head: hlist_head) -> Iterator[hlist_node]:
    pos = head.first
    while pos is not None:
        n = pos.next  # type: ignore[attr-defined]
        yield pos  # type: ignore[misc]
        pos = n


def hlist_for_each_entry(head: hlist_head, type_: type, member: str) -> Iterator:
    """`hlist_for_each_entry(pos, head, member)`:
    `for pos in hlist_for_each_entry(head, T, "member"):`."""
    pos = hlist_entry_safe(head.first, type_, member)
    while pos is not None:
        yield pos
        pos = hlist_entry_safe(getattr(pos, member).next, type_, member)


def hlist_for_each_entry_safe(head: hlist_head, type_: type, member: str) -> Iterator:
    pos = hlist_entry_safe(head.first, type_, member)
    while pos is not None:
        n = getattr(pos, member).next
        yield pos
        pos = hlist_entry_safe(n, type_, member)


# -- hash tables (include/linux/hashtable.h) -------------------------------------------------

GOLDEN_RATIO_32 = 0x61C88647
GOLDEN_RATIO_64 = 0x61C8864680B583EB


def hash_32(val: int, bits: int) -> int:
    return ((int(val) * GOLDEN_RATIO_32) & 0xFFFFFFFF) >> (32 - bits)


def hash_64(val: int, bits: int) -> int:
    return ((int(val) * GOLDEN_RATIO_64) & 0xFFFFFFFFFFFFFFFF) >> (64 - bits)


hash_long = hash_64


def DEFINE_HASHTABLE(bits: int) -> list[hlist_head]:
    """`DEFINE_HASHTABLE(name, bits)` is `name = DEFINE_HASHTABLE(bits)`: 2**bits buckets."""
    return [hlist_head() for _ in range(1 << int(bits))]


DECLARE_HASHTABLE = DEFINE_HASHTABLE


def hash_init(table: list[hlist_head]) -> None:
    for head in table:
        INIT_HLIST_HEAD(head)


def HASH_BITS(table: list[hlist_head]) -> int:
    return max(0, len(table).bit_length() - 1)


def hash_min(val: int, bits: int) -> int:
    return hash_32(val, bits) if int(val) < (1 << 32) else hash_long(val, bits)


def hash_add(table: list[hlist_head], node: hlist_node, key: int) -> None:
    hlist_add_head(node, table[hash_min(key, HASH_BITS(table))])


def hash_del(node: hlist_node) -> None:
    hlist_del_init(node)


def hash_hashed(node: hlist_node) -> bool:
    return not hlist_unhashed(node)


def hash_empty(table: list[hlist_head]) -> bool:
    return all(hlist_empty(head) for head in table)


def hash_for_each(table: list[hlist_head], type_: type, member: str) -> Iterator:
    """`hash_for_each(name, bkt, obj, member)`: `for obj in hash_for_each(name, T, "member"):`."""
    for head in table:
        yield from hlist_for_each_entry(head, type_, member)


def hash_for_each_safe(table: list[hlist_head], type_: type, member: str) -> Iterator:
    for head in table:
        yield from hlist_for_each_entry_safe(head, type_, member)


def hash_for_each_possible(table: list[hlist_head], type_: type, member: str,
                           key: int) -> Iterator:
    """The entries in `key`'s bucket (compare their keys: other keys share buckets)."""
    yield from hlist_for_each_entry(table[hash_min(key, HASH_BITS(table))], type_, member)


__all__ = ["DECLARE_HASHTABLE", "DEFINE_HASHTABLE", "HASH_BITS", "HLIST_HEAD", "HLIST_HEAD_INIT",
           "INIT_HLIST_HEAD", "INIT_HLIST_NODE", "INIT_LIST_HEAD", "LIST_HEAD",
           "LIST_HEAD_INIT", "LIST_POISON1", "LIST_POISON2", "container_of",
           "hash_32", "hash_64", "hash_add", "hash_del", "hash_empty",
           "hash_for_each", "hash_for_each_possible", "hash_for_each_safe",
           "hash_hashed", "hash_init", "hash_long", "hash_min", "hlist_add_before",
           "hlist_add_behind", "hlist_add_head", "hlist_del", "hlist_del_init",
           "hlist_empty", "hlist_entry", "hlist_entry_safe", "hlist_for_each",
           "hlist_for_each_entry", "hlist_for_each_entry_safe", "hlist_for_each_safe",
           "hlist_head", "hlist_node", "hlist_unhashed", "list_add", "list_add_tail",
           "list_count_nodes", "list_cut_position", "list_del", "list_del_init",
           "list_empty", "list_empty_careful", "list_entry", "list_first_entry",
           "list_first_entry_or_null", "list_for_each", "list_for_each_entry",
           "list_for_each_entry_continue", "list_for_each_entry_from",
           "list_for_each_entry_reverse", "list_for_each_entry_safe",
           "list_for_each_entry_safe_reverse", "list_for_each_prev",
           "list_for_each_prev_safe", "list_for_each_safe", "list_head",
           "list_is_first", "list_is_head", "list_is_last", "list_is_singular",
           "list_last_entry", "list_last_entry_or_null", "list_move",
           "list_move_tail", "list_next_entry", "list_prev_entry", "list_replace",
           "list_replace_init", "list_rotate_left", "list_splice", "list_splice_init",
           "list_splice_tail", "list_splice_tail_init", "list_swap"]
