"""module_init/module_exit, MODULE_* information and module parameters (include/linux/module.h).

These run while the runtime executes a module's top level, so they record what they
declare in the module's own namespace (dunder names, never part of its memory).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

INIT_HOOK = "__kmod_init__"
EXIT_HOOK = "__kmod_exit__"
MODINFO = "__kmod_modinfo__"
PARAMS = "__kmod_params__"


def module_init(fn: F) -> F:
    """Declare the init function; works as `@module_init` or as `module_init(fn)`."""
    fn.__globals__[INIT_HOOK] = fn  # type: ignore[attr-defined]
    return fn


def module_exit(fn: F) -> F:
    fn.__globals__[EXIT_HOOK] = fn  # type: ignore[attr-defined]
    return fn


def _module_globals() -> dict:
    """The namespace of the module whose top level called the MODULE_* / module_param API."""
    return sys._getframe(2).f_globals


def _modinfo(ns: dict, key: str, value: str) -> None:
    ns.setdefault(MODINFO, []).append((key, str(value)))


def MODULE_LICENSE(license: str) -> None:
    _modinfo(_module_globals(), "license", license)


def MODULE_AUTHOR(author: str) -> None:
    _modinfo(_module_globals(), "author", author)


def MODULE_DESCRIPTION(description: str) -> None:
    _modinfo(_module_globals(), "description", description)


def MODULE_VERSION(version: str) -> None:
    _modinfo(_module_globals(), "version", version)


def MODULE_ALIAS(alias: str) -> None:
    _modinfo(_module_globals(), "alias", alias)


def MODULE_INFO(tag: str, info: str) -> None:
    _modinfo(_module_globals(), tag, info)


def MODULE_PARM_DESC(name: str, desc: str) -> None:
    _modinfo(_module_globals(), "parm", f"{name}:{desc}")


_PY_TYPES = {int: "int", str: "charp", bool: "bool"}


def _param_type(ptype: object) -> str:
    name = _PY_TYPES.get(ptype, ptype)  # type: ignore[call-overload]
    if not isinstance(name, str):
        raise TypeError(f"module_param: unknown type {ptype!r}; use a C type name such as 'int'")
    return name


def module_param(name: str, type: object, perm: int) -> None:
    """`module_param(myint, int, 0644)`: the variable named `name` becomes settable at insmod."""
    ns = _module_globals()
    ns.setdefault(PARAMS, {})[name] = (_param_type(type), perm, None)
    _modinfo(ns, "parmtype", f"{name}:{_param_type(type)}")


def module_param_array(name: str, type: object, nump: str | None, perm: int) -> None:
    """`module_param_array(arr, int, &argc, 0)`: pass the counter's variable name as a string."""
    ns = _module_globals()
    ns.setdefault(PARAMS, {})[name] = (_param_type(type), perm, nump or "")
    _modinfo(ns, "parmtype", f"{name}:array of {_param_type(type)}")


class _ThisModule:
    """THIS_MODULE: stands for the module being defined (used as `.owner`)."""

    def __reduce__(self) -> str:
        return "THIS_MODULE"

    def __repr__(self) -> str:
        return "THIS_MODULE"


THIS_MODULE = _ThisModule()
