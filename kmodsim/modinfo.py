"""What `modinfo` shows for a module file: its MODULE_* declarations and parameters.

The layout follows kmod's tools/modinfo.c; the order follows a real -O2 kernel build, whose
.modinfo section lists a file's declarations in reverse, then modpost's generated keys.
"""

from __future__ import annotations

import hashlib
import os
import types

from kmodsim.errors import KmodError
from kmodsim.faults import KERNEL_RELEASE
from kmodsim.loader import MAX_MODULE_BYTES

VERMAGIC = f"{KERNEL_RELEASE} SMP preempt mod_unload modversions "


class ModInfo:
    """A module file's declarations, read by running its top level (no kernel needed)."""

    def __init__(self, typed: str) -> None:
        from kmodsim.kernel import _current
        from kmodsim.kernel.module import MODINFO
        from kmodsim.machine import module_name

        self.filename = os.path.join(os.getcwd(), typed)  # as kmod does: no normalising
        try:
            with open(typed, "rb") as f:
                source = f.read(MAX_MODULE_BYTES + 1)  # /dev/zero must not be read forever
            if len(source) > MAX_MODULE_BYTES:
                raise ValueError("too large to be a module source file")
            code = compile(source, os.path.abspath(typed), "exec", dont_inherit=True)
            probe = types.ModuleType("kmodsim.modinfo_probe")
            saved = _current.enter(None, None)
            try:
                exec(code, probe.__dict__)
            finally:
                _current.leave(saved)
        except OSError as e:
            raise KmodError(f"modinfo: ERROR: could not get modinfo from '{typed}': "
                            f"{os.strerror(e.errno or 5)}") from None
        except Exception:  # noqa: BLE001 - not a module file
            raise KmodError(f"modinfo: ERROR: could not get modinfo from '{typed}': "
                            f"Exec format error") from None
        declared: list[tuple[str, str]] = probe.__dict__.get(MODINFO, [])
        self.keys = [*reversed([(k, v) for k, v in declared if k not in ("parm", "parmtype")]),
                     ("srcversion", hashlib.md5(source).hexdigest().upper()[:23]),
                     ("depends", ""), ("retpoline", "Y"), ("name", module_name(typed)),
                     ("vermagic", VERMAGIC)]
        params: dict[str, list[str]] = {}
        for key, value in declared:
            if key in ("parm", "parmtype"):
                name, _, rest = value.partition(":")
                params.setdefault(name, ["", ""])[0 if key == "parm" else 1] = rest
        # kmod prepends each new parameter to its list: the last declared comes first
        self.params = [(n, d, t) for n, (d, t) in reversed(params.items())]

    def render(self, field: str | None = None, sep: str = "\n") -> str:
        if field == "filename":
            return self.filename + sep
        if field == "parm":  # -p: a type alone still gets its parentheses
            return "".join((f"{n}:{d} ({t})" if t else f"{n}:{d}") + sep
                           for n, d, t in self.params)
        if field is not None:
            return "".join(v + sep for k, v in self.keys if k == field)
        pairs = [("filename", self.filename), *self.keys,
                 *[("parm", _parm(n, d, t)) for n, d, t in self.params]]
        if sep == "\0":
            return "".join(f"{k}={v}\0" for k, v in pairs)
        return "".join(f"{k}:{'':<{max(0, 15 - len(k))}}{v}\n" for k, v in pairs)


def _parm(name: str, desc: str, ptype: str) -> str:
    if desc and ptype:
        return f"{name}:{desc} ({ptype})"
    return f"{name}:{desc or ptype}"
