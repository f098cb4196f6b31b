"""Kernel taint flags (kernel/panic.c taint_flags[]) and their renderings."""

from __future__ import annotations

# bit -> (letter when set, letter when clear, is a per-module flag), in bit order
TAINT_FLAGS = [
    ("P", "G", True), ("F", " ", True), ("S", " ", False), ("R", " ", False),
    ("M", " ", False), ("B", " ", False), ("U", " ", False), ("D", " ", False),
    ("A", " ", False), ("W", " ", False), ("C", " ", True), ("I", " ", False),
    ("O", " ", True), ("E", " ", True), ("L", " ", False), ("K", " ", True),
    ("X", " ", True), ("T", " ", True), ("N", " ", True),
]
TAINT_PROPRIETARY_MODULE = 0
TAINT_FORCED_MODULE = 1
TAINT_FORCED_RMMOD = 3
TAINT_DIE = 7
TAINT_WARN = 9
TAINT_OOT_MODULE = 12
TAINT_UNSIGNED_MODULE = 13
TAINT_SOFTLOCKUP = 14

_MODULE_ORDER = "".join(letter for letter, _, per_module in TAINT_FLAGS if per_module)


def taint_text(mask: int) -> str:
    """print_tainted(): `Not tainted` or `Tainted: ` and one column per flag."""
    if not mask:
        return "Not tainted"
    cols = (on if mask & (1 << bit) else off for bit, (on, off, _) in enumerate(TAINT_FLAGS))
    return "Tainted: " + "".join(cols)


def taint_letters(mask: int) -> str:
    return "".join(on for bit, (on, _, _) in enumerate(TAINT_FLAGS) if mask & (1 << bit))


def add_module_taint(taints: str, letter: str) -> str:
    """A module's taint letters, kept in the kernel's table order."""
    have = set(taints) | {letter}
    return "".join(c for c in _MODULE_ORDER if c in have)


def module_flags(taints: str, state: str) -> str:
    """module_flags(mod, buf, show_state=true): `(OE)`, `(O+)`, `(-)` or ''."""
    suffix = "-" if state == "Unloading" else "+" if state == "Loading" else ""
    if not taints and not suffix:
        return ""
    return f"({taints}{suffix})"
