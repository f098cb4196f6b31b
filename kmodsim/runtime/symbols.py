"""The symbols a module's code needs: every global name its functions read, which the
kernel's loader must find somewhere (the module itself, Python's builtins, the kernel API,
another module's exports) before the module may run, as a .ko's undefined symbols are
resolved at insmod.
"""

from __future__ import annotations

import dis
import types

_LOADS = {"LOAD_GLOBAL", "LOAD_NAME"}
_STORES = {"STORE_GLOBAL", "STORE_NAME", "DELETE_GLOBAL", "DELETE_NAME", "IMPORT_NAME"}


def needed(code: types.CodeType) -> list[str]:
    """Global names read by the module's functions (class bodies read their own names, and
    the top level has already run: a name missing there failed at once), in the order a
    C compiler's object file lists its undefined symbols, which is the order the kernel
    reports the unknown ones in: the functions last defined first (as GCC lays out a
    file), within one the order of first use."""
    loads: dict[str, None] = {}
    stores: set[str] = set()
    _walk(code, loads, stores, top=True)
    return [name for name in loads if name not in stores]


def _walk(code: types.CodeType, loads: dict[str, None], stores: set[str], top: bool) -> None:
    is_class_body = not top and code.co_flags & 0x3 == 0  # no OPTIMIZED|NEWLOCALS: a class
    for ins in dis.get_instructions(code):
        if ins.opname in _STORES and isinstance(ins.argval, str):
            stores.add(ins.argval.split(".")[0])
        elif ins.opname in _LOADS and not top and not is_class_body:
            loads.setdefault(str(ins.argval))
    nested = [const for const in code.co_consts if isinstance(const, types.CodeType)]
    for const in reversed(nested) if top else nested:
        _walk(const, loads, stores, top=False)
