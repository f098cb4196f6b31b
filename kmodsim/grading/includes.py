"""The files a module file include()s, found without running it: what the sandbox must show
the child besides the module file itself, for insmod there to read them."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from kmodsim.kernel.module import include_path


def included_files(module_file: Path) -> list[Path]:
    """Every file the module's `include("x.py")` calls name with a literal path, and those
    their own include()s name (all relative to the module file's folder, as include() takes
    them), that exist inside that folder, once symlinks are followed: a student's
    `include("../answers.py")`, or a symlink to it, must not show the sandbox the teacher's
    files. A path the code computes can't be known: readable= shows that one."""
    folder = os.path.realpath(module_file.parent)
    found: list[Path] = []
    pending = [module_file]
    while pending:
        for relpath in _literal_includes(pending.pop()):
            path = include_path(str(module_file), relpath)
            if path is None or not Path(path).is_file() or Path(path) in found:
                continue
            if os.path.commonpath([folder, os.path.realpath(path)]) != folder:
                continue  # outside the module's folder: insmod in the sandbox says ENOENT
            found.append(Path(path))
            pending.append(Path(path))
    return found


def _literal_includes(path: Path) -> list[str]:
    """The string arguments of the include() calls in one file (none if it can't be read
    or parsed: insmod, in the child, says why)."""
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return []
    return [node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "include" and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]
