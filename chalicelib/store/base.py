"""What every table shares: its name and endpoint from settings, and a way to re-point them.

PynamoDB reads `Meta` when a model is first used and caches one connection per class;
`configure()` re-applies settings (tests and scripts/local.py change the endpoint) and
drops those cached connections.
"""
from __future__ import annotations

import random
import time
from functools import lru_cache
from typing import Callable, Iterator, TypeVar

import botocore.session
import pynamodb.connection.base as _pynamodb_connection
from pynamodb.models import Model

from chalicelib import settings
from chalicelib.errors import HamtaError

_shared_loader = None


def _session_with_shared_loader() -> botocore.session.Session:
    """PynamoDB builds one botocore session per model connection, and every new session
    parses botocore's endpoint and service JSON again (~80 ms per model on a cold start, and
    per test). Sessions made here share the first one's loader, which caches that JSON."""
    global _shared_loader
    session = botocore.session.get_session()
    if _shared_loader is None:
        _shared_loader = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _shared_loader)
    return session


_pynamodb_connection.get_session = _session_with_shared_loader  # type: ignore[assignment]


def table_name(short: str) -> str:
    return settings.TABLE_PREFIX + short


class BaseMeta:
    """Mixed into each model's Meta; host and region come from settings."""

    region = settings.REGION
    host = settings.AWS_ENDPOINT
    billing_mode = "PAY_PER_REQUEST"


def all_models() -> list[type[Model]]:
    # Imported here, not at module top: each table module imports this one.
    from chalicelib.store import (
        challenges,
        devices,
        enforcement_log,
        history,
        models_table,
        people,
        sims,
        transfer_records,
        travellers,
    )
    from chalicelib.store import observations

    return [
        people.PersonModel,
        sims.SimModel,
        devices.DeviceModel,
        history.HistoryModel,
        challenges.ChallengeModel,
        enforcement_log.LogEntryModel,
        models_table.PhoneModelEntry,
        travellers.TravellerModel,
        transfer_records.TransferRecordModel,
        observations.ObservationModel,
    ]


def iter_models_sharing_tables() -> Iterator[type[Model]]:
    """Every model class, including the item kinds that share the challenges table."""
    from chalicelib.store import challenges

    yield from all_models()
    yield from challenges.ITEM_MODELS


def configure() -> None:
    """Point every model at the current settings' tables, endpoint and region."""
    for model in iter_models_sharing_tables():
        model.Meta.table_name = table_name(model.SHORT_NAME)
        model.Meta.host = settings.AWS_ENDPOINT
        model.Meta.region = settings.REGION
        model._connection = None
    _transaction_connection.cache_clear()


def create_tables() -> None:
    """Create every table with its indexes and TTL (local run and tests; infra/ on AWS)."""
    import boto3

    dynamodb = boto3.client(
        "dynamodb", region_name=settings.REGION, endpoint_url=settings.AWS_ENDPOINT
    )
    for model in all_models():
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        ttl = getattr(model, "TTL_ATTRIBUTE", None)
        if not ttl:
            continue
        # Asked first: LocalStack, like DynamoDB, refuses to enable a TTL that is enabled.
        current = dynamodb.describe_time_to_live(TableName=model.Meta.table_name)
        if current["TimeToLiveDescription"].get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
            )


@lru_cache(maxsize=1)
def _transaction_connection(region: str, host: str | None):  # -> pynamodb Connection
    from pynamodb.connection import Connection

    return Connection(region=region, host=host)


def transaction_connection():  # -> pynamodb.connection.Connection
    """One per container: a fresh Connection builds a new botocore client (~100 ms) each time."""
    return _transaction_connection(settings.REGION, settings.AWS_ENDPOINT)


def transact_write():  # -> pynamodb.transactions.TransactWrite
    """A TransactWrite on the configured endpoint (PynamoDB's default connection has none)."""
    from pynamodb.transactions import TransactWrite

    return TransactWrite(connection=transaction_connection())


def transaction_condition_failed(error: Exception) -> bool:
    """A TransactWriteError whose cause was a failed condition (the state moved under us)."""
    reasons = getattr(error, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)


def condition_failed(error: Exception) -> bool:
    """A PutError / UpdateError / DeleteError caused by a failed condition."""
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def plain_map(value: object) -> dict:
    """A raw MapAttribute (e.g. SimModel.holders, PersonModel.sims) as a plain dict.

    PynamoDB hands raw maps back as MapAttribute objects, which have no `.items()`; nested
    values come back as dicts. Missing -> {}.
    """
    if value is None:
        return {}
    if hasattr(value, "as_dict"):
        value = value.as_dict()  # type: ignore[union-attr]
    return {k: plain_map(v) if hasattr(v, "as_dict") else v for k, v in dict(value).items()}


# A lost race: the one way the services classify and retry it (issue 11, item 2).
RACE_CODES = ("ConditionalCheckFailed", "TransactionConflict")
RACE_ATTEMPTS = 4


class RaceLost(Exception):
    """What was read moved before our conditional write landed: read again, decide again."""


def lost_race(error: Exception) -> bool:
    """A write that failed because another request got there first: a failed condition
    (single item or transaction) or DynamoDB's TransactionConflict (two transactions on
    one item at the same moment)."""
    if condition_failed(error):
        return True
    reasons = getattr(error, "cancellation_reasons", None) or []
    if any(r is not None and r.code in RACE_CODES for r in reasons):
        return True
    return getattr(error, "cause_response_code", None) == "TransactionConflictException"


T = TypeVar("T")


def retry_on_race(attempt: Callable[[], T], attempts: int = RACE_ATTEMPTS) -> T:
    """Run `attempt` (read, decide, write conditionally) until it does not lose a race.

    `attempt` raises RaceLost when its write found the state moved; it is run again from
    its read, so a request that lost answers as the stale request it was (someone else's
    win is then a plain 404, 409...). Retries that run out answer 503 service_unavailable
    with Retry-After, never a 500: nothing was written, trying again is safe.
    """
    for tries in range(attempts):
        try:
            return attempt()
        except RaceLost:
            if tries + 1 < attempts:
                # Jitter, so the racers that lost do not meet again at the same instant.
                time.sleep(random.uniform(0, 0.01 * (tries + 1)))
    raise HamtaError("service_unavailable", retry_after=1, reason="lost_race")
