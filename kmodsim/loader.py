"""insmod's work: read and compile a module file, then load it into the kernel (load_module)."""

from __future__ import annotations

import marshal
import os
import traceback
import types
from dataclasses import dataclass

from kmodsim.errors import InsmodError, KmodError, strerror
from kmodsim.faults import KernelFault
from kmodsim.runtime import KernelEntry, LoadedModule, modinfo_json
from kmodsim.taint import (
    TAINT_OOT_MODULE,
    TAINT_PROPRIETARY_MODULE,
    add_module_taint,
)

# license_is_gpl_compatible() in include/linux/license.h
GPL_COMPATIBLE = {"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
                  "Dual MIT/GPL", "Dual MPL/GPL"}
MAX_MODULE_BYTES = 16 << 20


def _fail(typed: str, err: int, why: list[str] | None = None) -> InsmodError:
    from kmodsim.machine import insmod_strerror

    return InsmodError([f"insmod: ERROR: could not insert module {typed}: "
                        f"{insmod_strerror(err)}", *(why or [])], err)


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
        from kmodsim.machine import module_size

        if k.db.execute("SELECT 1 FROM modules WHERE name=?", (self.name,)).fetchone():
            return _fail(self.typed, 17)
        try:
            lm = k.instantiate(self.name, self.path, self.code, state="Loading")
        except (Exception, SystemExit, KernelFault) as e:  # noqa: BLE001 - top level failed
            k.forget(self.name)
            return self._top_level_failed(k, e)
        if not self._is_a_module(k, lm):
            k.forget(self.name)
            k.printk(4, f"{self.name}: No module found in object\n")
            return _fail(self.typed, 8, [f"{self.typed}: not a kernel module: no module_init, "
                                         f"no MODULE_LICENSE and no `from kmodsim.kernel "
                                         f"import`"])
        blob = marshal.dumps(self.code)
        order = _next_load_order(k)
        lm.load_order = order
        k.db.execute(
            "INSERT INTO modules (name, load_order, path, source, code, state, params, modinfo,"
            " size, has_exit) VALUES (?, ?, ?, ?, ?, 'Loading', ?, ?, ?, ?)",
            (self.name, order, self.path, self.source, blob, " ".join(argv),
             modinfo_json(lm.ns), module_size(len(blob)), int(k.exit_hook(lm) is not None)))
        self._taint(k, lm)
        err = self._apply_params(k, lm, argv)
        if err:
            return self._unload(k, lm, err)
        init = k.init_hook(lm)
        ret = k.call(lm, "init", init) if init is not None else 0
        ret = 0 if ret is None else ret
        if not isinstance(ret, int):
            k.printk(4, f"{self.name}: init returned {type(ret).__name__} {ret!r}; "
                        f"it must return 0 or -errno\n")
            ret = -22
        if ret < 0:
            return self._unload(k, lm, -ret)
        if ret > 0:
            k.printk(4, f"do_init_module: '{self.name}'->init suspiciously returned {ret}, it "
                        f"should follow 0/-E convention\ndo_init_module: loading module "
                        f"anyway...\n")
        lm.state = "Live"
        return None

    def _top_level_failed(self, k: KernelEntry, e: BaseException) -> KmodError:
        """A name the kernel API doesn't have is the kernel's `Unknown symbol` (a .ko that
        needs a symbol nobody exports); any other failure makes the file unloadable."""
        symbol = _symbol(e) if isinstance(e, ImportError) else None
        if symbol is not None:
            k.printk(4, f"{self.name}: Unknown symbol {symbol} (err -2)\n")
            return _fail(self.typed, 2, [f"{_location(e, self.path)}: kmodsim.kernel has no "
                                         f"symbol '{symbol}'"])
        return _fail(self.typed, 8, [_where(e, self.path)])

    def _is_a_module(self, k: KernelEntry, lm: LoadedModule) -> bool:
        """The kernel loads a module without an init function, so a file without one is
        loaded as long as it says it is a module in some way: an init, any MODULE_* line,
        or the kernel API imported. A file with none of these (an empty file, /dev/null, a
        script given by mistake) is refused, as the kernel refuses an object that has no
        module in it."""
        from kmodsim.kernel.module import MODINFO

        return bool(k.init_hook(lm) or lm.ns.get(MODINFO) or _imports_kernel(self.code))

    def _unload(self, k: KernelEntry, lm: LoadedModule, err: int) -> KmodError:
        from kmodsim.kmemleak import report_leaks

        report_leaks(k, lm)
        lm.dirty = False
        k.remove_module(self.name)
        return _fail(self.typed, err)

    def _taint(self, k: KernelEntry, lm: LoadedModule) -> None:
        """module_augment_kernel_taints(): out-of-tree (O) and non-GPL license (P)."""
        from kmodsim.kernel.module import MODINFO

        info = dict(lm.ns.get(MODINFO, []))
        if not k.taint & (1 << TAINT_OOT_MODULE):
            k.printk(4, f"{self.name}: loading out-of-tree module taints kernel.\n")
        k.add_taint(TAINT_OOT_MODULE)
        lm.taints = add_module_taint(lm.taints, "O")
        license = info.get("license")
        if license not in GPL_COMPATIBLE:
            if not k.taint & (1 << TAINT_PROPRIETARY_MODULE):
                k.printk(4, f"{self.name}: module license '{license or 'unspecified'}' "
                            f"taints kernel.\n")
                k.printk(4, "Disabling lock debugging due to kernel taint\n")
            k.add_taint(TAINT_PROPRIETARY_MODULE)
            lm.taints = add_module_taint(lm.taints, "P")
        k.db.execute("UPDATE modules SET taints=? WHERE name=?", (lm.taints, self.name))

    def _apply_params(self, k: KernelEntry, lm: LoadedModule, argv: list[str]) -> int:
        """parse_args(): set module parameters before init; 0 or an errno."""
        from kmodsim.kernel.module import PARAMS
        from kmodsim.params import ParamError, parse_value, split_args

        declared: dict = lm.ns.get(PARAMS, {})
        for a in split_args(argv):
            if a.name not in declared:
                k.printk(4, f"{self.name}: unknown parameter '{a.name}' ignored\n")
                continue
            ptype, _perm, nump = declared[a.name]
            try:
                if nump is None:
                    lm.ns[a.name] = parse_value(ptype, a.value)
                    continue
                items = (a.value or "").split(",")
                current = list(lm.ns.get(a.name) or [])
                if len(items) > len(current):
                    k.printk(3, f"{self.name}: can only take {len(current)} arguments\n")
                    return 22
                for i, item in enumerate(items):
                    current[i] = parse_value(ptype, item)
                lm.ns[a.name] = current
                if nump:
                    lm.ns[nump] = len(items)
            except ParamError as e:
                word = "too large" if e.errno == 28 else "invalid"
                k.printk(3, f"{self.name}: `{a.value or ''}' {word} for parameter `{a.name}'\n")
                return 22
        return 0


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


