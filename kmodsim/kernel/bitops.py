"""Bit operations and bitmaps (include/linux/bitops.h, bitmap.h, find.h, bits.h).

A bitmap is a list of unsigned longs, as in C: `static DECLARE_BITMAP(ids, 128);` is
`ids = DECLARE_BITMAP(128)` (two 64-bit words, all clear), and `set_bit(5, ids)` is
`set_bit(5, ids)`. C code often keeps a few flags in one `unsigned long`; a Python int can't
be changed in place, so make it a one-word bitmap: `flags = DECLARE_BITMAP(BITS_PER_LONG)`.
A bit past the bitmap's end is memory past it: KASAN's out-of-bounds report, as in C.

`for_each_set_bit(bit, addr, size)` is `for bit in for_each_set_bit(addr, size):`.
"""

from __future__ import annotations

from collections.abc import Iterator

from kmodsim.kernel import _current
from kmodsim.kernel.debug.kasan import KasanFault

BITS_PER_LONG = 64
BITS_PER_LONG_LONG = 64
BITS_PER_BYTE = 8
_WORD = (1 << 64) - 1


def BIT(nr: int) -> int:
    return 1 << int(nr)


def BIT_ULL(nr: int) -> int:
    return 1 << int(nr)


def BIT_MASK(nr: int) -> int:
    return 1 << (int(nr) % BITS_PER_LONG)


def BIT_WORD(nr: int) -> int:
    return int(nr) // BITS_PER_LONG


def BITS_TO_LONGS(nr: int) -> int:
    return (int(nr) + BITS_PER_LONG - 1) // BITS_PER_LONG


def GENMASK(h: int, lo: int) -> int:
    """Bits lo..h set: GENMASK(7, 4) is 0xf0."""
    return ((_WORD << int(lo)) & _WORD) & (_WORD >> (BITS_PER_LONG - 1 - int(h)))


GENMASK_ULL = GENMASK


def DECLARE_BITMAP(bits: int) -> list[int]:
    """`DECLARE_BITMAP(name, bits)` is `name = DECLARE_BITMAP(bits)`: the words, all 0."""
    return [0] * BITS_TO_LONGS(bits)


