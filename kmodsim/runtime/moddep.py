"""The module index: what depmod writes and modprobe reads. A real machine keeps it in
/lib/modules/RELEASE/ (modules.dep: each module file and the files it depends on;
modules.symbols: which module provides which exported symbol); kmodsim keeps the same two
files, in the same format, in the machine's folder (FOLDER/lib/modules/RELEASE/), naming the
module source files where they are, which are read without running any of their code.

Given no folder, depmod indexes the machine's own /lib/modules/RELEASE (what `kmod sh`'s cp
put there, kmodsim.tools.modtree) and the folders of the module search path:
KMODSIM_MODULE_PATH, folders separated by colons (relative ones from where depmod runs),
`modules` when it is unset.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path

from kmodsim.kernel.module import module_name
from kmodsim.kernel.version import KERNEL_RELEASE
from kmodsim.runtime.loader import MAX_MODULE_BYTES
from kmodsim.runtime.modinfo import unresolved
from kmodsim.runtime.symbols import needed

MODULE_DIR = f"/lib/modules/{KERNEL_RELEASE}"  # the folder modprobe's messages name
SEARCH_PATH_VARIABLE = "KMODSIM_MODULE_PATH"
DEFAULT_SEARCH_PATH = "modules"
MAX_MODULES = 10_000  # module files indexed at most (a search path of `/` must end)
_SKIPPED_DIRS = {"__pycache__", ".git", ".venv", "node_modules"}
_DECLARES_A_MODULE = {"module_init", "module_exit", "MODULE_LICENSE", "init_module"}


def search_path(env: dict[str, str] | None = None) -> list[str]:
    """The folders depmod indexes when given none, absolute."""
    value = (env if env is not None else os.environ).get(SEARCH_PATH_VARIABLE)
    folders = [f for f in (value if value is not None else DEFAULT_SEARCH_PATH).split(":") if f]
    return [os.path.abspath(f) for f in folders]


def index_folder(home: Path) -> Path:
    return Path(home) / "lib" / "modules" / KERNEL_RELEASE


@dataclass
class ModuleEntry:
    """One module file: the symbols it exports and those it needs from other modules."""

    name: str
    path: str
    exports: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    deps: list[str] = field(default_factory=list)  # names, in the order they are loaded


def module_files(targets: list[str]) -> list[str]:
    """The module source files in each folder (below it too) or named directly, in order.
    In a folder with a Kbuild file, only the modules its `obj-m` names are modules (the
    others are parts include()d into them); elsewhere, any .py file that declares a module
    (module_init, MODULE_LICENSE…): user-space programs and files of definitions aren't."""
    found: list[str] = []
    for target in targets:
        if os.path.isfile(target):
            found.append(os.path.abspath(target))
            continue
        for folder, dirs, files in os.walk(target):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
            listed = _kbuild_modules(folder)
            for name in sorted(files):
                path = os.path.join(folder, name)
                if not name.endswith(".py"):
                    continue
                if listed is not None:
                    if name[:-3] in listed:
                        found.append(os.path.abspath(path))
                elif _declares_a_module(path):
                    found.append(os.path.abspath(path))
                if len(found) >= MAX_MODULES:
                    return found
    return found


def _kbuild_modules(folder: str) -> set[str] | None:
    """The module names a folder's Kbuild lists in `obj-m` (None: no Kbuild)."""
    try:
        with open(os.path.join(folder, "Kbuild"), encoding="utf-8", errors="replace") as f:
            text = f.read(65536)
    except OSError:
        return None
    names: set[str] = set()
    for line in text.splitlines():
        var, sep, value = line.partition(":=") if ":=" in line else line.partition("+=")
        if sep and var.strip() == "obj-m":
            names.update(word[:-2] for word in value.split() if word.endswith(".o"))
    return names


def _parse(path: str) -> ast.Module | None:
    try:
        with open(path, "rb") as f:
            source = f.read(MAX_MODULE_BYTES + 1)
        if len(source) > MAX_MODULE_BYTES:
            return None
        return ast.parse(source, path)
    except Exception:  # noqa: BLE001 - not a module file (not Python, NUL bytes…)
        return None


