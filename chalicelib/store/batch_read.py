"""Items of several tables in one BatchGetItem: a move reads all it needs in one call.

PynamoDB's batch_get reads one table; its botocore client reads many at once.
"""
from __future__ import annotations

from typing import Any, Iterable

from pynamodb.models import Model

from chalicelib.store import connections


def _key(model: type[Model], key: Any) -> dict:
    hash_key, range_key = (key if isinstance(key, tuple) else (key, None))
    hash_attr = model._hash_key_attribute()
    item = {hash_attr.attr_name: {hash_attr.attr_type: hash_attr.serialize(hash_key)}}
    if range_key is not None:
        range_attr = model._range_key_attribute()
        item[range_attr.attr_name] = {range_attr.attr_type: range_attr.serialize(range_key)}
    return item


def read_together(wanted: Iterable[tuple[type[Model], list[Any]]]) -> dict[type[Model], list[Model]]:
    """{model: [items found]} for each (model, keys) asked; a key is a hash key or a
    (hash, range) pair. Strongly consistent; the models must be of different tables."""
    request: dict = {}
    models: dict[str, type[Model]] = {}
    for model, keys in wanted:
        unique = list(dict.fromkeys(keys))
        if not unique:
            continue
        models[model.Meta.table_name] = model
        request[model.Meta.table_name] = {
            "Keys": [_key(model, k) for k in unique], "ConsistentRead": True,
        }
    found: dict[type[Model], list[Model]] = {model: [] for model in models.values()}
    if not request:
        return found
    client = connections.client(next(iter(models.values())))
    while request:
        response = client.batch_get_item(RequestItems=request)
        for table, items in response.get("Responses", {}).items():
            model = models[table]
            found[model].extend(model.from_raw_data(raw) for raw in items)
        request = response.get("UnprocessedKeys") or {}
    return found