def _words(addr: object, nr: int, access: str, via: str) -> list[int]:
    """The bitmap `addr`, checked to hold bit `nr` (past its end: KASAN)."""
    if not isinstance(addr, list):
        raise TypeError(f"{via}: the bitmap must be a list of words, e.g. DECLARE_BITMAP(64), "
                        f"not a {type(addr).__name__} (an int can't be changed in place)")
    if nr < 0 or nr // BITS_PER_LONG >= len(addr):
        lm = _current.module()
        is_global = lm is not None and any(v is addr for v in lm.ns.values())
        raise KasanFault("global-out-of-bounds" if is_global else "stack-out-of-bounds",
                         access, 8, bytearray(len(addr) * 8), (nr // BITS_PER_LONG) * 8, via)
    return addr


def _update(addr: object, nr: int, via: str, op: str) -> bool:
    nr = int(nr)
    words = _words(addr, nr, "write", via)
    i, mask = nr // BITS_PER_LONG, 1 << (nr % BITS_PER_LONG)
    old = words[i] & _WORD
    if op == "set":
        words[i] = old | mask
    elif op == "clear":
        words[i] = old & ~mask & _WORD
    else:
        words[i] = old ^ mask
    return bool(old & mask)


def set_bit(nr: int, addr: list[int]) -> None:
    _update(addr, nr, "set_bit", "set")


def clear_bit(nr: int, addr: list[int]) -> None:
    _update(addr, nr, "clear_bit", "clear")


def change_bit(nr: int, addr: list[int]) -> None:
    _update(addr, nr, "change_bit", "change")


def test_bit(nr: int, addr: list[int]) -> bool:
    nr = int(nr)
    words = _words(addr, nr, "read", "test_bit")
    return bool(words[nr // BITS_PER_LONG] >> (nr % BITS_PER_LONG) & 1)


def test_and_set_bit(nr: int, addr: list[int]) -> bool:
    """Set bit `nr`; returns whether it was already set (one atomic step)."""
    return _update(addr, nr, "test_and_set_bit", "set")


def test_and_clear_bit(nr: int, addr: list[int]) -> bool:
    return _update(addr, nr, "test_and_clear_bit", "clear")


def test_and_change_bit(nr: int, addr: list[int]) -> bool:
    return _update(addr, nr, "test_and_change_bit", "change")


# the non-atomic forms: the same here (nothing runs between two steps of a task)
__set_bit = set_bit
__clear_bit = clear_bit
__change_bit = change_bit
__test_and_set_bit = test_and_set_bit
__test_and_clear_bit = test_and_clear_bit
__test_and_change_bit = test_and_change_bit


def _bits(addr: object, size: int, via: str) -> int:
    """The first `size` bits of the bitmap as one int."""
    size = int(size)
    if size <= 0:
        return 0
    words = _words(addr, size - 1, "read", via)
    value = 0
    for i in range(BITS_TO_LONGS(size)):
        value |= (words[i] & _WORD) << (i * BITS_PER_LONG)
    return value & ((1 << size) - 1)


def find_first_bit(addr: list[int], size: int) -> int:
    """The first set bit; `size` when none is."""
    return find_next_bit(addr, size, 0)


def find_first_zero_bit(addr: list[int], size: int) -> int:
    """The first clear bit; `size` when none is."""
    return find_next_zero_bit(addr, size, 0)


def find_next_bit(addr: list[int], size: int, offset: int) -> int:
    size, offset = int(size), int(offset)
    if offset >= size:
        return size
    value = _bits(addr, size, "find_next_bit") >> offset
    if not value:
        return size
    return offset + (value & -value).bit_length() - 1


def find_next_zero_bit(addr: list[int], size: int, offset: int) -> int:
    size, offset = int(size), int(offset)
    if offset >= size:
        return size
    value = ~_bits(addr, size, "find_next_zero_bit") & ((1 << size) - 1)
    value >>= offset
    if not value:
        return size
    return offset + (value & -value).bit_length() - 1


def find_last_bit(addr: list[int], size: int) -> int:
    value = _bits(addr, size, "find_last_bit")
    return value.bit_length() - 1 if value else int(size)


def for_each_set_bit(addr: list[int], size: int) -> Iterator[int]:
    """`for_each_set_bit(bit, addr, size)`: `for bit in for_each_set_bit(addr, size):`."""
    bit = find_first_bit(addr, size)
    while bit < int(size):
        yield bit
        bit = find_next_bit(addr, size, bit + 1)


def for_each_clear_bit(addr: list[int], size: int) -> Iterator[int]:
    bit = find_first_zero_bit(addr, size)
    while bit < int(size):
        yield bit
        bit = find_next_zero_bit(addr, size, bit + 1)


# -- whole bitmaps ---------------------------------------------------------------------------

def _store(addr: object, nbits: int, value: int, via: str) -> None:
    """Write the first `nbits` bits (whole words, as the kernel's bitmap_* do)."""
    nbits = int(nbits)
    if nbits <= 0:
        return
    words = _words(addr, nbits - 1, "write", via)
    for i in range(BITS_TO_LONGS(nbits)):
        words[i] = (value >> (i * BITS_PER_LONG)) & _WORD


def bitmap_zero(dst: list[int], nbits: int) -> None:
    _store(dst, nbits, 0, "bitmap_zero")


def bitmap_fill(dst: list[int], nbits: int) -> None:
    """Set the first nbits bits (whole words, the last one up to nbits)."""
    nbits = int(nbits)
    full_words = nbits // BITS_PER_LONG
    value = (1 << (full_words * BITS_PER_LONG)) - 1
    if nbits % BITS_PER_LONG:
        value |= ((1 << (nbits % BITS_PER_LONG)) - 1) << (full_words * BITS_PER_LONG)
    _store(dst, nbits, value, "bitmap_fill")


def bitmap_copy(dst: list[int], src: list[int], nbits: int) -> None:
    nbits = int(nbits)
    n = BITS_TO_LONGS(nbits)
    if n:
        _words(src, nbits - 1, "read", "bitmap_copy")
        _words(dst, nbits - 1, "write", "bitmap_copy")
        dst[:n] = src[:n]


def bitmap_set(dst: list[int], start: int, nbits: int) -> None:
    for bit in range(int(start), int(start) + int(nbits)):
        set_bit(bit, dst)


def bitmap_clear(dst: list[int], start: int, nbits: int) -> None:
    for bit in range(int(start), int(start) + int(nbits)):
        clear_bit(bit, dst)


def bitmap_empty(src: list[int], nbits: int) -> bool:
    return _bits(src, nbits, "bitmap_empty") == 0


def bitmap_full(src: list[int], nbits: int) -> bool:
    return _bits(src, nbits, "bitmap_full") == (1 << int(nbits)) - 1


def bitmap_weight(src: list[int], nbits: int) -> int:
    """How many of the first nbits bits are set."""
    return bin(_bits(src, nbits, "bitmap_weight")).count("1")


def bitmap_equal(a: list[int], b: list[int], nbits: int) -> bool:
    return _bits(a, nbits, "bitmap_equal") == _bits(b, nbits, "bitmap_equal")


def bitmap_and(dst: list[int], a: list[int], b: list[int], nbits: int) -> bool:
    value = _bits(a, nbits, "bitmap_and") & _bits(b, nbits, "bitmap_and")
    _store(dst, nbits, value, "bitmap_and")
    return value != 0


def bitmap_or(dst: list[int], a: list[int], b: list[int], nbits: int) -> None:
    _store(dst, nbits, _bits(a, nbits, "bitmap_or") | _bits(b, nbits, "bitmap_or"),
           "bitmap_or")


def bitmap_xor(dst: list[int], a: list[int], b: list[int], nbits: int) -> None:
    _store(dst, nbits, _bits(a, nbits, "bitmap_xor") ^ _bits(b, nbits, "bitmap_xor"),
           "bitmap_xor")


def bitmap_zalloc(nbits: int, flags: int = 0) -> list[int]:
    """A zeroed bitmap of nbits bits (C allocates it; free it with bitmap_free())."""
    return DECLARE_BITMAP(nbits)


bitmap_alloc = bitmap_zalloc


def bitmap_free(bitmap: list[int] | None) -> None:
    """Nothing to do: the list goes when nothing refers to it."""


def bitmap_find_next_zero_area(map_: list[int], size: int, start: int, nr: int,
                               align_mask: int = 0) -> int:
    """The first run of `nr` clear bits from `start` (aligned to align_mask+1); a value
    past `size` when there is none."""
    size, nr = int(size), int(nr)
    index = int(start)
    while True:
        index = find_next_zero_bit(map_, size, index)
        index = (index + int(align_mask)) & ~int(align_mask)
        end = index + nr
        if end > size:
            return end
        busy = find_next_bit(map_, end, index)
        if busy < end:
            index = busy + 1
            continue
        return index


# -- single words ----------------------------------------------------------------------------

def hweight8(w: int) -> int:
    return bin(int(w) & 0xFF).count("1")


def hweight16(w: int) -> int:
    return bin(int(w) & 0xFFFF).count("1")


def hweight32(w: int) -> int:
    return bin(int(w) & 0xFFFFFFFF).count("1")


def hweight64(w: int) -> int:
    return bin(int(w) & _WORD).count("1")


hweight_long = hweight64


def ffs(x: int) -> int:
    """The first set bit, counting from 1; 0 when none (C's ffs)."""
    x = int(x) & 0xFFFFFFFF
    return (x & -x).bit_length()


def fls(x: int) -> int:
    """The last set bit, counting from 1; 0 when none."""
    return (int(x) & 0xFFFFFFFF).bit_length()


def fls64(x: int) -> int:
    return (int(x) & _WORD).bit_length()


def __ffs(word: int) -> int:
    """The first set bit, counting from 0 (undefined for 0: 0 here)."""
    word = int(word) & _WORD
    return max(0, (word & -word).bit_length() - 1)


def __fls(word: int) -> int:
    return max(0, (int(word) & _WORD).bit_length() - 1)


def ffz(word: int) -> int:
    return __ffs(~int(word) & _WORD)


__all__ = ["BIT", "BITS_PER_BYTE", "BITS_PER_LONG", "BITS_PER_LONG_LONG", "BITS_TO_LONGS",
           "BIT_MASK", "BIT_ULL", "BIT_WORD", "DECLARE_BITMAP", "GENMASK",
           "GENMASK_ULL", "__change_bit", "__clear_bit", "__ffs", "__fls",
           "__set_bit", "__test_and_change_bit", "__test_and_clear_bit",
           "__test_and_set_bit", "bitmap_alloc", "bitmap_and", "bitmap_clear",
           "bitmap_copy", "bitmap_empty", "bitmap_equal", "bitmap_fill",
           "bitmap_find_next_zero_area", "bitmap_free", "bitmap_full", "bitmap_or",
           "bitmap_set", "bitmap_weight", "bitmap_xor", "bitmap_zalloc",
           "bitmap_zero", "change_bit", "clear_bit", "ffs", "ffz", "find_first_bit",
           "find_first_zero_bit", "find_last_bit", "find_next_bit",
           "find_next_zero_bit", "fls", "fls64", "for_each_clear_bit",
           "for_each_set_bit", "hweight16", "hweight32", "hweight64", "hweight8",
           "hweight_long", "set_bit", "test_and_change_bit", "test_and_clear_bit",
           "test_and_set_bit", "test_bit"]