def _declares_a_module(path: str) -> bool:
    tree = _parse(path)
    if tree is None:
        return False
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
                isinstance(node.value.func, ast.Name) and \
                node.value.func.id in _DECLARES_A_MODULE:
            return True
        if isinstance(node, ast.FunctionDef) and (node.name == "init_module" or any(
                isinstance(d, ast.Name) and d.id in _DECLARES_A_MODULE
                for d in node.decorator_list)):
            return True
    return False


def exported_symbols(tree: ast.Module) -> list[str]:
    """EXPORT_SYMBOL(x) / EXPORT_SYMBOL_GPL(x) at the file's top level."""
    symbols = []
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and \
                call.func.id in ("EXPORT_SYMBOL", "EXPORT_SYMBOL_GPL") and len(call.args) == 1:
            arg = call.args[0]
            if isinstance(arg, ast.Name):
                symbols.append(arg.id)
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                symbols.append(arg.value)
    return symbols


def _needs(tree: ast.Module, path: str) -> list[str]:
    """The symbols a module file needs from other modules, in its object file's order."""
    names = unresolved(tree)
    try:
        ordered = needed(compile(tree, path, "exec", dont_inherit=True))
    except (SyntaxError, ValueError):
        return names
    wanted = set(names)
    return list(dict.fromkeys([n for n in ordered if n in wanted] + names))


def build_index(paths: list[str]) -> dict[str, ModuleEntry]:
    """depmod's work: each module's exports and needs, then its dependencies (the modules
    providing what it needs, and theirs), ordered so that each comes after what it needs.
    Two files of the same module name: the first found is the one indexed."""
    modules: dict[str, ModuleEntry] = {}
    for path in paths:
        name = module_name(path)
        tree = _parse(path)
        if name in modules or tree is None:
            continue
        modules[name] = ModuleEntry(name, path, exported_symbols(tree), _needs(tree, path))
    providers: dict[str, str] = {}
    for entry in modules.values():
        for symbol in entry.exports:
            providers.setdefault(symbol, entry.name)
    direct = {name: list(dict.fromkeys(providers[s] for s in entry.needs
                                       if s in providers and providers[s] != name))
              for name, entry in modules.items()}
    for name, entry in modules.items():
        entry.deps = _load_order(name, direct)
    return modules


def _load_order(name: str, direct: dict[str, list[str]]) -> list[str]:
    """The modules to load before `name`, each after its own dependencies (a cycle is
    broken where it closes)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(mod: str) -> None:
        if mod in visiting or mod in order:
            return
        visiting.add(mod)
        for dep in direct.get(mod, []):
            visit(dep)
        visiting.discard(mod)
        order.append(mod)

    visit(name)
    return [m for m in order if m != name]


def write_index(home: Path, modules: dict[str, ModuleEntry]) -> Path:
    """modules.dep (`FILE: DEP...`, the dependency loaded last first, as depmod writes it)
    and modules.symbols (`alias symbol:SYM MODULE`), replaced whole."""
    folder = index_folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    dep_lines = []
    for entry in modules.values():
        deps = " ".join(modules[d].path for d in reversed(entry.deps))
        dep_lines.append(f"{entry.path}:{' ' + deps if deps else ''}\n")
    symbol_lines = ["# Aliases for symbols, used by symbol_request().\n"]
    symbol_lines += sorted(f"alias symbol:{s} {entry.name}\n" for entry in modules.values()
                           for s in entry.exports)
    _replace(folder / "modules.dep", "".join(dep_lines))
    _replace(folder / "modules.symbols", "".join(symbol_lines))
    return folder


def _replace(path: Path, text: str) -> None:
    """Write the file anew, atomically: a modprobe reading meanwhile sees the old or the new."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class IndexedModule:
    """A line of modules.dep, as modprobe reads it."""

    name: str
    path: str
    deps: list[str]  # paths, the one loaded last first


def read_index(home: Path) -> dict[str, IndexedModule]:
    """modules.dep as modprobe finds it: name -> module (empty when depmod never ran)."""
    try:
        text = (index_folder(home) / "modules.dep").read_text(encoding="utf-8",
                                                             errors="replace")
    except OSError:
        return {}
    found: dict[str, IndexedModule] = {}
    for line in text.splitlines():
        path, sep, deps = line.partition(": ") if ": " in line else line.partition(":")
        if not sep or not path:
            continue
        name = module_name(path)
        found.setdefault(name, IndexedModule(name, path, deps.split()))
    return found
