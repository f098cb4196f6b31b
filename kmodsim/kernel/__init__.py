"""The kernel: one file per subsystem, and the API a module file imports with
`from kmodsim.kernel import *` (its names are in kmodsim/kernel/api.py).

The package itself imports nothing. A command that only looks at the machine (lsmod, dmesg)
uses a subsystem or two and never pays for the whole API; the first API name asked of the
package (a module's star import, `from kmodsim.kernel import current`) loads it, and from
then on the API's names are the package's own (where one is also a subsystem's file name,
`panic` and `printk`, the function wins, as C's names do).
"""

from __future__ import annotations

import sys
import types

_files: set[str] | None = None


def _is_file(name: str) -> bool:
    """Whether `name` is one of the package's files (`from kmodsim.kernel import vfs` asks
    for it before importing it: that must not load the API, which imports the files)."""
    global _files
    if _files is None:
        import os

        _files = {entry.removesuffix(".py") for entry in os.listdir(__path__[0])}
    return name in _files


# API functions named as a file of the package is: C's name wins here, as in module code
_FUNCTIONS_NAMED_AS_FILES = frozenset({"panic", "printk"})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: object) -> None:
        if name in _FUNCTIONS_NAMED_AS_FILES and isinstance(value, types.ModuleType):
            return  # importing kmodsim.kernel.printk must not hide the function printk
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> object:
    if (name.startswith("_") and name != "__all__" and not name.startswith(("_IO", "__ATTR"))
            and name not in ("__put_user", "__get_user")) or (
            _is_file(name) and name not in _FUNCTIONS_NAMED_AS_FILES):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    api = importlib.import_module("kmodsim.kernel.api")  # (a from-import would ask here again)
    globals().update((n, getattr(api, n)) for n in api.__all__)
    if name == "__all__":
        return api.__all__
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
