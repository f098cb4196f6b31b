"""A module's code running as `kmodsim.live.NAME`: executed afresh in each kernel entry, with
its memory put back from the store and saved again at the end.
"""

from __future__ import annotations

import marshal
import sys
import types

from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.locking import _Lock
from kmodsim.kernel.module import Module, ModuleState
from kmodsim.runtime import memory

LIVE_PREFIX = "kmodsim.live."
_CODE_CACHE: dict[bytes, types.CodeType] = {}
_NAMES_CACHE: dict[int, tuple[types.CodeType, frozenset[str]]] = {}


def code_of(blob: bytes) -> types.CodeType:
    """A module's compiled code; a process running many commands (batch, the Python API)
    unmarshals each distinct module image once."""
    code = _CODE_CACHE.get(blob)
    if code is None:
        code = _CODE_CACHE[blob] = marshal.loads(blob)
    return code


def _global_names(code: types.CodeType) -> frozenset[str]:
    cached = _NAMES_CACHE.get(id(code))
    if cached is None or cached[0] is not code:  # (holding the code keeps its id unique)
        cached = _NAMES_CACHE[id(code)] = (code, memory.global_names(code))
    return cached[1]


def _api() -> dict:
    import kmodsim.kernel as api

    return vars(api)


def instantiate(name: str, path: str, code: types.CodeType, *, state: str, taints: str = "",
                has_exit: bool = True, load_order: int = 0) -> Module:
    """Execute a module's code in a fresh namespace registered as kmodsim.live.NAME."""
    mod = types.ModuleType(LIVE_PREFIX + name)
    mod.__file__ = path
    mod.__dict__["__kmod_source__"] = path
    sys.modules[mod.__name__] = mod
    lm = Module(name, path, state, taints, has_exit, mod, load_order)
    lm.code_names = _global_names(code)
    saved = _current.enter(None, lm)
    try:
        exec(code, mod.__dict__)
    finally:
        _current.leave(saved)
    if state == "Loading":  # fresh from insmod: later loads restore the names with memory
        for var, value in memory.memory_of(mod.__dict__, _api(), lm.code_names).items():
            if isinstance(value, _Lock) and not value.name:  # lockdep names it so
                value.name = var
    return lm


def restore(lm: Module, blob: bytes | None) -> None:
    """Put the module's saved memory back into its fresh namespace."""
    if blob is not None:
        variables, lm.objects = memory.load(blob)
        lm.ns.update(variables)


def save(k: Kernel, lm: Module) -> None:
    variables = memory.memory_of(lm.ns, _api(), lm.code_names)
    k.state(ModuleState).save_memory(lm.name, memory.dump(lm.name, variables, lm.objects))


def drop(name: str) -> None:
    sys.modules.pop(LIVE_PREFIX + name, None)
