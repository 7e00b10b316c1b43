"""What every table shares: its name and endpoint from settings, transactions, and the one
way to classify and retry a lost race.

Imported by every table module; imports none of them (store/tables.py lists the tables).
"""
from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from chalicelib import settings
from chalicelib.errors import HamtaError
from chalicelib.store.connections import transaction_connection


def table_name(short: str) -> str:
    return settings.TABLE_PREFIX + short


class BaseMeta:
    """Mixed into each model's Meta; host and region come from settings."""

    region = settings.REGION
    host = settings.AWS_ENDPOINT
    billing_mode = "PAY_PER_REQUEST"


def table_meta(short: str) -> type:
    """A model's Meta, its table named from the model's SHORT_NAME (the one name):
    `SHORT_NAME = "sims"; Meta = table_meta(SHORT_NAME)`."""
    return type("Meta", (BaseMeta,), {"table_name": table_name(short)})


def transact_write():  # -> pynamodb.transactions.TransactWrite
    """A TransactWrite on the configured endpoint (PynamoDB's default connection has none)."""
    from pynamodb.transactions import TransactWrite

    return TransactWrite(connection=transaction_connection())


# PynamoDB's TransactWrite sends its actions grouped by kind in this order, whatever order
# they were added in (pynamodb.connection.base.Connection.transact_write_items), and
# DynamoDB answers one cancellation reason per action, in the order sent.
PYNAMODB_ORDER = ("condition_check", "delete", "save", "update")


def cancellation_reason(error: Exception, kinds: dict[str, int], kind: str, index: int = 0):
    """DynamoDB's reason for the `index`-th action of `kind` ("condition_check", "delete",
    "save" or "update") of a cancelled TransactWrite that held `kinds` ({kind: how many});
    None when DynamoDB gave none (another action failed, or the whole call did)."""
    position = sum(kinds.get(k, 0) for k in PYNAMODB_ORDER[: PYNAMODB_ORDER.index(kind)]) + index
    reasons = getattr(error, "cancellation_reasons", None) or []
    return reasons[position] if position < len(reasons) else None


def failed_condition(error: Exception, kinds: dict[str, int], kind: str, index: int = 0) -> bool:
    """That action's own condition failed (see cancellation_reason)."""
    reason = cancellation_reason(error, kinds, kind, index)
    return reason is not None and reason.code == "ConditionalCheckFailed"


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


def retry_on_race(
    attempt: Callable[[], T],
    attempts: int = RACE_ATTEMPTS,
    exhausted: Callable[[], Exception] | None = None,
) -> T:
    """Run `attempt` (read, decide, write conditionally) until it does not lose a race.

    `attempt` raises RaceLost when its write found the state moved; it is run again from
    its read, so a request that lost answers as the stale request it was (someone else's
    win is then a plain 404, 409...). Retries that run out answer 503 service_unavailable
    with Retry-After, never a 500: nothing was written, trying again is safe (or what
    `exhausted` makes, where a route answers its own refusal).
    """
    for tries in range(attempts):
        try:
            return attempt()
        except RaceLost:
            if tries + 1 < attempts:
                # Jitter, so the racers that lost do not meet again at the same instant.
                time.sleep(random.uniform(0, 0.01 * (tries + 1)))
    if exhausted is not None:
        raise exhausted()
    raise HamtaError("service_unavailable", retry_after=1, reason="lost_race")
