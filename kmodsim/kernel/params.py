"""Module parameters (include/linux/moduleparam.h, kernel/params.c): the standard types'
set and get operations, kernel_param_ops for parameters with callbacks, and parsing the
`name=value` words insmod hands the kernel.

A parameter's value lives in a variable of the module: `kp.arg.value` is C's `*(int
*)kp->arg`, read and written where the module keeps it. A set operation is called with the
value as text (None when the word had no `=`) and returns 0 or -errno; a get operation writes
the value's text into `buffer` (a page, a bytearray) and returns its length:

    def watched_set(val, kp):                 # int watched_set(const char *val,
        ret = param_set_int(val, kp)          #                 const struct kernel_param *kp)
        if ret == 0:
            pr_info("watched is now %d\\n", kp.arg.value)
        return ret
    watched_ops = kernel_param_ops(set=watched_set, get=param_get_int)
    module_param_cb("watched", watched_ops, "watched", 0o644)   # &watched: its name
"""

from __future__ import annotations

from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel.cformat import format_c
from kmodsim.kernel.errno import EINVAL, ENOSPC
from kmodsim.kernel.kstrtox import (
    c_bytes,
    kstrtobool,
    kstrtoint,
    kstrtol,
    kstrtos16,
    kstrtou8,
    kstrtou16,
    kstrtouint,
    kstrtoul,
    kstrtoull,
)
from kmodsim.kernel.printk import log

PAGE_SIZE = 4096
KERNEL_PARAM_OPS_FL_NOARG = 1
MAX_CHARP = 1024


class kernel_param_ops:
    """struct kernel_param_ops: `set(val, kp)`, `get(buffer, kp)`, `free(arg)`, and flags
    (KERNEL_PARAM_OPS_FL_NOARG: the parameter may be given without a value)."""

    __slots__ = ("set", "get", "free", "flags")

    def __init__(self, set: Callable | None = None, get: Callable | None = None,
                 free: Callable | None = None, flags: int = 0) -> None:
        self.set = set
        self.get = get
        self.free = free
        self.flags = flags

    def __getstate__(self) -> tuple:
        return (self.set, self.get, self.free, self.flags)

    def __setstate__(self, state: tuple) -> None:
        self.set, self.get, self.free, self.flags = state


class param_ref:
    """A pointer to one of the module's variables (C's `&var`): `.value` reads and writes
    it where the module keeps it."""

    __slots__ = ("ns", "name")

    def __init__(self, ns: dict, name: str) -> None:
        self.ns = ns
        self.name = name

    @property
    def value(self) -> object:
        return self.ns.get(self.name)

    @value.setter
    def value(self, v: object) -> None:
        self.ns[self.name] = v

    def __repr__(self) -> str:
        return f"&{self.name}"


class kparam_string:
    """struct kparam_string: module_param_string()'s buffer (a variable) and its size."""

    __slots__ = ("maxlen", "string")

    def __init__(self, maxlen: int, string: param_ref) -> None:
        self.maxlen = maxlen
        self.string = string


class kparam_array:
    """struct kparam_array: module_param_array()'s list, its element type and the
    variable that counts the values given."""

    __slots__ = ("num", "ops", "elem", "ptype")

    def __init__(self, elem: param_ref, num: param_ref | None, ops: kernel_param_ops,
                 ptype: str) -> None:
        self.elem = elem
        self.num = num
        self.ops = ops
        self.ptype = ptype

    @property
    def max(self) -> int:
        return len(self.elem.value or [])  # type: ignore[arg-type]


class kernel_param:
    """struct kernel_param: the parameter's name, operations, permission and argument
    (`arg`: where the value lives; `str` for a string parameter, `arr` for an array)."""

    __slots__ = ("name", "ops", "perm", "arg", "str", "arr", "ptype")

    def __init__(self, name: str, ops: kernel_param_ops, perm: int, arg: object = None,
                 ptype: str | None = None) -> None:
        self.name = name
        self.ops = ops
        self.perm = perm
        self.arg = arg
        self.str: kparam_string | None = None
        self.arr: kparam_array | None = None
        self.ptype = ptype  # the type name modinfo shows, None for module_param_cb

    def __repr__(self) -> str:
        return f"<kernel_param {self.name}>"


