"""What `modinfo` reads from a module file: its MODULE_* declarations and parameters.

Like the real modinfo, which reads a .ko's .modinfo section and runs nothing, the file's code
is never executed: its syntax tree is read for the declaration calls at its top level
(MODULE_LICENSE, MODULE_AUTHOR, …, module_param, module_param_array) whose arguments are
constants, or names bound to constants at the top level (as C modules #define their
DRIVER_AUTHOR). The order follows a real -O2 kernel build, whose .modinfo section lists a
file's declarations in reverse, then modpost's generated keys (`depends`: the modules of the
same folder that export a symbol it uses, as modpost finds them in one build); the layout is
kmodsim.formats.modinfo's.
"""

from __future__ import annotations

import ast
import hashlib
import os

from kmodsim.errors import KmodError
from kmodsim.formats.modinfo import render_modinfo
from kmodsim.kernel.module import module_name
from kmodsim.kernel.version import KERNEL_RELEASE
from kmodsim.runtime.loader import MAX_MODULE_BYTES

VERMAGIC = f"{KERNEL_RELEASE} SMP preempt mod_unload modversions "

# declaration -> (its parameters' names, the .modinfo key it makes)
_TAGS = {"MODULE_LICENSE": "license", "MODULE_AUTHOR": "author",
         "MODULE_DESCRIPTION": "description", "MODULE_VERSION": "version",
         "MODULE_ALIAS": "alias"}
_PARAMS = {**{name: (name.split("_", 1)[1].lower(),) for name in _TAGS},
           "MODULE_INFO": ("tag", "info"), "MODULE_PARM_DESC": ("name", "desc"),
           "module_param": ("name", "type", "perm"),
           "module_param_array": ("name", "type", "nump", "perm"),
           "module_param_named": ("name", "value", "type", "perm"),
           "module_param_array_named": ("name", "array", "type", "nump", "perm"),
           "module_param_string": ("name", "string", "len", "perm"),
           "module_param_cb": ("name", "ops", "arg", "perm")}
MAX_INCLUDES = 64  # include()d files followed, at most (a file including itself: once)
MAX_SIBLINGS = 1000  # module files of the same folder read for `depends`
# module_param's type given as a Python type or kmodsim's C type names
_PY_TYPES = {"int": "int", "str": "charp", "bool": "bool", "charp": "charp", "byte": "byte",
             "short": "short", "ushort": "ushort", "uint": "uint", "long": "long",
             "ulong": "ulong", "ullong": "ullong", "invbool": "invbool", "hexint": "hexint"}


class _Unknown(Exception):
    """An argument that only running the code could tell."""


class ModInfo:
    """A module file's declarations, read without running any of it (no kernel needed)."""

    def __init__(self, typed: str) -> None:
        self.filename = os.path.join(os.getcwd(), typed)  # as kmod does: no normalising
        try:
            with open(typed, "rb") as f:
                source = f.read(MAX_MODULE_BYTES + 1)  # /dev/zero must not be read forever
            if len(source) > MAX_MODULE_BYTES:
                raise ValueError("too large to be a module source file")
            tree = ast.parse(source, os.path.abspath(typed))
        except OSError as e:
            raise KmodError(f"modinfo: ERROR: could not get modinfo from '{typed}': "
                            f"{os.strerror(e.errno or 5)}") from None
        except Exception:  # noqa: BLE001 - not a module file (not Python, NUL bytes, …)
            raise KmodError(f"modinfo: ERROR: could not get modinfo from '{typed}': "
                            f"Exec format error") from None
        declared = declarations(tree, os.path.dirname(os.path.abspath(typed)))
        keys = [(k, v) for k, v in declared if k not in ("parm", "parmtype")]
        # modpost adds a srcversion only to a module with a MODULE_VERSION (Debian's kernel
        # is built without CONFIG_MODULE_SRCVERSION_ALL)
        generated = [("srcversion", hashlib.md5(source).hexdigest().upper()[:23])] \
            if any(k == "version" for k, _ in keys) else []
        depends = ",".join(exporters(tree, os.path.abspath(typed)))
        self.keys = [*reversed(keys), *generated, ("depends", depends), ("retpoline", "Y"),
                     ("name", module_name(typed)), ("vermagic", VERMAGIC)]
        # kmod prepends each parameter it meets to its list, reading the section, which is
        # in reverse: parameters come in the order of their last declaration in the source
        params: dict[str, list[str]] = {}
        for key, value in reversed(declared):
            if key in ("parm", "parmtype"):
                name, _, rest = value.partition(":")
                params.setdefault(name, ["", ""])[0 if key == "parm" else 1] = rest
        self.params = [(n, d, t) for n, (d, t) in reversed(params.items())]

    def render(self, field: str | None = None, sep: str = "\n") -> str:
        return render_modinfo(self.filename, self.keys, self.params, field, sep)


def declarations(tree: ast.Module, base: str = ".") -> list[tuple[str, str]]:
    """(key, value) of each declaration at the module's top level, in source order, as the
    kernel API would record them had the code run; an include()d file's where it is
    included (`base`: the module's folder, which include() paths are relative to)."""
    constants: dict[str, object] = {}
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    _declarations(tree.body, base, constants, found, seen)
    return found


