"""/proc/modules as kernel/module/procfs.c m_show() prints it."""

from __future__ import annotations

import sqlite3

# Where module memory would sit; read as non-root the kernel prints zeros (kptr_restrict).
HIDDEN_ADDRESS = "0x0000000000000000"


def proc_modules_line(name: str, size: int, refcnt: int, users: list[str], state: str,
                      taints: str, permanent: bool) -> str:
    deps = "".join(f"{u}," for u in users) + ("[permanent]," if permanent else "")
    line = f"{name} {size} {refcnt} {deps or '-'} {state} {HIDDEN_ADDRESS}"
    if taints:  # module_flags() is printed only when the module has taints of its own
        suffix = "-" if state == "Unloading" else "+" if state == "Loading" else ""
        line += f" ({taints}{suffix})"
    return line


def render_proc_modules(db: sqlite3.Connection) -> str:
    rows = db.execute("SELECT name, size, refcnt, state, taints, has_exit FROM modules "
                      "ORDER BY load_order DESC").fetchall()
    return "".join(
        proc_modules_line(n, s, r, [], st, t, permanent=not has_exit) + "\n"
        for n, s, r, st, t, has_exit in rows
    )