# -- the standard types (STANDARD_PARAM_DEF) -------------------------------------------------

def _text(val: object) -> bytes:
    return c_bytes(val) if val is not None else b""


def _store_into(buffer: object, text: str) -> int:
    """scnprintf(buffer, PAGE_SIZE, …): the text (cut to a page) and its NUL."""
    raw = text.encode("utf-8", "surrogateescape")[: PAGE_SIZE - 1]
    if isinstance(buffer, bytearray):
        end = min(len(buffer), len(raw) + 1)
        bytearray.__setitem__(buffer, slice(0, end), (raw + b"\0")[:end])
    elif hasattr(buffer, "kmod_bytes"):
        mem = buffer.kmod_bytes()  # type: ignore[attr-defined]
        end = min(len(mem), len(raw) + 1)
        bytearray.__setitem__(mem, slice(0, end), (raw + b"\0")[:end])
    else:
        raise TypeError("a param get operation writes into a buffer (a bytearray)")
    return len(raw)


def _standard(name: str, parse: Callable, fmt: str) -> tuple[Callable, Callable,
                                                              kernel_param_ops]:
    def set_(val: object, kp: kernel_param) -> int:
        err, value = parse(_text(val), 0)
        if err:
            return err
        kp.arg.value = value  # type: ignore[union-attr]
        return 0

    def get(buffer: object, kp: kernel_param) -> int:
        return _store_into(buffer, format_c(fmt, (kp.arg.value,)))  # type: ignore[union-attr]

    set_.__name__ = set_.__qualname__ = f"param_set_{name}"
    get.__name__ = get.__qualname__ = f"param_get_{name}"
    set_.__module__ = get.__module__ = __name__
    return set_, get, kernel_param_ops(set=set_, get=get)


param_set_byte, param_get_byte, param_ops_byte = _standard("byte", kstrtou8, "%hhu\n")
param_set_short, param_get_short, param_ops_short = _standard("short", kstrtos16, "%hi\n")
param_set_ushort, param_get_ushort, param_ops_ushort = _standard("ushort", kstrtou16, "%hu\n")
param_set_int, param_get_int, param_ops_int = _standard("int", kstrtoint, "%i\n")
param_set_uint, param_get_uint, param_ops_uint = _standard("uint", kstrtouint, "%u\n")
param_set_long, param_get_long, param_ops_long = _standard("long", kstrtol, "%li\n")
param_set_ulong, param_get_ulong, param_ops_ulong = _standard("ulong", kstrtoul, "%lu\n")
param_set_ullong, param_get_ullong, param_ops_ullong = _standard("ullong", kstrtoull,
                                                                 "%llu\n")
param_set_hexint, _, param_ops_hexint = _standard("hexint", kstrtouint, "%#08x\n")


def param_get_hexint(buffer: object, kp: kernel_param) -> int:
    return _store_into(buffer, format_c("%#08x\n", (kp.arg.value,)))  # type: ignore[union-attr]


param_ops_hexint.get = param_get_hexint


def param_set_charp(val: object, kp: kernel_param) -> int:
    """A charp parameter becomes the text given (at most 1024 bytes)."""
    raw = _text(val)
    if len(raw) > MAX_CHARP:
        log(_current.entry(), 3, f"param_set_charp: {kp.name}: string parameter too long\n")
        return -ENOSPC
    kp.arg.value = raw.decode("utf-8", "surrogateescape")  # type: ignore[union-attr]
    return 0


def param_get_charp(buffer: object, kp: kernel_param) -> int:
    value = kp.arg.value  # type: ignore[union-attr]
    return _store_into(buffer, format_c("%s\n", ("(null)" if value is None else value,)))


param_ops_charp = kernel_param_ops(set=param_set_charp, get=param_get_charp)


