"""The kernel's side of insmod and rmmod (kernel/module/main.c): load_module's taint and
parameter steps, do_init_module, free_module and the delete_module system call.
"""

from __future__ import annotations

import builtins

from kmodsim.formats.procmodules import module_flags
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.debug.kmemleak import report_leaks
from kmodsim.kernel.errno import EINVAL, ENOENT, ENOSPC
from kmodsim.kernel.module import (
    EXPORTS,
    MODINFO,
    PARAMS,
    TAINT_FORCED_RMMOD,
    TAINT_OOT_MODULE,
    TAINT_PROPRIETARY_MODULE,
    TAINT_UNSIGNED_MODULE,
    Module,
    ModuleState,
    SymbolRef,
    add_module_taint,
)
from kmodsim.kernel.params import KERNEL_PARAM_OPS_FL_NOARG, kernel_param, parameq, parse_args
from kmodsim.kernel.printk import log, log_lines
from kmodsim.kernel.stacktrace import dump_stack
from kmodsim.kernel.timer import TimerState
from kmodsim.store import BadBlob

# license_is_gpl_compatible() in include/linux/license.h
GPL_COMPATIBLE = {"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
                  "Dual MIT/GPL", "Dual MPL/GPL"}


def augment_taints(k: Kernel, lm: Module) -> None:
    """module_augment_kernel_taints() then module_sig_check(), as a Debian kernel does them:
    out-of-tree (O), a non-GPL license (P), and no signature (E: Debian's kernel checks
    signatures without enforcing them, and nothing here is signed)."""
    state = k.state(ModuleState)
    info = dict(lm.ns.get(MODINFO, []))
    if not state.taint & (1 << TAINT_OOT_MODULE):
        log(k, 4, f"{lm.name}: loading out-of-tree module taints kernel.\n")
    state.add_taint(TAINT_OOT_MODULE)
    lm.taints = add_module_taint(lm.taints, "O")
    license = info.get("license")
    if license not in GPL_COMPATIBLE:
        if not state.taint & (1 << TAINT_PROPRIETARY_MODULE):
            log(k, 4, f"{lm.name}: module license '{license or 'unspecified'}' taints kernel.\n")
            log(k, 4, "Disabling lock debugging due to kernel taint\n")
        state.add_taint(TAINT_PROPRIETARY_MODULE)
        lm.taints = add_module_taint(lm.taints, "P")
    if not state.taint & (1 << TAINT_UNSIGNED_MODULE):
        log(k, 5, f"{lm.name}: module verification failed: signature and/or required key "
                  f"missing - tainting kernel\n")
    state.add_taint(TAINT_UNSIGNED_MODULE)
    lm.taints = add_module_taint(lm.taints, "E")


def resolve_symbols(k: Kernel, lm: Module, needed: list[str], api: dict) -> list[str]:
    """simplify_symbols(): bind every name the module's code needs and doesn't define (in
    the order of its object file's symbol table, kmodsim.runtime.symbols): the kernel
    API's, or another module's export (which then counts this module as its user). A
    module whose license taints the kernel (P) doesn't see EXPORT_SYMBOL_GPL symbols
    (find_symbol()'s gplok). Returns the names found nowhere, each logged as the kernel
    logs an unknown symbol."""
    state = k.state(ModuleState)
    exports: dict[str, list] | None = None
    missing = []
    using_gplonly = False
    for name in dict.fromkeys(n for n in needed if n not in lm.ns and n not in _BUILTINS):
        if name in api:
            lm.ns[name] = api[name]  # the kernel exports it: linked as a .ko would be
            continue
        if exports is None:
            exports = state.exports()
        owner, gpl_only = exports.get(name, (None, False))[:2]
        found = owner is not None and owner != lm.name and not (gpl_only and "P" in lm.taints)
        if found:
            using_gplonly = using_gplonly or gpl_only
            found = inherit_taint(k, lm, str(owner), name, using_gplonly)
        if not found:
            log(k, 4, f"{lm.name}: Unknown symbol {name} (err -2)\n")
            missing.append(name)
            continue
        lm.ns[name] = SymbolRef(str(owner), name)
        lm.data_names.add(name)  # kept with its memory: the link outlives this entry
    return missing


def verify_exported_symbols(k: Kernel, lm: Module, api: dict) -> bool:
    """verify_exported_symbols(): a symbol is exported once; the kernel's own, or another
    loaded module's, can't be exported again (the module then fails with -ENOEXEC)."""
    exports: dict[str, list] | None = None
    for name in sorted(lm.ns.get(EXPORTS) or {}):  # a module's ksymtab is sorted by name
        owner = "kernel" if name in api else None
        if owner is None:
            if exports is None:
                exports = k.state(ModuleState).exports()
            owner = exports.get(name, [None])[0]
        if owner is not None and owner != lm.name:
            log(k, 3, f"{lm.name}: exports duplicate symbol {name} (owned by {owner})\n")
            return False
    return True


def inherit_taint(k: Kernel, lm: Module, owner: str, symbol: str, using_gplonly: bool) -> bool:
    """inherit_taint(): a module using a proprietary module's symbol becomes proprietary
    too (P), unless it uses GPL-only symbols: then that symbol is refused."""
    live = k.live.get(owner)
    row = None if live is not None else k.state(ModuleState).row(owner)
    taints = live.taints if live is not None else (row[2] if row is not None else "")
    if "P" not in (taints or ""):
        return True
    if using_gplonly:
        log(k, 3, f"{lm.name}: module using GPL-only symbols uses symbols {symbol} from "
                  f"proprietary module {owner}.\n")
        return False
    if "P" not in lm.taints:
        log(k, 4, f"{lm.name}: module uses symbols {symbol} from proprietary module {owner}, "
                  f"inheriting taint.\n")
        lm.taints = add_module_taint(lm.taints, "P")
    return True


