"""The kernel: one file per subsystem, and the API a module file imports with
`from kmodsim.kernel import *` (its names are in kmodsim/kernel/api.py).

The package itself imports nothing, and loads the API name by name: each name's file is
imported when the name is first asked for (api_index.py says which file has it). A module
file's star import asks only for the names its code uses, so a command loads the files of
the API that module needs, never the whole API; lsmod and dmesg, which run no module code,
load none. Where an API name is also a file's name (`printk`, `kobject`), the API's wins, as
C's names do.
"""

from __future__ import annotations

import sys
import types

# API names that are also a file's name: C's name wins here, as in module code
# (tests/test_api_index.py keeps this list whole)
_NAMED_AS_FILES = frozenset({"completion", "device", "kobject", "panic", "printk", "semaphore",
                             "seq_file"})
_where: dict[str, str] | None = None
_used: dict[int, tuple[types.CodeType, list[str]]] = {}
_resolved: dict[str, object] = {}  # the API names loaded so far


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: object) -> None:
        if name in _NAMED_AS_FILES and isinstance(value, types.ModuleType):
            return  # importing kmodsim.kernel.printk must not hide the function printk
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


_files: set[str] | None = None


def _is_file(name: str) -> bool:
    """Whether `name` is one of the package's files (`from kmodsim.kernel import vfs` asks
    for it before importing it: no need to load the index for that)."""
    global _files
    if _files is None:
        import os

        _files = {entry.removesuffix(".py") for entry in os.listdir(__path__[0])}
    return name in _files


def _index() -> dict[str, str]:
    global _where
    if _where is None:
        from kmodsim.kernel.api_index import WHERE

        _where = WHERE
    return _where


def __getattr__(name: str) -> object:
    if name == "__all__":  # a star import: from a module file, only the names it uses
        return api_names(sys._getframe(1))
    if _is_file(name) and name not in _NAMED_AS_FILES:
        raise AttributeError(name)  # `from kmodsim.kernel import vfs`: the caller imports it
    file = _index().get(name)
    if file is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = vars(importlib.import_module(f"{__name__}.{file}"))[name]
    globals()[name] = _resolved[name] = value
    return value


def api_names(frame: types.FrameType | None = None, code: types.CodeType | None = None
              ) -> list[str]:
    """The API names the code of a module file (running in `frame`, or `code`) uses; all
    of them for any other code (a test's star import)."""
    while frame is not None and frame.f_globals.get("__name__") == "importlib._bootstrap":
        frame = frame.f_back  # the import system's _handle_fromlist asks on the file's behalf
    if frame is not None:
        if frame.f_globals.get("__kmod_source__") is None:
            return list(_index())
        code = frame.f_code
    assert code is not None
    kept = _used.get(id(code))
    if kept is None or kept[0] is not code:  # (holding the code keeps its id unique)
        where = _index()
        names: dict[str, None] = {}
        todo = [code]
        while todo:
            c = todo.pop()
            names.update((n, None) for n in c.co_names if n in where)
            todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        if len(_used) >= 256:  # a process that sees many module images: keep it bounded
            _used.clear()
        kept = _used[id(code)] = (code, list(names))
    return kept[1]


def resolved() -> dict[str, object]:
    """The API names loaded so far, with their values (whatever a module file bound from
    the API is among them)."""
    return _resolved