def param_set_bool(val: object, kp: kernel_param) -> int:
    """No value means true; otherwise y/n/1/0/on/off, as kstrtobool() reads them."""
    err, value = kstrtobool(b"1" if val is None else _text(val))
    if err:
        return err
    kp.arg.value = value  # type: ignore[union-attr]
    return 0


def param_get_bool(buffer: object, kp: kernel_param) -> int:
    return _store_into(buffer, "Y\n" if kp.arg.value else "N\n")  # type: ignore[union-attr]


param_ops_bool = kernel_param_ops(set=param_set_bool, get=param_get_bool,
                                  flags=KERNEL_PARAM_OPS_FL_NOARG)


def param_set_invbool(val: object, kp: kernel_param) -> int:
    err, value = kstrtobool(b"1" if val is None else _text(val))
    if err:
        return err
    kp.arg.value = not value  # type: ignore[union-attr]
    return 0


def param_get_invbool(buffer: object, kp: kernel_param) -> int:
    return _store_into(buffer, "N\n" if kp.arg.value else "Y\n")  # type: ignore[union-attr]


param_ops_invbool = kernel_param_ops(set=param_set_invbool, get=param_get_invbool)


def param_set_bint(val: object, kp: kernel_param) -> int:
    err, value = kstrtobool(b"1" if val is None else _text(val))
    if err:
        return err
    kp.arg.value = int(value)  # type: ignore[union-attr]
    return 0


param_get_bint = param_get_int
param_ops_bint = kernel_param_ops(set=param_set_bint, get=param_get_int,
                                  flags=KERNEL_PARAM_OPS_FL_NOARG)


def param_set_copystring(val: object, kp: kernel_param) -> int:
    """module_param_string()'s set: copy into the buffer, if it fits with its NUL."""
    kps = kp.str
    assert kps is not None
    raw = _text(val)
    if len(raw) + 1 > kps.maxlen:
        log(_current.entry(), 3, f"{kp.name}: string doesn't fit in {kps.maxlen - 1} chars.\n")
        return -ENOSPC
    target = kps.string.value
    if isinstance(target, bytearray):
        data = raw + b"\0"
        bytearray.__setitem__(target, slice(0, len(data)), data)
    else:
        kps.string.value = raw.decode("utf-8", "surrogateescape")
    return 0


def param_get_string(buffer: object, kp: kernel_param) -> int:
    value = kp.str.string.value  # type: ignore[union-attr]
    text = c_bytes(value).decode("utf-8", "surrogateescape")
    return _store_into(buffer, text + "\n")


param_ops_string = kernel_param_ops(set=param_set_copystring, get=param_get_string)

# module_param()'s type names that are no C type (`module_param(s, charp, 0444)`); byte,
# short, ushort, uint, long, ulong are C types of kmodsim.kernel.ctype, int and bool Python's
byte = "byte"
charp = "charp"
invbool = "invbool"
hexint = "hexint"
ullong = "ullong"
bint = "bint"

STANDARD_OPS = {"byte": param_ops_byte, "short": param_ops_short, "ushort": param_ops_ushort,
                "int": param_ops_int, "uint": param_ops_uint, "long": param_ops_long,
                "ulong": param_ops_ulong, "ullong": param_ops_ullong,
                "hexint": param_ops_hexint, "charp": param_ops_charp, "bool": param_ops_bool,
                "invbool": param_ops_invbool, "bint": param_ops_bint}
# the type names module_param's type argument may give, C's own or Python's
TYPE_NAMES = {"unsigned char": "byte", "u8": "byte", "s16": "short", "u16": "ushort",
              "s32": "int", "u32": "uint", "unsigned int": "uint", "s64": "long",
              "u64": "ullong", "unsigned long": "ulong", "str": "charp"}