def link(k: Kernel, lm: Module) -> None:
    """The module is in: its exports become visible, and it holds the modules it uses."""
    state = k.state(ModuleState)
    exported = lm.ns.get(EXPORTS)
    if exported:
        state.add_exports(lm.name, exported)
    for value in list(lm.ns.values()):
        if isinstance(value, SymbolRef):
            state.add_use(lm.name, value.module)


_BUILTINS = set(dir(builtins)) | {"__file__", "__name__", "__builtins__", "__doc__",
                                  "__spec__", "__loader__", "__package__"}


def apply_params(k: Kernel, lm: Module, argv: list[str]) -> int:
    """parse_args() over what insmod hands the kernel (its words joined by spaces, as kmod's
    insmod joins them): each parameter's set operation runs in turn, before init. 0, or the
    errno of the last that failed (each failure logged as kernel/params.c logs it)."""
    declared: dict[str, kernel_param] = lm.ns.get(PARAMS, {})
    err = 0
    for param, val in parse_args(" ".join(argv)):
        kp = next((p for name, p in declared.items() if parameq(param, name)), None)
        if kp is None:  # unknown_module_param_cb()
            if param != "async_probe" and not param.endswith("dyndbg"):
                log(k, 4, f"{lm.name}: unknown parameter '{param}' ignored\n")
            continue
        if val is None and not kp.ops.flags & KERNEL_PARAM_OPS_FL_NOARG:
            ret = -EINVAL
        else:
            result = k.call(lm, "param", kp.ops.set, val, kp)
            ret = result if isinstance(result, int) else 0
        if ret == 0:
            continue
        if kp.arr is not None and val:  # param_array() wrote a NUL over the first comma
            val = val.split(",", 1)[0]
        if ret == -ENOENT:
            log(k, 3, f"{lm.name}: Unknown parameter `{param}'\n")
        elif ret == -ENOSPC:
            log(k, 3, f"{lm.name}: `{val or ''}' too large for parameter `{param}'\n")
        else:
            log(k, 3, f"{lm.name}: `{val or ''}' invalid for parameter `{param}'\n")
        err = -ret
    return err


def do_init_module(k: Kernel, lm: Module) -> int:
    """Run init; 0 once the module is Live, or the errno insmod reports."""
    init = lm.init_hook()
    ret = k.call(lm, "init", init) if init is not None else 0
    ret = 0 if ret is None else ret
    if not isinstance(ret, int):
        log(k, 4, f"{lm.name}: init returned {type(ret).__name__} {ret!r}; it must return 0 "
                  f"or -errno\n")
        ret = -22
    if ret < 0:
        return -ret
    if ret > 0:
        log(k, 4, f"do_init_module: '{lm.name}'->init suspiciously returned {ret}, it should "
                  f"follow 0/-E convention\ndo_init_module: loading module anyway...\n")
        k.task.kind = "after_init"
        log_lines(k, [(4, line) for line in dump_stack(k, [], lm.name, [
            "dump_stack_lvl+0x44/0x5c"])])
    lm.state = "Live"
    k.state(ModuleState).set_refcnt(lm.name, 0)
    return 0


def free_module(k: Kernel, lm: Module) -> None:
    """The module leaves the kernel: kmemleak looks at what it never freed, then its row,
    memory and namespace go."""
    report_leaks(k, lm)
    lm.dirty = False
    k.state(ModuleState).remove(lm.name)


def try_force_unload(k: Kernel, force: bool) -> bool:
    """CONFIG_MODULE_FORCE_UNLOAD (Debian has it): forcing taints the kernel (R)."""
    if force:
        state = k.state(ModuleState)
        if not state.taint & (1 << TAINT_FORCED_RMMOD):
            log(k, 4, "Disabling lock debugging due to kernel taint\n")
        state.add_taint(TAINT_FORCED_RMMOD)
    return force


def delete_module(k: Kernel, name: str, force: bool) -> int:
    """The delete_module system call (kernel/module/main.c): 0, or its errno: ENOENT (not
    loaded), EBUSY (still loading or unloading, or an init without an exit, unforced),
    EWOULDBLOCK (in use, unforced)."""
    state = k.state(ModuleState)
    row = k.db.execute("SELECT state, refcnt FROM modules WHERE name=?", (name,)).fetchone()
    if row is None:
        return 2
    live_state, refcnt = row
    if live_state != "Live":
        return 16
    lm = k.module(name)
    fn = lm.exit_hook()
    if lm.init_hook() is not None and fn is None and not try_force_unload(k, force):
        return 16
    if refcnt > 0 and not try_force_unload(k, force):
        return 11
    lm.state = "Unloading"
    if fn is not None:
        k.call(lm, "exit", fn)
    free_module(k, lm)
    state.set_var("last_unloaded", name + module_flags(lm.taints, "Live"))
    return 0


def force_out_if_unloadable(k: Kernel, name: str) -> bool:
    """rmmod -f of a Live module whose code or memory in the store can't be loaded: its exit
    can't run, so it goes as a module without one is forced out (taint R), leaving behind
    whatever its exit would have undone, but for its armed timers: they would fire into
    nothing and panic the machine. False (nothing done) for a module that loads."""
    state = k.state(ModuleState)
    row = state.row(name)
    if row is None or row[1] != "Live":
        return False
    try:
        k.module(name)
    except BadBlob:
        try_force_unload(k, True)
        k.state(TimerState).disarm_module(name)
        state.remove(name)
        state.set_var("last_unloaded", name + module_flags(row[2], "Live"))
        return True
    return False
