"""User memory and the only doors into it: copy_to_user/copy_from_user (include/linux/uaccess.h).

A handler's `buf` is a `UserPtr`: module code can't index or slice it, just as C code must
not dereference a `__user` pointer; it reaches the bytes through these functions only.
"""

from __future__ import annotations

from kmodsim.kernel import _current, kstrtox
from kmodsim.kernel.ctype import as_ctype
from kmodsim.kernel.debug.atomic_sleep import might_sleep
from kmodsim.kernel.debug.kasan import bad_kernel_length
from kmodsim.kernel.errno import EFAULT, EINVAL


class UserPtr:
    """A `char __user *`: a place in a user program's memory; `buf + n` moves it."""

    __slots__ = ("_mem", "_off", "_limit")

    def __init__(self, mem: bytearray, offset: int = 0, limit: int | None = None) -> None:
        self._mem = mem
        self._off = offset
        self._limit = len(mem) if limit is None else limit  # bytes the user mapped

    def __add__(self, n: int) -> UserPtr:
        return UserPtr(self._mem, self._off + int(n), self._limit)

    def __sub__(self, n: int) -> UserPtr:
        return UserPtr(self._mem, self._off - int(n), self._limit)

    def __repr__(self) -> str:
        return f"<user pointer +{self._off}>"

    def __reduce__(self) -> object:
        raise TypeError("a user pointer is only valid during the system call that passed it")

    def _room(self) -> int:
        return max(0, self._limit - self._off) if self._off >= 0 else 0


class loff_t:
    """A file offset passed by pointer: `ppos.value` is `*ppos`."""

    __slots__ = ("value",)

    def __init__(self, value: int = 0) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"loff_t({self.value})"


def _as_bytes(src: object) -> bytes | bytearray | memoryview:
    if isinstance(src, str):
        return src.encode()
    if isinstance(src, (bytes, bytearray, memoryview)):
        return src
    raw = getattr(src, "kmod_bytes", None)  # kernel buffers (kmalloc) expose their memory
    if raw is not None:
        return raw()
    raise TypeError(f"copy: expected bytes, bytearray or str, got {type(src).__name__}")


def _check_kernel_buffer(buf: object, n: int, access: str, via: str) -> None:
    """KASAN: the kernel side of a copy must be live memory at least `n` bytes long."""
    if n > len(buf) or getattr(buf, "__dict__", {}).get("freed"):  # type: ignore[arg-type]
        raise bad_kernel_length(buf, n, access, via, _current.module())


def _is_address(ptr: object) -> bool:
    """An ioctl's `arg` when the program passed a number, not a buffer: as a pointer it
    points at nothing the program mapped (NULL, or any number), so a copy through it
    faults, as the real copy does: -EFAULT, not an Oops."""
    return isinstance(ptr, int) and not isinstance(ptr, bool)


def _may_fault() -> None:
    might_sleep(_current.entry(), "include/linux/uaccess.h:183")


def copy_to_user(to: UserPtr, src: object, n: int) -> int:
    """Copy `n` bytes of kernel memory to user memory; returns how many were NOT copied."""
    _may_fault()
    if _is_address(to):
        return max(0, int(n))  # a number from user space (an ioctl's arg) maps nothing here
    if not isinstance(to, UserPtr):
        raise TypeError("copy_to_user: the destination must be the user pointer (buf)")
    data = _as_bytes(src)
    n = int(n)
    if n <= 0:
        return 0
    _check_kernel_buffer(src if isinstance(src, bytearray) else data, n, "read",
                         "_copy_to_user")
    done = min(n, to._room())
    to._mem[to._off : to._off + done] = bytes(data[:done])
    return n - done


def copy_from_user(to: bytearray | memoryview, src: UserPtr, n: int) -> int:
    """Copy `n` bytes of user memory into kernel memory; returns how many were NOT copied."""
    _may_fault()
    if _is_address(src):
        return max(0, int(n))  # a number from user space (an ioctl's arg) maps nothing here
    if not isinstance(src, UserPtr):
        raise TypeError("copy_from_user: the source must be the user pointer (buf)")
    if isinstance(to, (bytes, str)):
        raise TypeError("copy_from_user: the destination must be writable, e.g. bytearray(n)")
    target = to
    raw = getattr(to, "kmod_bytes", None)
    if raw is not None:
        target = raw()
    n = int(n)
    if n <= 0:
        return 0
    _check_kernel_buffer(to, n, "write", "_copy_from_user")
    done = min(n, src._room())
    target[:done] = src._mem[src._off : src._off + done]
    return n - done


def _user_type(ctype: object) -> tuple[int, bool]:
    """(size, signed) of what a user pointer points to: one byte unless told."""
    if ctype is None:
        return 1, False
    c = as_ctype(ctype)
    if c is None:
        raise TypeError(f"get_user/put_user: {ctype!r} is not a C integer type (say int, "
                        f"u32, long...)")
    return c.size, c.signed