def _included(node: ast.stmt, base: str, seen: set[str]) -> list[ast.stmt]:
    """The statements of the file `include("x.py")` names, if this is such a call."""
    call = node.value  # type: ignore[attr-defined]
    if not (isinstance(call.func, ast.Name) and call.func.id == "include" and
            len(call.args) == 1 and isinstance(call.args[0], ast.Constant) and
            isinstance(call.args[0].value, str)):
        return []
    path = os.path.normpath(os.path.join(base, call.args[0].value))
    if path in seen or len(seen) >= MAX_INCLUDES:
        return []
    seen.add(path)
    try:
        with open(path, "rb") as f:
            return ast.parse(f.read(MAX_MODULE_BYTES), path).body
    except (OSError, SyntaxError, ValueError):
        return []


def _declarations(body: list[ast.stmt], base: str, constants: dict,
                  found: list[tuple[str, str]], seen: set[str]) -> None:
    for node in body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    try:
                        constants[target.id] = _value(node.value, constants)
                    except _Unknown:
                        constants.pop(target.id, None)
            continue
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        included = _included(node, base, seen)
        if included:
            _declarations(included, base, constants, found, seen)
            continue
        call = node.value
        func = call.func
        name = func.id if isinstance(func, ast.Name) else \
            func.attr if isinstance(func, ast.Attribute) else ""
        if name not in _PARAMS:
            continue
        try:
            found.extend(_record(name, _arguments(call, _PARAMS[name], constants)))
        except (_Unknown, KeyError):  # not constant, or an argument missing
            continue


def exporters(tree: ast.Module, path: str) -> list[str]:
    """modpost's `depends`: the modules built alongside (the module files of the same folder)
    that export a symbol this one uses and neither defines nor gets from the kernel."""
    needed = unresolved(tree)
    if not needed:
        return []
    exported: dict[str, str] = {}
    folder = os.path.dirname(path)
    try:
        siblings = sorted(e.path for e in os.scandir(folder) if e.name.endswith(".py")
                          and e.path != path and e.is_file())[:MAX_SIBLINGS]
    except OSError:
        return []
    for sibling in siblings:
        for symbol in _exports(sibling):
            exported.setdefault(symbol, module_name(sibling))
    found: list[str] = []
    for symbol in needed:
        owner = exported.get(symbol)
        if owner is not None and owner not in found:
            found.append(owner)
    return found


def unresolved(tree: ast.Module) -> list[str]:
    """The names the module uses but never binds, nor has from Python or the kernel API, in
    the order of first use: the undefined symbols of its object file."""
    import builtins

    from kmodsim.kernel import api as kernel_api

    bound: set[str] = set()
    used: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                used.append(node.id)
            else:
                bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    known = bound | set(vars(builtins)) | set(vars(kernel_api))
    return list(dict.fromkeys(name for name in used if name not in known))


def _exports(path: str) -> list[str]:
    """The symbols a module file exports (EXPORT_SYMBOL at its top level)."""
    try:
        with open(path, "rb") as f:
            source = f.read(MAX_MODULE_BYTES + 1)
        if len(source) > MAX_MODULE_BYTES:
            return []
        tree = ast.parse(source, path)
    except Exception:  # noqa: BLE001 - not a module file: it exports nothing
        return []
    symbols = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Name) \
                and node.value.func.id in ("EXPORT_SYMBOL", "EXPORT_SYMBOL_GPL") \
                and len(node.value.args) == 1:
            arg = node.value.args[0]
            if isinstance(arg, ast.Name):
                symbols.append(arg.id)
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                symbols.append(arg.value)
    return symbols


def _arguments(call: ast.Call, names: tuple[str, ...], constants: dict) -> dict[str, object]:
    if any(isinstance(a, ast.Starred) for a in call.args) or len(call.args) > len(names):
        raise _Unknown
    args: dict[str, ast.expr] = dict(zip(names, call.args, strict=False))
    for kw in call.keywords:
        if kw.arg is None or kw.arg not in names:
            raise _Unknown
        args[kw.arg] = kw.value
    if "perm" in args:  # what modinfo never shows needn't be known
        del args["perm"]
    if "type" in args and isinstance(args["type"], ast.Name) and args["type"].id in _PY_TYPES:
        args["type"] = ast.Constant(_PY_TYPES[args["type"].id])
    for unused in ("value", "array", "string", "len", "ops", "arg", "nump"):
        args.pop(unused, None)  # only the name and the type are modinfo's
    return {k: _value(v, constants) for k, v in args.items()}


def _record(call: str, args: dict[str, object]) -> list[tuple[str, str]]:
    if call in _TAGS:
        return [(_TAGS[call], str(args[_PARAMS[call][0]]))]
    if call == "MODULE_INFO":
        return [(str(args["tag"]), str(args["info"]))]
    if call == "MODULE_PARM_DESC":
        return [("parm", f"{args['name']}:{args['desc']}")]
    if call == "module_param_cb":  # its ops say how to parse it: no type of its own
        return []
    if call == "module_param_string":
        return [("parmtype", f"{args['name']}:string")]
    ptype = args["type"]
    if not isinstance(ptype, str):
        raise _Unknown
    if call in ("module_param_array", "module_param_array_named"):
        ptype = f"array of {ptype}"
    return [("parmtype", f"{args['name']}:{ptype}")]


def _value(node: ast.expr, constants: dict) -> object:
    """A constant, a name bound to one, or strings added together."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _value(node.left, constants), _value(node.right, constants)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
    raise _Unknown
