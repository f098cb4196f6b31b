"""ioctl command numbers (include/uapi/asm-generic/ioctl.h), bit for bit: a command packs a
direction (2 bits), the size of its argument (14 bits), a type (8 bits, usually a letter
that names the driver) and a number (8 bits).

`_IOW('k', 1, int)` is C's `_IOW('k', 1, int)`: the type may be a one-letter string or an
int, the size a C type or anything sizeof() measures (`u32`, `int`, a struct's class,
`bytearray(64)` for `char[64]`).
"""

from __future__ import annotations

from kmodsim.kernel.ctype import sizeof

_IOC_NRBITS = 8
_IOC_TYPEBITS = 8
_IOC_SIZEBITS = 14
_IOC_DIRBITS = 2

_IOC_NRMASK = (1 << _IOC_NRBITS) - 1
_IOC_TYPEMASK = (1 << _IOC_TYPEBITS) - 1
_IOC_SIZEMASK = (1 << _IOC_SIZEBITS) - 1
_IOC_DIRMASK = (1 << _IOC_DIRBITS) - 1

_IOC_NRSHIFT = 0
_IOC_TYPESHIFT = _IOC_NRSHIFT + _IOC_NRBITS
_IOC_SIZESHIFT = _IOC_TYPESHIFT + _IOC_TYPEBITS
_IOC_DIRSHIFT = _IOC_SIZESHIFT + _IOC_SIZEBITS

_IOC_NONE = 0
_IOC_WRITE = 1  # user space writes, the driver reads (copy_from_user)
_IOC_READ = 2  # the driver writes, user space reads (copy_to_user)

IOC_IN = _IOC_WRITE << _IOC_DIRSHIFT
IOC_OUT = _IOC_READ << _IOC_DIRSHIFT
IOC_INOUT = (_IOC_WRITE | _IOC_READ) << _IOC_DIRSHIFT
IOCSIZE_MASK = _IOC_SIZEMASK << _IOC_SIZESHIFT
IOCSIZE_SHIFT = _IOC_SIZESHIFT


def _code(value: object, what: str) -> int:
    """A type or number field: C's character constant 'k' is its code."""
    if isinstance(value, (str, bytes)) and len(value) == 1:
        return ord(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"ioctl: the {what} must be an int or one character, like 'k'; "
                    f"got {value!r}")


def _IOC(dir: int, type: object, nr: object, size: int) -> int:  # noqa: A002
    return ((dir << _IOC_DIRSHIFT) | (_code(type, "type") << _IOC_TYPESHIFT)
            | (_code(nr, "number") << _IOC_NRSHIFT) | (int(size) << _IOC_SIZESHIFT)) \
        & 0xFFFF_FFFF


def _IOC_TYPECHECK(t: object) -> int:
    """sizeof(t), which must fit the 14-bit size field (C refuses to compile it otherwise)."""
    n = int(sizeof(t))
    if n >= 1 << _IOC_SIZEBITS:
        raise ValueError(f"ioctl: an argument of {n} bytes does not fit the command's "
                         f"14-bit size field (at most {_IOC_SIZEMASK})")
    return n


def _IO(type: object, nr: object) -> int:  # noqa: A002
    """A command without an argument."""
    return _IOC(_IOC_NONE, type, nr, 0)


def _IOR(type: object, nr: object, argtype: object) -> int:  # noqa: A002
    """A command whose argument the driver fills in (user space reads it)."""
    return _IOC(_IOC_READ, type, nr, _IOC_TYPECHECK(argtype))


def _IOW(type: object, nr: object, argtype: object) -> int:  # noqa: A002
    """A command whose argument user space passes in (the driver reads it)."""
    return _IOC(_IOC_WRITE, type, nr, _IOC_TYPECHECK(argtype))


def _IOWR(type: object, nr: object, argtype: object) -> int:  # noqa: A002
    """A command whose argument goes both ways."""
    return _IOC(_IOC_READ | _IOC_WRITE, type, nr, _IOC_TYPECHECK(argtype))


def _IOC_DIR(nr: int) -> int:
    return (nr >> _IOC_DIRSHIFT) & _IOC_DIRMASK


def _IOC_TYPE(nr: int) -> int:
    return (nr >> _IOC_TYPESHIFT) & _IOC_TYPEMASK


def _IOC_NR(nr: int) -> int:
    return (nr >> _IOC_NRSHIFT) & _IOC_NRMASK


def _IOC_SIZE(nr: int) -> int:
    return (nr >> _IOC_SIZESHIFT) & _IOC_SIZEMASK


__all__ = ["IOCSIZE_MASK", "IOCSIZE_SHIFT", "IOC_IN", "IOC_INOUT", "IOC_OUT", "_IO", "_IOC",
           "_IOC_DIR", "_IOC_DIRBITS", "_IOC_DIRMASK", "_IOC_DIRSHIFT", "_IOC_NONE", "_IOC_NR",
           "_IOC_NRBITS", "_IOC_NRMASK", "_IOC_NRSHIFT", "_IOC_READ", "_IOC_SIZE",
           "_IOC_SIZEBITS", "_IOC_SIZEMASK", "_IOC_SIZESHIFT", "_IOC_TYPE", "_IOC_TYPEBITS",
           "_IOC_TYPECHECK", "_IOC_TYPEMASK", "_IOC_TYPESHIFT", "_IOC_WRITE", "_IOR", "_IOW",
           "_IOWR"]
