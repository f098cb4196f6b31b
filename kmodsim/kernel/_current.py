"""Which kernel, module and task a kernel API call belongs to.

The runtime sets these for the duration of one hook (init, exit, a handler); API calls made
outside a hook (say, at a module's top level) have no kernel to talk to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmodsim.runtime import KernelEntry, LoadedModule

_entry: KernelEntry | None = None
_module: LoadedModule | None = None


class NoKernelError(RuntimeError):
    pass


def entry() -> KernelEntry:
    if _entry is None:
        raise NoKernelError(
            "kernel API called outside module code: call it from init, exit or a handler, "
            "and load the module with `kmod insmod`"
        )
    return _entry


def module() -> LoadedModule | None:
    return _module


def enter(entry_: KernelEntry | None, module_: LoadedModule | None) -> tuple:
    global _entry, _module
    saved = (_entry, _module)
    _entry, _module = entry_, module_
    return saved


def leave(saved: tuple) -> None:
    global _entry, _module
    _entry, _module = saved
