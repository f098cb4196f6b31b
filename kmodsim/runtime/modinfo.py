"""What `modinfo` reads from a module file: its MODULE_* declarations and parameters.

The order follows a real -O2 kernel build, whose .modinfo section lists a file's declarations
in reverse, then modpost's generated keys; the layout is kmodsim.formats.modinfo's.
"""

from __future__ import annotations

import hashlib
import os
import types

from kmodsim.errors import KmodError
from kmodsim.formats.modinfo import render_modinfo
from kmodsim.kernel import _current
from kmodsim.kernel.module import MODINFO, module_name
from kmodsim.kernel.version import KERNEL_RELEASE
from kmodsim.runtime.loader import MAX_MODULE_BYTES

VERMAGIC = f"{KERNEL_RELEASE} SMP preempt mod_unload modversions "


class ModInfo:
    """A module file's declarations, read by running its top level (no kernel needed)."""

    def __init__(self, typed: str) -> None:
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
        return render_modinfo(self.filename, self.keys, self.params, field, sep)
