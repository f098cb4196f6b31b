"""kmod's tools/lsmod.c layout."""

from __future__ import annotations

from collections.abc import Iterable

HEADER = "Module                  Size  Used by"


def render_lsmod(rows: Iterable[tuple[str, int, int, list[str]]]) -> str:
    """`Module  Size  Used by`, then `%-19s %8lu  %d` and ` a,b` holders, no trailing space."""
    lines = [HEADER]
    for name, size, refcnt, holders in rows:
        line = f"{name:<19} {size:>8}  {refcnt}"
        if holders:
            line += " " + ",".join(holders)
        lines.append(line)
    return "\n".join(lines) + "\n"
