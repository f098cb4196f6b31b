"""kmodsim/kernel/api_index.py says which file of the kernel each API name comes from, so that
a module's star import loads only the files of the names it uses. It is generated from
kmodsim/kernel/api.py's imports; this test fails if the two ever disagree. To regenerate:
`python tests/test_api_index.py`."""

from __future__ import annotations

import ast
import importlib
import textwrap
from pathlib import Path

KERNEL = Path(__file__).resolve().parent.parent / "kmodsim" / "kernel"
HEADER = '''"""Which file of kmodsim/kernel each name of the kernel API (api.py) comes from:
a module's `from kmodsim.kernel import *` loads only the files of the names it uses.
Generated from api.py by `python tests/test_api_index.py`; tests/test_api_index.py checks it.
"""

# file -> its API names, space-separated (one string a file: the cheapest to load)
FILES: dict[str, str] = '''
FOOTER = '''
WHERE: dict[str, str] = {name: file for file, names in FILES.items() for name in names.split()}
'''


def expected_index() -> dict[str, str]:
    """Each name api.py's __all__ exports -> the file (without .py) it imports it from."""
    api = importlib.import_module("kmodsim.kernel.api")
    where: dict[str, str] = {}
    for node in ast.parse((KERNEL / "api.py").read_text()).body:
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
                "kmodsim.kernel."):
            continue
        file = node.module.removeprefix("kmodsim.kernel.")  # type: ignore[union-attr]
        if [a.name for a in node.names] == ["*"]:
            source = importlib.import_module(node.module)  # type: ignore[arg-type]
            names = getattr(source, "__all__", [n for n in vars(source) if n[:1] != "_"])
        else:
            names = [a.asname or a.name for a in node.names]
        for name in names:
            where.setdefault(name, file)
    return {name: where[name] for name in sorted(api.__all__)}


def rendered(index: dict[str, str]) -> str:
    files: dict[str, list[str]] = {}
    for name, file in index.items():
        files.setdefault(file, []).append(name)
    lines = ["{"]
    for file, names in sorted(files.items()):
        lines.append(f'    "{file}": (')
        lines += [f'        "{line} "' for line in textwrap.wrap(
            " ".join(names), 88, break_on_hyphens=False, break_long_words=False)]
        lines.append("    ),")
    return HEADER + "\n".join(lines) + "\n}\n" + FOOTER


def test_the_index_is_what_api_py_imports():
    from kmodsim.kernel import api_index

    assert api_index.WHERE == expected_index(), "run: python tests/test_api_index.py"
    assert (KERNEL / "api_index.py").read_text() == rendered(expected_index())


def test_every_name_of_the_index_is_the_apis_own_object():
    from kmodsim.kernel import api, api_index

    for name, file in api_index.WHERE.items():
        source = importlib.import_module(f"kmodsim.kernel.{file}")
        assert vars(source)[name] is getattr(api, name), name


if __name__ == "__main__":
    (KERNEL / "api_index.py").write_text(rendered(expected_index()))


def test_api_names_that_are_file_names_are_the_apis():
    """`from kmodsim.kernel import kobject` gives the API's kobject, not the file."""
    import kmodsim.kernel
    from kmodsim.kernel import api_index

    files = {p.stem for p in KERNEL.glob("*.py")} | {p.name for p in KERNEL.iterdir()
                                                      if p.is_dir() and p.name != "__pycache__"}
    assert kmodsim.kernel._NAMED_AS_FILES == set(api_index.WHERE) & files
    for name in sorted(kmodsim.kernel._NAMED_AS_FILES):
        importlib.import_module(f"kmodsim.kernel.{name}")
        source = importlib.import_module(f"kmodsim.kernel.{api_index.WHERE[name]}")
        assert getattr(kmodsim.kernel, name) is vars(source)[name]