def get_user(src: UserPtr, ctype: object = None) -> tuple[int, int]:
    """`err = get_user(x, ptr)` becomes `err, x = get_user(ptr)` (what C returns first, then
    what it writes through a pointer). C reads as many bytes as `*ptr` has: one here, unless
    the type is given (`err, x = get_user(argp, int)` for an `int __user *`)."""
    size, signed = _user_type(ctype)
    out = bytearray(size)
    if copy_from_user(out, src, size):
        return -EFAULT, 0
    return 0, int.from_bytes(out, "little", signed=signed)


def put_user(value: int, to: UserPtr, ctype: object = None) -> int:
    """`put_user(x, ptr)`: one byte, unless the type is given (`put_user(x, argp, int)`
    writes the 4 bytes of an `int __user *`)."""
    size, _ = _user_type(ctype)
    raw = (int(value) & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    return -EFAULT if copy_to_user(to, raw, size) else 0


__get_user = get_user  # no access_ok() check to skip here: the same
__put_user = put_user


def simple_read_from_buffer(to: UserPtr, count: int, ppos: loff_t, src: object,
                            available: int | None = None) -> int:
    """Read from a kernel buffer at `*ppos`, advancing it (fs/libfs.c)."""
    data = _as_bytes(src)
    if available is None:
        available = len(data)
    pos = ppos.value
    if pos < 0:
        return -EINVAL
    if pos >= available or not count:
        return 0
    n = min(count, available - pos)
    left = copy_to_user(to, data[pos : pos + n], n)
    if left == n:
        return -EFAULT
    n -= left
    ppos.value = pos + n
    return n


def simple_write_to_buffer(to: bytearray, available: int, ppos: loff_t, src: UserPtr,
                           count: int) -> int:
    """Write user bytes into a kernel buffer at `*ppos`, advancing it (fs/libfs.c)."""
    pos = ppos.value
    if pos < 0:
        return -EINVAL
    if pos >= available or not count:
        return 0
    count = min(count, available - pos)
    left = copy_from_user(memoryview(to)[pos:], src, count)
    if left == count:
        return -EFAULT
    count -= left
    ppos.value = pos + count
    return count


# -- numbers written by user space (lib/kstrtox.c) -------------------------------------------

def _from_user(parse: object, bits: int) -> object:
    def convert(s: UserPtr, count: int, base: int) -> tuple[int, int]:
        # sign, base 2 representation, newline, terminator
        buf = bytearray(1 + bits + 1 + 1)
        n = min(int(count), len(buf) - 1)
        if copy_from_user(buf, s, n):
            return -EFAULT, 0
        buf[n] = 0
        return parse(buf, base)  # type: ignore[operator,no-any-return]
    return convert


kstrtoull_from_user = _from_user(kstrtox.kstrtoull, 64)
kstrtoll_from_user = _from_user(kstrtox.kstrtoll, 64)
kstrtoul_from_user = _from_user(kstrtox.kstrtoul, 64)
kstrtol_from_user = _from_user(kstrtox.kstrtol, 64)
kstrtouint_from_user = _from_user(kstrtox.kstrtouint, 32)
kstrtoint_from_user = _from_user(kstrtox.kstrtoint, 32)
kstrtou16_from_user = _from_user(kstrtox.kstrtou16, 16)
kstrtos16_from_user = _from_user(kstrtox.kstrtos16, 16)
kstrtou8_from_user = _from_user(kstrtox.kstrtou8, 8)
kstrtos8_from_user = _from_user(kstrtox.kstrtos8, 8)
kstrtou64_from_user = kstrtoull_from_user
kstrtos64_from_user = kstrtoll_from_user
kstrtou32_from_user = kstrtouint_from_user
kstrtos32_from_user = kstrtoint_from_user
for _name, _fn in list(globals().items()):
    if _name.startswith("kstrto") and _name.endswith("_from_user") and \
            _fn.__name__ == "convert":  # type: ignore[union-attr]
        _fn.__name__ = _fn.__qualname__ = _name  # type: ignore[union-attr]
        _fn.__doc__ = (f"C's `err = {_name}(buf, count, base, &val)` is "
                       f"`err, val = {_name}(buf, count, base)`: the number a user program "
                       f"wrote (up to `count` bytes; one newline allowed).")
del _name, _fn


def kstrtobool_from_user(s: UserPtr, count: int) -> tuple[int, bool]:
    """`err, val = kstrtobool_from_user(buf, count)`."""
    buf = bytearray(4)  # the longest string needed to tell, newline, terminator
    n = min(int(count), len(buf) - 1)
    if copy_from_user(buf, s, n):
        return -EFAULT, False
    buf[n] = 0
    return kstrtox.kstrtobool(buf)
