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


def needed(code: types.CodeType) -> set[str]:
    """Global names read by the module's functions (class bodies read their own names, and
    the top level has already run: a name missing there failed at once)."""
    loads: set[str] = set()
    stores: set[str] = set()
    _walk(code, loads, stores, top=True)
    return loads - stores


def _walk(code: types.CodeType, loads: set[str], stores: set[str], top: bool) -> None:
    is_class_body = not top and code.co_flags & 0x3 == 0  # no OPTIMIZED|NEWLOCALS: a class
    for ins in dis.get_instructions(code):
        if ins.opname in _STORES and isinstance(ins.argval, str):
            stores.add(ins.argval.split(".")[0])
        elif ins.opname in _LOADS and not top and not is_class_body:
            loads.add(str(ins.argval))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _walk(const, loads, stores, top=False)
