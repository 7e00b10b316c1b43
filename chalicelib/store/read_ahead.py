"""What a request has read ahead: items fetched at the edge with its session or partner key.

The edge (`sessions.resolve_with`, `partners.check_key`) reads the session or the key and
the items a route names up front in ONE BatchGetItem, and hands the rest to a `ReadAhead`.
The service gets it beside its (immutable) caller as `ahead=` and reads through `take`:
what was read ahead comes from here, each item once (a retry after a lost race reads
afresh), and the rest in one BatchGetItem. `NOTHING` (the default) holds nothing, so a
service called without it reads everything itself.
"""
from __future__ import annotations

from typing import Any

from chalicelib.store.batch_read import read_together

Wanted = list[tuple[type, list[Any]]]  # [(model, keys)]; a key is a hash key or (hash, range)


def _key_of(model: type, item: Any) -> Any:
    hash_name = model._hash_keyname
    range_name = getattr(model, "_range_keyname", None)
    if range_name:
        return (getattr(item, hash_name), getattr(item, range_name))
    return getattr(item, hash_name)


class ReadAhead:
    """{model: {key: item or None}} read ahead for one request; each key taken once."""

    def __init__(self, wanted: Wanted = (), found: dict | None = None) -> None:
        self._held: dict = {}
        for model, keys in wanted:
            by_key = {_key_of(model, item): item for item in (found or {}).get(model, [])}
            self._held.setdefault(model, {}).update({key: by_key.get(key) for key in keys})

    def holds(self, model: type, key: Any) -> bool:
        """Was `key` read ahead and not yet taken (found or known absent)?"""
        return key in self._held.get(model, {})

    def take(self, wanted: Wanted) -> dict[type, list]:
        """`read_together(wanted)`, less what was read ahead (taken now, once): a route that
        named its items up front pays no second call for them."""
        have: dict[type, list] = {}
        rest: Wanted = []
        for model, keys in wanted:
            held = self._held.get(model, {})
            have.setdefault(model, [])
            missing = []
            for key in keys:
                if key in held:
                    item = held.pop(key)
                    if item is not None:
                        have[model].append(item)
                else:
                    missing.append(key)
            if missing:
                rest.append((model, missing))
        for model, items in read_together(rest).items():
            have.setdefault(model, []).extend(items)
        return have


def read_with(first: Wanted, wanted: Wanted) -> tuple[dict[type, list], ReadAhead]:
    """`first` and `wanted` in one BatchGetItem: ({model: [items]} of `first`, the rest as
    a ReadAhead). `first`'s models must be other tables than `wanted`'s."""
    found = read_together([*first, *wanted])
    return {model: found.pop(model, []) for model, _ in first}, ReadAhead(wanted, found)


NOTHING = ReadAhead()  # nothing read ahead (it only ever gives out, so one serves all)
