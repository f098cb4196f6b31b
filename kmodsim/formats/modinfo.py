"""modinfo's layout (kmod's tools/modinfo.c)."""

from __future__ import annotations


def render_modinfo(filename: str, keys: list[tuple[str, str]],
                   params: list[tuple[str, str, str]], field: str | None = None,
                   sep: str = "\n") -> str:
    """All fields (`key:` padded to 16 columns), or one field's values (-F); `sep` is NUL
    for -0. `params`: (name, description, type)."""
    if field == "filename":
        return filename + sep
    if field == "parm":  # -p: a type alone still gets its parentheses
        return "".join((f"{n}:{d} ({t})" if t else f"{n}:{d}") + sep
                       for n, d, t in params)
    if field is not None:
        return "".join(v + sep for k, v in keys if k == field)
    pairs = [("filename", filename), *keys,
             *[("parm", _parm(n, d, t)) for n, d, t in params]]
    if sep == "\0":
        return "".join(f"{k}={v}\0" for k, v in pairs)
    return "".join(f"{k}:{'':<{max(0, 15 - len(k))}}{v}\n" for k, v in pairs)


def _parm(name: str, desc: str, ptype: str) -> str:
    if desc and ptype:
        return f"{name}:{desc} ({ptype})"
    return f"{name}:{desc or ptype}"
