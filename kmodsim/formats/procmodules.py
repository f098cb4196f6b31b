"""/proc/modules as kernel/module/procfs.c m_show() prints it, and module_flags()."""

from __future__ import annotations

from collections.abc import Callable, Iterable

# Where module memory would sit; read as non-root the kernel prints zeros (kptr_restrict).
HIDDEN_ADDRESS = "0x0000000000000000"


def module_flags(taints: str, state: str) -> str:
    """module_flags(mod, buf, show_state=true): `(OE)`, `(O+)`, `(-)` or ''."""
    suffix = "-" if state == "Unloading" else "+" if state == "Loading" else ""
    if not taints and not suffix:
        return ""
    return f"({taints}{suffix})"


def proc_modules_line(name: str, size: int, refcnt: int, users: list[str], state: str,
                      taints: str, permanent: bool) -> str:
    deps = "".join(f"{u}," for u in users) + ("[permanent]," if permanent else "")
    line = f"{name} {size} {refcnt} {deps or '-'} {state} {HIDDEN_ADDRESS}"
    if taints:  # module_flags() is printed only when the module has taints of its own
        line += f" {module_flags(taints, state)}"
    return line


def render_proc_modules(rows: Iterable[tuple[str, int, int, str, str, int]],
                        users: Callable[[str], list[str]]) -> str:
    """`rows`: (name, size, refcnt, state, taints, has_exit), newest first; `users(name)`:
    the modules that use it."""
    return "".join(proc_modules_line(n, s, r, users(n), st, t, permanent=not has_exit) + "\n"
                   for n, s, r, st, t, has_exit in rows)
