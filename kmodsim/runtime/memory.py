"""A module's memory: its module-level variables, kept between commands with pickle.

Code is not memory: functions, classes, imported modules and the kernel API are left out, and
recreated by executing the module's stored code again. References to code inside memory (a
proc_ops holding handlers, an instance of a class the module defines) pickle by name, because
the module runs registered as `kmodsim.live.<name>`. Loading uses the store's allow-list
unpickler: only kmodsim's kernel objects, the module's own code and plain builtin data.
"""

from __future__ import annotations

import _pickle as pickle  # the C pickler alone: `pickle` adds a Python one (1 ms of start-up)
import copyreg
import io
import operator
import sys
import types

from kmodsim.errors import ModuleMemoryError
from kmodsim.store import HIGHEST_PROTOCOL, load_blob

_CODE_TYPES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type,
               types.MethodType, staticmethod, classmethod)


def memory_of(ns: dict, api: dict, data_names: set[str] | frozenset[str]) -> dict:
    """The module's data: of the names it assigns (or brought back from memory), those
    bound to data: not code, not dunders, not the kernel API's own objects."""
    memory = {}
    for k in data_names:
        value = ns.get(k, ns)
        if value is ns or k[:2] == "__" or isinstance(value, _CODE_TYPES):
            continue
        if k in api and value is api[k]:
            continue
        memory[k] = value
    return memory


def dump(module_name: str, variables: dict, objects: dict[str, dict]) -> bytes:
    """Pickle variables and the kernel's objects (per subsystem) together, so shared objects
    stay shared."""
    try:
        return pickle.dumps((variables, objects), protocol=HIGHEST_PROTOCOL)
    except Exception:
        pass
    for name, value in variables.items():  # find the culprit for the message
        try:
            pickle.dumps(value, protocol=HIGHEST_PROTOCOL)
        except Exception as e:
            why = _reason(e)
            raise ModuleMemoryError(
                f"kmod: module {module_name}: variable '{name}' holds a "
                f"{type(value).__name__}, which can't be kept in kernel memory between "
                f"commands" + (f" ({why})" if why else "")
            ) from None
    raise ModuleMemoryError(f"kmod: module {module_name}: its variables can't be saved")


class _MayRunModuleCode(Exception):
    """Pickling met an object whose pickling may run the module's own code."""


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by Python code, not a C type
_PICKLE_HOOKS = frozenset({"__reduce_ex__", "__reduce__", "__getstate__", "__getnewargs_ex__",
                           "__getnewargs__"})
_PROTOCOL = 5  # what HIGHEST_PROTOCOL (-1) means to the Pythons kmodsim runs on
_REDUCE = operator.methodcaller("__reduce_ex__", _PROTOCOL)  # what pickle itself would call


def _is_kernel_class(cls: type) -> bool:
    """`cls` is the class of that name in a kmodsim.kernel module (not a look-alike that set
    its __module__ and __qualname__ so)."""
    where = getattr(cls, "__module__", None)
    if not isinstance(where, str) or not where.startswith("kmodsim.kernel"):
        return False
    found: object = sys.modules.get(where)
    for part in str(getattr(cls, "__qualname__", "")).split("."):
        found = vars(found).get(part) if hasattr(found, "__dict__") else None
    return found is cls


def _reduce_checked(obj: object) -> object:
    """An object of kmodsim's with a __dict__: reduced as pickle would, unless a pickling
    hook was set on the object itself (which would be module code)."""
    state = getattr(obj, "__dict__", None)
    if isinstance(state, dict) and not _PICKLE_HOOKS.isdisjoint(state):
        raise _MayRunModuleCode
    return _REDUCE(obj)


class _Reducers(dict):
    """The plain pickler's dispatch table, type -> reducer: copyreg's as it was before any
    module code ran, and each type met since, once judged (__missing__): Python's own C types
    and kmodsim.kernel's classes reduce as pickle would reduce them; any other class was made
    by the module (its hooks are its code): the plain pickler gives up."""

    def __missing__(self, cls: type) -> object:
        if not cls.__flags__ & _HEAPTYPE:
            reducer: object = _REDUCE
        elif _is_kernel_class(cls):
            reducer = _reduce_checked if cls.__dictoffset__ else _REDUCE
        else:
            raise _MayRunModuleCode
        self[cls] = reducer
        return reducer


class _PlainPickler(pickle.Pickler):
    """Pickles memory only while nothing in it can run the module's code: functions and
    classes pickle by name (their module's __getattr__ is the caller's to rule out), and
    every other object through _Reducers."""

    dispatch_table = _Reducers(copyreg.dispatch_table)


def dump_plain(variables: dict, objects: dict[str, dict]) -> bytes | None:
    """What dump() gives, when pickling runs no code of the module's (so that no watchdog
    need bound it); None when it might, or when pickling fails (dump() says why). The
    caller makes sure no module whose function may be in memory defines __getattr__."""
    out = io.BytesIO()
    try:
        _PlainPickler(out, _PROTOCOL).dump((variables, objects))
    except Exception:  # noqa: BLE001 - dump(), under the watchdog, does it again and reports
        return None
    return out.getvalue()


def too_large(module_name: str, variables: dict, limit: int) -> ModuleMemoryError:
    """The error for memory larger than the store keeps in one blob, naming the variable."""
    for name, value in variables.items():
        size = len(pickle.dumps(value, protocol=HIGHEST_PROTOCOL))
        if size > limit:
            return ModuleMemoryError(
                f"kmod: module {module_name}: variable '{name}' holds a "
                f"{type(value).__name__} of {size:,} bytes, too large to keep in kernel "
                f"memory between commands (at most {limit:,} bytes)")
    return ModuleMemoryError(f"kmod: module {module_name}: its variables together are too "
                             f"large to keep in kernel memory between commands (at most "
                             f"{limit:,} bytes)")


def _reason(e: Exception) -> str:
    text = str(e)
    if "<lambda>" in text or "<locals>" in text:
        return "a kernel object may only point at functions defined at the module's top level"
    if text.startswith("cannot pickle"):  # says no more than the type already did
        return ""
    return text or type(e).__name__


def load(blob: bytes) -> tuple[dict, dict[str, dict]]:
    """(variables, kernel objects per subsystem)."""
    saved = load_blob(blob)
    if len(saved) == 3:  # schema 2 kept (variables, allocations, timers)
        variables, allocations, timers = saved
        return variables, {"slab": allocations, "timer": timers}
    return saved