def _next_load_order(k: KernelEntry) -> int:
    """Larger is newer: lsmod and /proc/modules list the newest first."""
    last = k.db.execute("SELECT MAX(load_order) FROM modules").fetchone()[0] or 0
    return last + 1


def _read(typed: str, path: str) -> bytes:
    """The file's bytes; at most MAX_MODULE_BYTES, so that /dev/zero can't fill memory."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_MODULE_BYTES + 1)
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name (the Python API)
        err = getattr(e, "errno", None) or 2
        if err == 2:
            raise InsmodError(f"insmod: ERROR: could not load module {typed}: "
                              f"{strerror(err)}", err) from None
        raise _fail(typed, err) from None
    if len(raw) > MAX_MODULE_BYTES:
        raise _fail(typed, 27, [f"{typed}: larger than {MAX_MODULE_BYTES >> 20} MiB: not a "
                                f"module source file"])
    return raw


def load_module(typed: str) -> ModuleImage:
    """Read and compile FILE as insmod reads a .ko; errors are insmod's."""
    from kmodsim.machine import module_name

    path = os.path.abspath(typed)
    raw = _read(typed, path)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _fail(typed, 8, [f"{typed}: not a Python module file ({e.reason} at byte "
                               f"{e.start})"]) from None
    path = _storable(path)  # the store (and the module's frames) name it as text
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        # Python's compiler's own report: where, the line, a caret under the spot
        detail = "".join(traceback.format_exception_only(e)).rstrip("\n").splitlines()
        raise _fail(typed, 8, detail) from None
    except ValueError as e:  # NUL bytes in the source (a SyntaxError from Python 3.12)
        raise _fail(typed, 8, [f"{typed}: SyntaxError: {e}"]) from None
    return ModuleImage(typed, path, _storable(module_name(typed)), source, code)


def _storable(name: str) -> str:
    """File-name bytes that aren't UTF-8 (a shell can pass any) as U+FFFD: SQLite keeps text."""
    return os.fsencode(name).decode("utf-8", "replace")

