"""Bringing a sleeping task's module memory up to date in place.

While a task sleeps other tasks run and change module memory; when it wakes, it must see what
they wrote (its module globals), and the objects it holds in local variables across the sleep
(`item = list_first_entry(...)`, `msleep(10)`, `item.count += 1`) must be those same
up-to-date objects, or it writes to a stale copy. So the stored memory is merged into the
objects already in the namespace, matched by where they stand in the graph (the same variable,
key, index or attribute), keeping each old object's identity; only new objects are new.
"""

from __future__ import annotations

_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), tuple, frozenset, range)


def merge(old: object, new: object, memo: dict[int, object]) -> object:
    """`old` updated to equal `new` where both are the same kind of mutable object (and
    returned), else `new`. `memo` maps id(new) to its merged result, for shared objects."""
    if id(new) in memo:
        return memo[id(new)]
    if old is None or type(old) is not type(new) or isinstance(new, _IMMUTABLE):
        memo[id(new)] = new
        return new
    memo[id(new)] = old
    if isinstance(new, list):
        merged = [merge(o, n, memo) for o, n in zip(old, new, strict=False)]  # type: ignore[call-overload]
        merged += [merge(None, n, memo) for n in new[len(merged):]]
        old[:] = merged  # type: ignore[index]
    elif isinstance(new, dict):
        merged_d = {k: merge(old.get(k), v, memo) for k, v in new.items()}  # type: ignore[attr-defined]
        old.clear()  # type: ignore[attr-defined]
        old.update(merged_d)  # type: ignore[attr-defined]
    elif isinstance(new, (set, bytearray)):
        if isinstance(new, bytearray):
            bytearray.__setitem__(old, slice(None), new)  # past KernelBuffer's checks
        else:
            old.clear()  # type: ignore[attr-defined]
            old.update(new)  # type: ignore[attr-defined]
    _merge_attributes(old, new, memo)
    return old


def _merge_attributes(old: object, new: object, memo: dict[int, object]) -> None:
    state = getattr(new, "__dict__", None)
    if state is not None:
        merged = {k: merge(old.__dict__.get(k), v, memo) for k, v in state.items()}
        old.__dict__.clear()
        old.__dict__.update(merged)
    for cls in type(new).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot in ("__dict__", "__weakref__") or not hasattr(new, slot):
                continue
            setattr(old, slot, merge(getattr(old, slot, None), getattr(new, slot), memo))


def refresh(namespace: dict, variables: dict, objects: dict, old_objects: dict
            ) -> dict:
    """Merge stored `variables` into the module's `namespace` and stored kernel `objects`
    into `old_objects` (one memo: an object shared between them stays shared)."""
    memo: dict[int, object] = {}
    for name, value in variables.items():
        namespace[name] = merge(namespace.get(name), value, memo)
    return merge(old_objects, objects, memo)  # type: ignore[return-value]
