"""Every reach into PynamoDB's internals, in this one place.

PynamoDB has no public API for these three needs, so each is wrapped here with why:

- `get_session` is replaced (module attribute of pynamodb.connection.base) so the botocore
  sessions it builds, one per model connection, share one loader: each new session would
  parse botocore's endpoint and service JSON again (~80 ms per model on a cold start).
- `client(model)` is the model's botocore client (`Model._get_connection()`), for the one
  call PynamoDB does not make: a BatchGetItem over several tables (store/batch_read.py).
- `forget(model)` drops a model's cached connection (`Model._connection`), so a changed
  endpoint or region (tests, scripts/local.py) is used by the next call.

An upgrade of PynamoDB (pinned in requirements.txt) is checked against this module.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import botocore.session
import pynamodb.connection.base as _pynamodb_connection

from chalicelib import settings

_shared_loader = None


def _session_with_shared_loader() -> botocore.session.Session:
    global _shared_loader
    session = botocore.session.get_session()
    if _shared_loader is None:
        _shared_loader = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _shared_loader)
    return session


_pynamodb_connection.get_session = _session_with_shared_loader  # type: ignore[assignment]


def client(model: Any) -> Any:
    """The model's botocore DynamoDB client (built on first use, then cached)."""
    return model._get_connection().connection.client


def forget(model: Any) -> None:
    """Drop the model's cached connection: the next call builds one from its Meta."""
    model._connection = None


@lru_cache(maxsize=1)
def _transaction_connection(region: str, host: str | None):  # -> pynamodb Connection
    from pynamodb.connection import Connection

    return Connection(region=region, host=host)


def transaction_connection():  # -> pynamodb.connection.Connection
    """One per container: a fresh Connection builds a new botocore client (~100 ms) each time."""
    return _transaction_connection(settings.REGION, settings.AWS_ENDPOINT)


def forget_transaction_connection() -> None:
    _transaction_connection.cache_clear()