def param_array_set(val: object, kp: kernel_param) -> int:
    """module_param_array()'s set: comma-separated values, each set by the element type's
    operation; the count variable says how many were given."""
    arr = kp.arr
    assert arr is not None
    items = (_text(val)).split(b",")
    values = list(arr.elem.value or [])  # type: ignore[call-overload]
    maximum = len(values)
    num = 0
    for item in items:
        if num == maximum:
            log(_current.entry(), 3, f"{kp.name}: can only take {maximum} arguments\n")
            return -EINVAL
        cell = param_ref({}, "v")
        ret = arr.ops.set(item, kernel_param(kp.name, arr.ops, kp.perm, cell))  # type: ignore[misc]
        if ret:
            return ret
        values[num] = cell.value
        num += 1
    arr.elem.value = values
    if arr.num is not None:
        arr.num.value = num
    return 0


def param_array_get(buffer: object, kp: kernel_param) -> int:
    arr = kp.arr
    assert arr is not None
    count = arr.num.value if arr.num is not None else arr.max
    parts = []
    for value in list(arr.elem.value or [])[: int(count)]:  # type: ignore[call-overload]
        cell = bytearray(PAGE_SIZE)
        n = arr.ops.get(cell, kernel_param(kp.name, arr.ops, kp.perm,  # type: ignore[misc]
                                           param_ref({"v": value}, "v")))
        parts.append(bytes(cell[:n]).rstrip(b"\n").decode("utf-8", "surrogateescape"))
    return _store_into(buffer, ",".join(parts) + "\n")


param_array_ops = kernel_param_ops(set=param_array_set, get=param_array_get)


# -- parsing what insmod hands the kernel (kernel/params.c) ----------------------------------

_SPACES = " \t\n\v\f\r"


def next_arg(args: str) -> tuple[str, str | None, str]:
    """next_arg(): the first `param[=value]` of `args` (a value may be "quoted", and so may
    the whole word), and what follows it: (param, value or None, rest)."""
    i = 0
    equals = 0
    in_quote = quoted = False
    if args.startswith('"'):
        args = args[1:]
        in_quote = quoted = True
    while i < len(args):
        c = args[i]
        if c in _SPACES and not in_quote:
            break
        if equals == 0 and c == "=":
            equals = i
        if c == '"':
            in_quote = not in_quote
        i += 1
    word = args[:i]
    rest = args[i + 1 :] if i < len(args) else ""
    end = i  # the word is args[:end]; a closing quote at end-1 may be cut
    if equals == 0:
        param, val = word, None
    else:
        param, val = word[:equals], word[equals + 1 :]
        if val.startswith('"'):
            val = val[1:]
            if end > 0 and args[end - 1] == '"':
                val = val[:-1]
    if quoted and end > 0 and args[end - 1] == '"':
        if val is None:
            param = param[:-1]
        elif not word[equals + 1 :].startswith('"'):
            val = val[:-1]
    return param, val, rest.lstrip(_SPACES)


def parse_args(args: str) -> list[tuple[str, str | None]]:
    """Every (param, value) of the option string, in order, up to a `--`."""
    out = []
    args = args.lstrip(_SPACES)
    while args:
        param, val, args = next_arg(args)
        if val is None and param == "--":
            break
        out.append((param, val))
    return out


def parameq(a: str, b: str) -> bool:
    """Parameter names match with '-' and '_' the same."""
    return a.replace("-", "_") == b.replace("-", "_")


def VERIFY_OCTAL_PERMISSIONS(perms: int, what: str = "") -> int:
    """include/linux/kernel.h's compile-time check of a sysfs file's mode: the same rules,
    raised as an error at insmod (in C the build fails)."""
    perms = int(perms)
    problems = [
        (perms < 0 or perms > 0o777, "is not a permission (0 to 0777)"),
        ((perms >> 6) & 4 < (perms >> 3) & 4, "lets the group read what the owner can't"),
        ((perms >> 3) & 4 < perms & 4, "lets others read what the group can't"),
        ((perms >> 6) & 2 < (perms >> 3) & 2, "lets the group write what the owner can't"),
        (perms & 2, "lets others write (world-writable)"),
    ]
    for bad, why in problems:
        if bad:
            raise ValueError(f"{what or 'mode'}: mode 0{perms:o} {why}: VERIFY_OCTAL_PERMISSIONS"
                             f" rejects it, and in C the module would not build")
    return perms
