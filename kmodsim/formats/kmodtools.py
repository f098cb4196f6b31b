"""The messages of kmod's insmod and rmmod (tools/insmod.c, tools/rmmod.c)."""

from __future__ import annotations

from kmodsim.errors import InsmodError, RmmodError, strerror

# insmod's mod_strerror(): kmod's own words for these, glibc's strerror for the rest
_INSMOD_TEXT = {8: "Invalid module format", 2: "Unknown symbol in module",
                3: "Module has wrong symbol version", 22: "Invalid parameters"}


def insmod_strerror(err: int) -> str:
    return _INSMOD_TEXT.get(err) or strerror(err)


def insmod_failed(typed: str, err: int, why: list[str] | None = None) -> InsmodError:
    """`insmod: ERROR: could not insert module FILE: REASON`, then kmodsim's explanation."""
    return InsmodError([f"insmod: ERROR: could not insert module {typed}: "
                        f"{insmod_strerror(err)}", *(why or [])], err)


def insmod_unreadable(typed: str, err: int) -> InsmodError:
    return InsmodError(f"insmod: ERROR: could not load module {typed}: {strerror(err)}", err)


# Debian's kmod 30 is built with its debug logging: libkmod's errors name their source line
LIBKMOD_REMOVE = "../libkmod/libkmod-module.c:856 kmod_module_remove_module()"


def rmmod_not_loaded(name: str) -> RmmodError:
    return RmmodError(f"rmmod: ERROR: Module {name} is not currently loaded", 2)


def rmmod_in_use(name: str, holders: list[str] | None = None) -> RmmodError:
    if holders:
        return RmmodError(f"rmmod: ERROR: Module {name} is in use by: {' '.join(holders)}", 16)
    return RmmodError(f"rmmod: ERROR: Module {name} is in use", 16)


def rmmod_failed(name: str, typed: str, err: int) -> RmmodError:
    """What libkmod and then rmmod say when delete_module fails with `err`."""
    text = strerror(err)
    return RmmodError([f"rmmod: ERROR: {LIBKMOD_REMOVE} could not remove '{name}': {text}",
                       f"rmmod: ERROR: could not remove module {typed}: {text}"], err)
