"""insmod's work: read and compile a module file, then load it into the kernel (load_module)."""

from __future__ import annotations

import marshal
import os
import traceback
import types
from dataclasses import dataclass

from kmodsim.errors import KmodError
from kmodsim.formats.kmodtools import insmod_failed, insmod_unreadable
from kmodsim.kernel.debug.watchdog import SoftLockup
from kmodsim.kernel.errno import MAX_ERRNO
from kmodsim.kernel.modload import (
    apply_params,
    augment_taints,
    do_init_module,
    free_module,
    link,
    resolve_symbols,
    verify_exported_symbols,
)
from kmodsim.kernel.module import INCLUDED, MODINFO, Module, ModuleState, module_name
from kmodsim.kernel.panic import KernelFault, die
from kmodsim.kernel.printk import log
from kmodsim.kernel.stacktrace import frames_from_traceback
from kmodsim.runtime import guard, namespace, symbols
from kmodsim.runtime.entry import KernelEntry

MAX_MODULE_BYTES = 16 << 20
# insert()'s answer when a module of that name is still in its init: the caller waits
STILL_LOADING = KmodError("still loading")


@dataclass
class ModuleImage:
    """A module file read and compiled, ready to be inserted (the .ko in memory)."""

    typed: str  # the file name as the user typed it: insmod's messages quote it
    path: str  # absolute
    name: str
    source: str
    code: types.CodeType

    def insert(self, k: KernelEntry, argv: list[str]) -> KmodError | None:
        """load_module() + do_init_module(); returns insmod's error, or None once loaded."""
        modules = k.state(ModuleState)
        row = modules.row(self.name)
        if row is not None:
            # add_unformed_module(): one still in init is waited for; a live one exists
            return STILL_LOADING if row[1] == "Loading" else insmod_failed(self.typed, 17)
        try:
            lm = k.add(namespace.instantiate(self.name, self.path, self.code, state="Loading"))
        except (Exception, SystemExit, KernelFault) as e:  # noqa: BLE001 - top level failed
            k.forget(self.name)
            return self._top_level_failed(k, e)
        if not self._is_a_module(lm):
            k.forget(self.name)
            log(k, 4, f"{self.name}: No module found in object\n")
            return insmod_failed(self.typed, 8, [
                f"{self.typed}: not a kernel module: no module_init, no MODULE_LICENSE and "
                f"no `from kmodsim.kernel import`"])
        augment_taints(k, lm)
        needed = symbols.needed(self.code)
        included = lm.ns.get(INCLUDED) or {}
        if included:  # copied now, as the module's own source is: later edits change nothing
            modules.set_included(self.name, included)
            for rel, text in included.items():
                needed += symbols.needed(compile(text, rel, "exec", dont_inherit=True))
        api = namespace.api()
        if resolve_symbols(k, lm, needed, api):
            k.forget(self.name)
            return insmod_failed(self.typed, 2)
        if not verify_exported_symbols(k, lm, api):
            k.forget(self.name)
            return insmod_failed(self.typed, 8)
        modules.insert(lm, self.source, marshal.dumps(self.code), argv)
        link(k, lm)
        err = apply_params(k, lm, argv) or do_init_module(k, lm)
        if err:
            free_module(k, lm)
            if err > MAX_ERRNO:  # glibc takes a return below -4095 for success: nothing said
                return None
            return insmod_failed(self.typed, err)
        return None

    def _top_level_failed(self, k: KernelEntry, e: BaseException) -> KmodError:
        """A name the kernel API doesn't have is the kernel's `Unknown symbol` (a .ko that
        needs a symbol nobody exports); any other failure makes the file unloadable."""
        lockup = guard.original(e)
        if isinstance(lockup, SoftLockup):  # a top level that never ends: the watchdog's
            stand_in = Module(self.name, self.path, "Loading", "", True,
                              types.ModuleType(self.name))
            lockup.report(k, stand_in, frames_from_traceback(e.__traceback__, self.path))
            die(k, lockup.signal)
        symbol = _symbol(e) if isinstance(e, ImportError) else None
        if symbol is not None:
            log(k, 4, f"{self.name}: Unknown symbol {symbol} (err -2)\n")
            return insmod_failed(self.typed, 2, [f"{_location(e, self.path)}: kmodsim.kernel "
                                                 f"has no symbol '{symbol}'"])
        return insmod_failed(self.typed, 8, [_where(e, self.path)])

    def _is_a_module(self, lm: Module) -> bool:
        """The kernel loads a module without an init function, so a file without one is
        loaded as long as it says it is a module in some way: an init, any MODULE_* line,
        or the kernel API imported. A file with none of these (an empty file, /dev/null, a
        script given by mistake) is refused, as the kernel refuses an object that has no
        module in it."""
        return bool(lm.init_hook() or lm.ns.get(MODINFO) or _imports_kernel(self.code))


def _where(e: BaseException, path: str) -> str:
    """`path:line: ErrorType: message` for an error raised by a module's top level."""
    return f"{_location(e, path)}: {type(e).__name__}: {e}"


def _location(e: BaseException, path: str) -> str:
    """`path:line` of the module's own line the error came from."""
    line = ""
    for frame, lineno in traceback.walk_tb(e.__traceback__):
        if frame.f_code.co_filename == path:
            line = f":{lineno}"
    return f"{path}{line}"


def _symbol(e: ImportError) -> str | None:
    """X in `from kmodsim.kernel import X` that failed for want of X."""
    text = str(e)
    if e.name == "kmodsim.kernel" and text.startswith("cannot import name '"):
        return text.split("'")[1]
    return None


def _imports_kernel(code: types.CodeType) -> bool:
    """Does the module's top level import kmodsim (`from kmodsim.kernel import *`)?"""
    return any(n == "kmodsim" or n.startswith("kmodsim.") for n in code.co_names)


def _read(typed: str, path: str) -> bytes:
    """The file's bytes; at most MAX_MODULE_BYTES, so that /dev/zero can't fill memory."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_MODULE_BYTES + 1)
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name (the Python API)
        err = getattr(e, "errno", None) or 2
        if err == 2:
            raise insmod_unreadable(typed, err) from None
        raise insmod_failed(typed, err) from None
    if len(raw) > MAX_MODULE_BYTES:
        raise insmod_failed(typed, 27, [f"{typed}: larger than {MAX_MODULE_BYTES >> 20} MiB: not a "
                                f"module source file"])
    return raw


def load_module(typed: str, path: str | None = None) -> ModuleImage:
    """Read and compile FILE as insmod reads a .ko; errors are insmod's and name the file
    as typed (`path`, if given, is the file actually read: hello.py for `hello.ko`)."""
    path = os.path.abspath(path or typed)
    raw = _read(typed, path)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise insmod_failed(typed, 8, [f"{typed}: not a Python module file ({e.reason} at byte "
                               f"{e.start})"]) from None
    path = _storable(path)  # the store (and the module's frames) name it as text
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        # Python's compiler's own report: where, the line, a caret under the spot
        detail = "".join(traceback.format_exception_only(e)).rstrip("\n").splitlines()
        raise insmod_failed(typed, 8, detail) from None
    except ValueError as e:  # NUL bytes in the source (a SyntaxError from Python 3.12)
        raise insmod_failed(typed, 8, [f"{typed}: SyntaxError: {e}"]) from None
    return ModuleImage(typed, path, _storable(module_name(typed)), source, code)


def _storable(name: str) -> str:
    """File-name bytes that aren't UTF-8 (a shell can pass any) as U+FFFD: SQLite keeps text."""
    return os.fsencode(name).decode("utf-8", "replace")

