"""A module's code running as `kmodsim.live.NAME`: executed afresh in each kernel entry, with
its memory put back from the store and saved again at the end.
"""

from __future__ import annotations

import marshal
import sqlite3
import sys
import types

from kmodsim.errors import ModuleMemoryError
from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.debug.watchdog import Watchdog
from kmodsim.kernel.module import INCLUDED, Module, ModuleState, assigned_names
from kmodsim.runtime import guard, memory
from kmodsim.runtime.refresh import refresh
from kmodsim.store import BadModuleBlob

LIVE_PREFIX = "kmodsim.live."
SAVE_TIME_FACTOR = 4  # saving memory may take this many watchdog thresholds
_CODE_CACHE: dict[bytes, types.CodeType] = {}
_NAMES_CACHE: dict[int, tuple[types.CodeType, frozenset[str]]] = {}


def code_of(name: str, blob: bytes) -> types.CodeType:
    """Module `name`'s compiled code; a process running many commands (batch, the Python
    API) unmarshals each distinct module image once. A damaged image is a BadModuleBlob:
    the store's one-line error, which names the module and the way out."""
    code = _CODE_CACHE.get(blob)
    if code is None:
        try:
            code = marshal.loads(blob)
        except (ValueError, EOFError, TypeError) as e:
            raise BadModuleBlob(name, "code", str(e)) from None
        if not isinstance(code, types.CodeType):
            raise BadModuleBlob(name, "code", f"{type(code).__name__} where code belongs")
        _CODE_CACHE[blob] = code
    return code


def _assigned_names(code: types.CodeType) -> frozenset[str]:
    cached = _NAMES_CACHE.get(id(code))
    if cached is None or cached[0] is not code:  # (holding the code keeps its id unique)
        cached = _NAMES_CACHE[id(code)] = (code, assigned_names(code))
    return cached[1]


def api() -> dict:
    """The kernel API's names, as `from kmodsim.kernel import *` binds them."""
    from kmodsim.kernel import api as kernel_api

    return vars(kernel_api)


def bound_api() -> dict:
    """The API names loaded so far: whatever a module's code bound from the API is among
    them (its memory never includes those), without loading the whole API."""
    import kmodsim.kernel as kernel  # (`from kmodsim import` runs importlib code)

    return kernel.resolved()


def instantiate(name: str, path: str, code: types.CodeType, *, state: str, taints: str = "",
                has_exit: bool = True, load_order: int = 0,
                included: dict[str, str] | None = None) -> Module:
    """Execute a module's code in a fresh namespace registered as kmodsim.live.NAME.
    `included`: the files it include()s, as insmod read them."""
    mod = types.ModuleType(LIVE_PREFIX + name)
    mod.__file__ = path
    mod.__dict__["__kmod_source__"] = path
    mod.__dict__["KBUILD_MODNAME"] = name  # what Kbuild defines for every file of a module
    if included:
        mod.__dict__[INCLUDED] = dict(included)
    sys.modules[mod.__name__] = mod
    lm = Module(name, path, state, taints, has_exit, mod, load_order)
    lm.data_names = set(_assigned_names(code))
    saved = _current.enter(None, lm)
    try:  # top-level code is module code: the watchdog bounds it too
        _, error = guard.run_module_code(Watchdog(path), exec, code, mod.__dict__)
    finally:
        _current.leave(saved)
    if error is not None:
        drop(name)
        raise guard.top_level_error(error, path)
    if state == "Loading":  # fresh from insmod: later loads restore the names with memory
        for var, value in memory.memory_of(mod.__dict__, bound_api(), lm.data_names).items():
            # locks, wait queues, completions are named after their variable: reports say
            # so, and tasks in other processes find them by it (their wait channel)
            if getattr(value, "kernel_named", False) and (not value.name or
                                                          value.name.startswith("#")):
                value.name = var
    return lm


def restore(lm: Module, blob: bytes | None) -> None:
    """Put the module's saved memory back into its fresh namespace."""
    lm.blob = blob
    if blob is not None:
        variables, lm.objects = memory.load(blob)
        lm.ns.update(variables)
        lm.data_names.update(variables)


def catch_up(lm: Module, blob: bytes | None) -> None:
    """After a sleep: other tasks' changes to the module's memory, merged into the objects
    it already has (a handler's locals keep pointing at live objects)."""
    if blob is None or blob == lm.blob:
        return
    variables, objects = memory.load(blob)
    lm.data_names.update(variables)
    lm.objects = refresh(lm.ns, variables, objects, lm.objects)
    lm.blob = blob


def save(k: Kernel, lm: Module) -> None:
    """Keep the module's memory. Where pickling may run the module's own code (__reduce__,
    __getstate__ of its classes), it runs under the watchdog like any; a blob larger than
    the store can keep names the variable, rather than failing in the store."""
    variables = memory.memory_of(lm.ns, bound_api(), lm.data_names)
    # a module's __getattr__ would run when pickle looks up one of its functions by name
    plain = not any("__getattr__" in other.ns for other in k.live.values())
    blob: object = memory.dump_plain(variables, lm.objects) if plain else None
    error = None
    if blob is None:  # pickling may run the module's code: bounded like any of it
        # a large memory takes time of its own to pickle: only code that loops is stopped
        watchdog = Watchdog(lm.path, k.lockup_after * SAVE_TIME_FACTOR)
        blob, error = guard.run_module_code(watchdog, memory.dump, lm.name, variables,
                                            lm.objects)
    if isinstance(error, ModuleMemoryError):
        raise error
    if error is not None:
        shown, text = guard.printable(error, lm.path)
        raise ModuleMemoryError(f"kmod: module {lm.name}: its variables can't be kept: saving "
                                f"them ran its code, which raised {type(shown).__name__}"
                                + (f": {text}" if text else ""))
    assert isinstance(blob, bytes)
    limit = k.db.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
    if len(blob) > limit:
        raise memory.too_large(lm.name, variables, limit)
    if blob != lm.blob:  # (a read handler, say, changed nothing: no page to write)
        k.state(ModuleState).save_memory(lm.name, blob)
        lm.blob = blob


def drop(name: str) -> None:
    sys.modules.pop(LIVE_PREFIX + name, None)
    _KEPT.pop(name, None)


# A process that makes many kernel entries (batch, the Python API) keeps each module's
# namespace from one to the next, as long as the store holds exactly the code and memory it
# committed: no other process changed them, so running the code again and unpickling the
# memory would only rebuild the same objects.
_KEPT: dict[str, tuple[bytes, Module]] = {}


def keep(modules: list[Module], codes: dict[str, bytes]) -> None:
    """After a commit: these namespaces are what the store now holds."""
    for lm in modules:
        code = codes.get(lm.name)
        if code is not None and lm.blob is not None:
            _KEPT[lm.name] = (code, lm)


def reuse(name: str, code: bytes, blob: bytes | None) -> Module | None:
    """The namespace kept from this process's last entry, if the store still holds what it
    committed then (else None, and it is dropped)."""
    kept = _KEPT.pop(name, None)
    if kept is None or kept[0] != code or kept[1].blob != blob or blob is None:
        return None
    lm = kept[1]
    sys.modules[LIVE_PREFIX + name] = lm.module
    lm.dirty = False
    return lm
