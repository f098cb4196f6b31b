"""Modules (include/linux/module.h, kernel/module/): what a module file declares, the loaded
modules (table `modules`, `struct module`) and the kernel's taint. Loading and unloading them
is kernel/modload.py.

module_init, MODULE_* and module_param run while the runtime executes a module's top level,
so they record what they declare in the module's own namespace (dunder names, never part of
its memory).
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from typing import TypeVar

from kmodsim.formats.procmodules import module_flags
from kmodsim.kernel import _current
from kmodsim.kernel._current import Kernel, State
from kmodsim.kernel.params import (
    STANDARD_OPS,
    TYPE_NAMES,
    VERIFY_OCTAL_PERMISSIONS,
    kernel_param,
    kernel_param_ops,
    kparam_array,
    kparam_string,
    param_array_ops,
    param_ops_string,
    param_ref,
)
from kmodsim.kernel.pidns import task_key
from kmodsim.kernel.sched import alive

F = TypeVar("F", bound=Callable[..., object])

INIT_HOOK = "__kmod_init__"
EXIT_HOOK = "__kmod_exit__"
MODINFO = "__kmod_modinfo__"
PARAMS = "__kmod_params__"
EXPORTS = "__kmod_exports__"


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
    """The parameter type's name: C's (a string or kmodsim.kernel's `long`, `ushort`…) or
    Python's int (int), str (charp) and bool (bool)."""
    name = _PY_TYPES.get(ptype, ptype)  # type: ignore[call-overload]
    if not isinstance(name, str):
        name = getattr(ptype, "name", None)  # a C type from kmodsim.kernel.ctype
    if isinstance(name, str):
        name = TYPE_NAMES.get(name, name)
    if not isinstance(name, str) or name not in STANDARD_OPS:
        raise TypeError(f"module_param: unknown type {ptype!r}; use a C type name: byte, "
                        f"short, ushort, int, uint, long, ulong, ullong, charp, bool, "
                        f"invbool, hexint")
    return name


def _declare(ns: dict, kp: kernel_param) -> None:
    if kp.perm:  # its file in /sys/module/NAME/parameters: checked as the C build checks it
        VERIFY_OCTAL_PERMISSIONS(kp.perm, f"module_param({kp.name}, ...)")
    ns.setdefault(PARAMS, {})[kp.name] = kp
    if kp.ptype is not None:
        _modinfo(ns, "parmtype", f"{kp.name}:{kp.ptype}")


def module_param(name: str, type: object, perm: int) -> None:
    """`module_param(myint, int, 0644)`: the variable named `name` becomes settable at insmod."""
    module_param_named_in(_module_globals(), name, name, type, perm)


def module_param_named(name: str, value: str, type: object, perm: int) -> None:
    """`module_param_named(name, var, int, 0644)`: parameter `name` sets the variable named
    `value` (pass its name as a string)."""
    module_param_named_in(_module_globals(), name, value, type, perm)


def module_param_named_in(ns: dict, name: str, value: str, type: object, perm: int) -> None:
    ptype = _param_type(type)
    _declare(ns, kernel_param(name, STANDARD_OPS[ptype], perm, param_ref(ns, value), ptype))


def module_param_cb(name: str, ops: kernel_param_ops, arg: object, perm: int) -> None:
    """`module_param_cb(name, &ops, &var, 0644)`: a parameter whose set and get are the
    module's own functions (ops.set(val, kp), ops.get(buffer, kp)). `arg` is where the value
    lives: the variable's name (`kp.arg.value` is then the variable), or any object."""
    ns = _module_globals()
    if not isinstance(ops, kernel_param_ops):
        raise TypeError("module_param_cb: ops must be a kernel_param_ops(set=..., get=...)")
    _declare(ns, kernel_param(name, ops, perm, param_ref(ns, arg) if isinstance(arg, str)
                              else arg))


def module_param_string(name: str, string: str, len: int, perm: int) -> None:
    """`module_param_string(name, buf, sizeof(buf), 0644)`: a string copied into the
    variable named `string` (a bytearray of `len` bytes, or a str) if it fits with its NUL."""
    ns = _module_globals()
    kp = kernel_param(name, param_ops_string, perm, None, "string")
    kp.str = kparam_string(int(len), param_ref(ns, string))
    _declare(ns, kp)


def module_param_array(name: str, type: object, nump: str | None, perm: int) -> None:
    """`module_param_array(arr, int, &argc, 0)`: pass the counter's variable name as a string."""
    module_param_array_named_in(_module_globals(), name, name, type, nump, perm)


def module_param_array_named(name: str, array: str, type: object, nump: str | None,
                             perm: int) -> None:
    module_param_array_named_in(_module_globals(), name, array, type, nump, perm)


def module_param_array_named_in(ns: dict, name: str, array: str, type: object,
                                nump: str | None, perm: int) -> None:
    ptype = _param_type(type)
    kp = kernel_param(name, param_array_ops, perm, None, f"array of {ptype}")
    kp.arr = kparam_array(param_ref(ns, array), param_ref(ns, nump) if nump else None,
                          STANDARD_OPS[ptype], ptype)
    _declare(ns, kp)


def EXPORT_SYMBOL(symbol: object) -> None:
    """`EXPORT_SYMBOL(my_function)` or `EXPORT_SYMBOL(my_variable)`: once this module is
    loaded, other modules may use the name: call the function, or read and write the
    variable through `.value` (see SymbolRef)."""
    _export(symbol, gpl=False)


def EXPORT_SYMBOL_GPL(symbol: object) -> None:
    """Like EXPORT_SYMBOL, for modules under a GPL-compatible license only."""
    _export(symbol, gpl=True)


def _export(symbol: object, gpl: bool) -> None:
    caller = sys._getframe(2)
    name = symbol if isinstance(symbol, str) else _argument_name(caller)
    if name is None and callable(symbol):
        name = getattr(symbol, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise TypeError("EXPORT_SYMBOL takes a function or variable of the module, by its name: "
                        "EXPORT_SYMBOL(my_function), EXPORT_SYMBOL(my_variable)")
    caller.f_globals.setdefault(EXPORTS, {})[name] = gpl


def _argument_name(frame: types.FrameType) -> str | None:
    """The name written as the argument of the call the frame is making:
    `EXPORT_SYMBOL(counter)` exports `counter` whatever its value (an int has no name of
    its own), as the C macro takes the identifier."""
    import dis  # only when a module exports something

    loads = [None, None]  # the last two instructions up to the call (f_lasti may point
    for ins in dis.get_instructions(frame.f_code):  # into the call's inline caches)
        if ins.offset > frame.f_lasti:
            break
        if ins.opname not in ("PRECALL", "KW_NAMES"):
            loads = [loads[1], ins]
    before = loads[0]
    if before is not None and before.opname in ("LOAD_NAME", "LOAD_GLOBAL", "LOAD_FAST"):
        return str(before.argval)
    return None


class SymbolRef:
    """A symbol another module exported, as the module that uses it sees it (C's
    `extern`): calling it runs the exporter's function in the exporter's memory; `.value`
    reads and writes the exporter's variable (`extern int hits; hits++;` is
    `hits.value += 1`), since each module's memory is its own."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def _exporter(self) -> Module:
        exporter = _current.entry().module(self.module)
        exporter.dirty = True
        return exporter

    def __call__(self, *args: object, **kwargs: object) -> object:
        target = self._exporter().ns[self.name]
        if not callable(target):
            raise TypeError(f"{self.name} is a variable of module {self.module}, not a "
                            f"function: read or write it as {self.name}.value")
        return target(*args, **kwargs)

    @property
    def value(self) -> object:
        return self._exporter().ns[self.name]

    @value.setter
    def value(self, new: object) -> None:
        self._exporter().ns[self.name] = new

    def _not_a_value(self, *args: object) -> object:
        raise TypeError(f"{self.name} is exported by module {self.module}: its value is "
                        f"{self.name}.value (each module's memory is its own)")

    # arithmetic on the name itself: say where the value is, rather than a bare TypeError
    __int__ = __index__ = __float__ = _not_a_value  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _not_a_value
    __lt__ = __le__ = __gt__ = __ge__ = _not_a_value  # type: ignore[assignment]

    def __reduce__(self) -> tuple:
        return (SymbolRef, (self.module, self.name))

    def __repr__(self) -> str:
        return f"<{self.name} [{self.module}]>"


class _ThisModule:
    """THIS_MODULE: stands for the module being defined (used as `.owner`)."""

    def __reduce__(self) -> str:
        return "THIS_MODULE"

    def __repr__(self) -> str:
        return "THIS_MODULE"


THIS_MODULE = _ThisModule()


def _own_name(module: object) -> str | None:
    """The module THIS_MODULE stands for in the calling module's code (None: NULL)."""
    if module is None:
        return None
    lm = _current.module()
    return lm.name if lm is not None else None


def try_module_get(module: object) -> bool:
    """Take a reference on the module (THIS_MODULE): lsmod's `Used by` counts it, and rmmod
    says the module is in use until module_put(). False once the module is being removed."""
    name = _own_name(module)
    if name is None:
        return True
    state = _current.entry().state(ModuleState)
    lm = _current.module()
    if lm is not None and lm.state == "Unloading":
        return False
    state.set_refcnt(name, state._held(name) + 1)
    return True


def module_put(module: object) -> None:
    """Give back a reference try_module_get() took."""
    name = _own_name(module)
    if name is not None:
        state = _current.entry().state(ModuleState)
        state.set_refcnt(name, max(0, state._held(name) - 1))


def module_refcount(module: object) -> int:
    """The module's references now (lsmod's `Used by` count)."""
    name = _own_name(module)
    return 0 if name is None else _current.entry().state(ModuleState).refcnt(name)


# -- modules built from several files ---------------------------------------------------------

INCLUDED = "__kmod_files__"  # relative path -> source of each file included, as read


def include(relpath: str) -> None:
    """One more source file of the module: `include("start.py")` runs the file (a path
    relative to the module's own file) in the module's namespace, as if its text were
    here. It is how a module is built from several files, as Kbuild's
    `startstop-objs := start.o stop.o` links them, and how it shares a file of plain
    definitions with a user-space program (`#include "chardev.h"`; the program imports the
    same file).

    The runtime may hand the sources over in the namespace's `__kmod_files__` (relative
    path -> text, as insmod read them); a file not there is read from disk, next to the
    module's file, and recorded there."""
    ns = _module_globals()
    path = include_path(ns.get("__kmod_source__") or ns.get("__file__") or "./", relpath)
    if path is None:
        raise ValueError(f"include({relpath!r}): name a .py file next to the module's own, "
                         f"e.g. include(\"start.py\")")
    files = ns.setdefault(INCLUDED, {})
    source = files.get(relpath)
    if source is None:
        try:
            with open(path, encoding="utf-8") as f:
                source = f.read()
        except OSError as e:
            raise FileNotFoundError(f"include({relpath!r}): {path}: "
                                    f"{os.strerror(e.errno or 2)}") from None
        files[relpath] = source
    code = compile(source, path, "exec", dont_inherit=True)
    lm = _current.module()
    if lm is not None and lm.ns is ns:  # what the file assigns is the module's memory too
        lm.data_names |= assigned_names(code)
    # a file that doesn't import the API itself uses the module's: bind the names it needs
    # (the module's own star import bound only those its own code uses)
    kernel = sys.modules["kmodsim.kernel"]
    for name in kernel.api_names(code=code):
        if name not in ns:
            ns[name] = getattr(kernel, name)
    exec(code, ns)


def include_path(module_file: str, relpath: object) -> str | None:
    """The file `include(relpath)` reads for the module in `module_file`: a relative .py
    path, taken from the module file's folder (None for any other `relpath`)."""
    if not isinstance(relpath, str) or os.path.isabs(relpath) or not relpath.endswith(".py"):
        return None
    return os.path.normpath(os.path.join(os.path.dirname(module_file), relpath))


def assigned_names(code: types.CodeType) -> frozenset[str]:
    """The globals a file's code assigns: at its top level, or with `global` in a function.
    A module's memory is among them (the star-imported API never is), so saving it never has
    to look through the whole namespace."""
    import opcode

    store_name, store_global = opcode.opmap["STORE_NAME"], opcode.opmap["STORE_GLOBAL"]
    names: set[str] = set()
    todo = [code]
    while todo:
        c = todo.pop()
        wanted = (store_global, store_name) if c is code else (store_global,)
        # the bytecode read as dis reads it (2 bytes an instruction, EXTENDED_ARG widening
        # the next one's argument), without dis's objects: this runs in every command
        raw, extended = c.co_code, 0
        for i in range(0, len(raw), 2):
            op, arg = raw[i], raw[i + 1] | extended
            extended = arg << 8 if op == opcode.EXTENDED_ARG else 0
            if op in wanted:
                names.add(c.co_names[arg])
        todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return frozenset(names)


# -- taint (kernel/panic.c taint_flags[]) -----------------------------------------------------

# bit -> (letter when set, letter when clear, is a per-module flag), in bit order
TAINT_FLAGS = [
    ("P", "G", True), ("F", " ", True), ("S", " ", False), ("R", " ", False),
    ("M", " ", False), ("B", " ", False), ("U", " ", False), ("D", " ", False),
    ("A", " ", False), ("W", " ", False), ("C", " ", True), ("I", " ", False),
    ("O", " ", True), ("E", " ", True), ("L", " ", False), ("K", " ", True),
    ("X", " ", True), ("T", " ", True), ("N", " ", True),
]
TAINT_PROPRIETARY_MODULE = 0
TAINT_FORCED_MODULE = 1
TAINT_FORCED_RMMOD = 3
TAINT_BAD_PAGE = 5
TAINT_DIE = 7
TAINT_WARN = 9
TAINT_OOT_MODULE = 12
TAINT_UNSIGNED_MODULE = 13
TAINT_SOFTLOCKUP = 14
_MODULE_ORDER = "".join(letter for letter, _, per_module in TAINT_FLAGS if per_module)


def taint_text(mask: int) -> str:
    """print_tainted(): `Not tainted` or `Tainted: ` and one column per flag."""
    if not mask:
        return "Not tainted"
    cols = (on if mask & (1 << bit) else off for bit, (on, off, _) in enumerate(TAINT_FLAGS))
    return "Tainted: " + "".join(cols)


def add_module_taint(taints: str, letter: str) -> str:
    """A module's taint letters, kept in the kernel's table order."""
    have = set(taints) | {letter}
    return "".join(c for c in _MODULE_ORDER if c in have)


# -- loaded modules ---------------------------------------------------------------------------

PAGE = 4096


def module_name(arg: str) -> str:
    """What the kernel calls the module in FILE or NAME: stem, '-' becomes '_'."""
    base = os.path.basename(arg)
    for ext in (".py", ".ko"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    return base.replace("-", "_")


def storable(name: str) -> str:
    """A name as typed, made storable: bytes that aren't UTF-8 (a shell can pass any) become
    U+FFFD, which no loaded module's name contains, so a lookup simply finds nothing."""
    return os.fsencode(name).decode("utf-8", "replace")


def module_size(code_len: int) -> int:
    """A plausible module size: page-aligned, as current kernels report it."""
    return (code_len + 2 * PAGE + PAGE - 1) // PAGE * PAGE


class Module:
    """struct module: a loaded module, its code executed afresh in this kernel entry and its
    memory restored. `objects` holds the kernel objects each subsystem keeps per module
    (kmalloc'd buffers, timers), saved with the module's memory so shared objects stay
    shared."""

    __slots__ = ("name", "path", "state", "taints", "has_exit", "module", "load_order", "blob",
                 "dirty", "objects", "data_names", "stored")

    def __init__(self, name: str, path: str, state: str, taints: str, has_exit: bool,
                 module: types.ModuleType, load_order: int = 0) -> None:
        self.name = name
        self.path = path
        self.state = state  # Live | Loading | Unloading
        self.taints = taints
        self.has_exit = has_exit
        self.module = module
        self.load_order = load_order
        self.dirty = False  # ran code this entry: its memory must be saved
        self.objects: dict[str, dict] = {}
        self.data_names: set[str] = set()  # where its memory may be: names it assigns
        self.stored = (state, taints)  # as the modules row has them
        self.blob: bytes | None = None  # its memory as last loaded or saved

    @property
    def ns(self) -> dict:
        return self.module.__dict__

    def objects_of(self, subsystem: str) -> dict:
        return self.objects.setdefault(subsystem, {})

    def init_hook(self) -> Callable | None:
        fn = self.ns.get(INIT_HOOK) or self.ns.get("init_module")
        return fn if callable(fn) else None

    def exit_hook(self) -> Callable | None:
        fn = self.ns.get(EXIT_HOOK) or self.ns.get("cleanup_module")
        return fn if callable(fn) else None


class ModuleState(State):
    """The loaded modules (table `modules`) and their memory (table `module_memory`, blobs
    the runtime encodes), the kernel's taint mask and the last module unloaded."""

    PREFIX = "module"

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.opened: dict[str, int] = {}  # files opened (closed: negative) in this entry

    @property
    def taint(self) -> int:
        return self.int_var("taint")

    def add_taint(self, flag: int) -> None:
        self.set_var("taint", self.taint | (1 << flag))

    def row(self, name: str) -> tuple | None:
        """(path, state, taints, has_exit, load_order, code, memory) of a loaded module."""
        rows = self.k.remembered("modules")
        row = rows.get(name) if rows is not None else None
        if row is None:
            row = self.k.db.execute(
                "SELECT path, state, taints, has_exit, load_order, code, memory FROM modules "
                "LEFT JOIN module_memory USING (name) WHERE name=?", (name,)).fetchone()
            if rows is not None and row is not None:
                rows[name] = row
        return row

    def refcnt(self, name: str) -> int:
        """The module's references: its users and its init, and files of it open now."""
        row = self.k.db.execute("SELECT refcnt FROM modules WHERE name=?", (name,)).fetchone()
        return 0 if row is None else int(row[0]) + self.open_files(name)

    # -- files of the module open in user space (try_module_get / module_put) ------------
    def _opens(self) -> dict[str, dict[str, int]]:
        return self.json_var("opens")

    def file_opened(self, name: str) -> None:
        self.opened[name] = self.opened.get(name, 0) + 1

    def file_closed(self, name: str) -> None:
        self.opened[name] = self.opened.get(name, 0) - 1

    def open_files(self, name: str) -> int:
        """Files of `name` open in processes still running (a process that died closed
        its files, as the kernel closes them at exit), this task's included."""
        by_task = self._opens().get(name) if self.var("opens") else None
        stored = sum(n for task, n in (by_task or {}).items() if alive(task))
        return stored + self.opened.get(name, 0)

    def dead_openers(self) -> dict[str, set[str]]:
        """Module -> the processes (pidns.task_key) that ended with files of it open."""
        if not self.var("opens"):
            return {}
        me = task_key(self.k.task.pid)  # alive, without asking the system
        dead = {name: {task for task in by_task if task != me and not alive(task)}
                for name, by_task in self._opens().items()}
        return {name: tasks for name, tasks in dead.items() if tasks}

    def forget_opens(self, name: str, tasks: set[str]) -> None:
        """Those processes' files of `name` are closed."""
        opens = self._opens()
        by_task = opens.get(name, {})
        for task in tasks:
            by_task.pop(task, None)
        if not by_task:
            opens.pop(name, None)
        self.set_json_var("opens", opens)

    def _store_opens(self) -> None:
        """The files this task still has open, kept for other tasks to see (a file opened
        and closed within one kernel entry never needs to be)."""
        changed = {name: n for name, n in self.opened.items() if n}
        self.opened = {}
        if not changed:
            return
        opens = self._opens()
        task = task_key(self.k.task.pid)
        for name, n in changed.items():
            by_task = opens.setdefault(name, {})
            by_task[task] = by_task.get(task, 0) + n
            if by_task[task] <= 0:
                del by_task[task]
            if not by_task:
                del opens[name]
        self.set_json_var("opens", opens)

    def set_refcnt(self, name: str, refcnt: int) -> None:
        self.k.db.execute("UPDATE modules SET refcnt=? WHERE name=?", (refcnt, name))

    def included(self, name: str) -> dict[str, str] | None:
        """The files module `name` include()s, as insmod read them (relative path -> text)."""
        return self.json_var("included").get(name)

    def set_included(self, name: str, files: dict[str, str]) -> None:
        included = self.json_var("included")
        if files:
            included[name] = dict(files)
        else:
            included.pop(name, None)
        self.set_json_var("included", included)

    def save_memory(self, name: str, blob: bytes) -> None:
        # an UPDATE rewrites the row where it is; a REPLACE would delete it and insert it
        # anew, under a new rowid, changing more pages
        db = self.k.db
        if not db.execute("UPDATE module_memory SET memory=? WHERE name=?",
                          (blob, name)).rowcount:
            db.execute("INSERT INTO module_memory VALUES (?, ?)", (name, blob))
        # module_memory isn't watched (kmodsim.store.WATCHED): its writers are this, which
        # keeps the remembered row up to date, and rmmod, whose DELETE from modules is
        rows = self.k.remembered("modules")
        if rows is not None and name in rows:
            rows[name] = (*rows[name][:6], blob)

    def exists(self, name: str, instance: int | None = None) -> bool:
        """Whether module `name` is loaded (and, given `instance`, is that load of it: its
        load_order, unique in a boot)."""
        row = self.k.db.execute("SELECT load_order FROM modules WHERE name=?",
                                (name,)).fetchone()
        return row is not None and instance in (None, row[0])

    def insert(self, lm: Module, source: str, code: bytes, argv: list[str]) -> None:
        last = self.k.db.execute("SELECT MAX(load_order) FROM modules").fetchone()[0] or 0
        # larger is newer: lsmod lists the newest first. Never reused in a boot (a module
        # removed and inserted again is another instance: what its predecessor left behind,
        # a kthread, timer or work item, must not run in it)
        lm.load_order = max(last, self.int_var("loads")) + 1
        self.set_var("loads", lm.load_order)
        # refcount 1 while init runs: a module whose init never returns stays in use
        self.k.db.execute(
            "INSERT INTO modules (name, load_order, path, source, code, state, params, modinfo,"
            " size, has_exit, refcnt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (lm.name, lm.load_order, lm.path, source, code, lm.state, " ".join(argv),
             _json_text(lm.ns.get(MODINFO, [])), module_size(len(code)),
             int(lm.exit_hook() is not None)))
        lm.stored = (lm.state, "")

    def remove(self, name: str) -> None:
        if self.var("exports") or self.var("uses"):
            self.drop_links(name)
        if self.var("included") and self.included(name) is not None:
            self.set_included(name, {})
        opens = self._opens() if self.var("opens") else {}
        if name in opens:  # rmmod -f with files open: they went with the module
            del opens[name]
            self.set_json_var("opens", opens)
        self.opened.pop(name, None)
        self.k.db.execute("DELETE FROM modules WHERE name=?", (name,))
        self.k.db.execute("DELETE FROM module_memory WHERE name=?", (name,))
        self.k.forget(name)

    def listing(self) -> list[tuple[str, int, int, str, str, int]]:
        """(name, size, refcnt, state, taints, has_exit) of every module, newest first; a
        module running in this entry as it is now."""
        rows = self.k.db.execute("SELECT name, size, refcnt, state, taints, has_exit "
                                 "FROM modules ORDER BY load_order DESC").fetchall()
        live = self.k.live
        opened = self.open_files if self.var("opens") or self.opened else (lambda name: 0)
        return [(n, sz, rc + opened(n), live[n].state, live[n].taints, ex) if n in live else
                (n, sz, rc + opened(n), st, t, ex) for n, sz, rc, st, t, ex in rows]

    # -- exported symbols and who uses them ----------------------------------------------
    def exports(self) -> dict[str, list]:
        """symbol -> [exporting module, GPL-only]."""
        return self.json_var("exports")

    def uses(self) -> dict[str, list[str]]:
        """module -> the modules whose symbols it uses."""
        return self.json_var("uses")

    def holders(self, name: str) -> list[str]:
        """The modules using `name`'s symbols, as lsmod's `Used by` lists them."""
        return [user for user, used in self.uses().items() if name in used]

    def add_exports(self, name: str, symbols: dict[str, bool]) -> None:
        exports = self.exports()
        exports.update({sym: [name, gpl] for sym, gpl in symbols.items()})
        self.set_json_var("exports", exports)

    def _held(self, name: str) -> int:
        """The refcount as stored: holds by modules and a running init, not open files."""
        row = self.k.db.execute("SELECT refcnt FROM modules WHERE name=?", (name,)).fetchone()
        return 0 if row is None else int(row[0])

    def add_use(self, user: str, provider: str) -> None:
        """ref_module(): `user` holds `provider` (its refcount, lsmod's `Used by`)."""
        uses = self.uses()
        if provider not in uses.setdefault(user, []):
            uses[user].append(provider)
            self.set_json_var("uses", uses)
            self.set_refcnt(provider, self._held(provider) + 1)

    def drop_links(self, name: str) -> None:
        """`name` leaves: its exports go, and the modules it used are released."""
        exports = {s: v for s, v in self.exports().items() if v[0] != name}
        self.set_json_var("exports", exports)
        uses = self.uses()
        for provider in uses.pop(name, []):
            self.set_refcnt(provider, max(0, self._held(provider) - 1))
        self.set_json_var("uses", uses)

    def linked_in(self) -> str:
        """`Modules linked in:` of the kernel's reports."""
        words = [f"{n}{module_flags(t, s)}" for n, _, _, s, t, _ in self.listing()]
        last = self.var("last_unloaded")
        if last:
            words.append(f"[last unloaded: {last}]")
        return " ".join(words)

    def save(self) -> None:
        if self.opened:
            self._store_opens()
        for lm in self.k.live.values():
            if (lm.state, lm.taints) != lm.stored:
                self.k.db.execute("UPDATE modules SET state=?, taints=? WHERE name=?",
                                  (lm.state, lm.taints, lm.name))
                lm.stored = (lm.state, lm.taints)


def taint(k: Kernel) -> int:
    return k.state(ModuleState).taint


def add_taint(k: Kernel, flag: int) -> None:
    k.state(ModuleState).add_taint(flag)


def tainted_text(k: Kernel) -> str:
    return taint_text(taint(k))


def modules_linked_in(k: Kernel) -> str:
    return k.state(ModuleState).linked_in()


def _json_text(value: object) -> str:
    import json  # only insmod needs it here

    return json.dumps(value)
