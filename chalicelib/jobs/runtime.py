"""When a job run must stop, how many threads it may use, and the UTC days it walks."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from chalicelib import clock, settings
from chalicelib.store import connections
from chalicelib.store.connections import transaction_connection

# A day's slice of a job's index is final, and the job's checkpoint moves past it, only
# this long after the day ended: a write made just before midnight may reach an index
# (eventually consistent) a little late.
DAY_GRACE_SECONDS = 3600
# Stop this long (at most a fifth of what is left) before the Lambda's own limit.
LAMBDA_MARGIN_SECONDS = 60


def stop_time(budget_seconds: float, deadline: float | None = None, context: Any = None) -> float:
    """The clock time a run stops starting new work: after `budget_seconds`, at `deadline`
    if sooner, and, given a Lambda `context`, well before the Lambda's own limit."""
    start = clock.now()
    stop_at = start + budget_seconds
    if deadline is not None:
        stop_at = min(stop_at, deadline)
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining_ms):
        remaining = remaining_ms() / 1000.0
        stop_at = min(stop_at, start + remaining - min(LAMBDA_MARGIN_SECONDS, remaining / 5))
    return stop_at


def worker_count(configured: int) -> int:
    """`configured` threads on DynamoDB; one against an emulator endpoint.

    scripts/local.py's moto server copies whole tables inside TransactWriteItems without
    a lock, so parallel transactions there can fail or, on a rollback, undo other
    requests' writes. DynamoDB has no such limit.
    """
    if settings.AWS_ENDPOINT:
        return 1
    return max(1, configured)


def warm_connections(models: list) -> None:
    """Build the botocore clients once, here, before threads start (creating a client is
    not thread-safe in botocore)."""
    for model in models:
        connections.client(model)  # builds and caches it
    transaction_connection().client  # noqa: B018


def day_end(day: str) -> float:
    """The epoch second a UTC day "YYYY-MM-DD" ends."""
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    return (start + timedelta(days=1)).timestamp()


def day_is_final(day: str, now: float) -> bool:
    """No item can still reach this UTC day's index slices (the index has caught up)."""
    return day_end(day) + DAY_GRACE_SECONDS <= now


def day_of(epoch: float) -> str:
    """The UTC day "YYYY-MM-DD" of an epoch second (the jobs' indexes are keyed by it)."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d")


def next_day(day: str) -> str:
    start = datetime.strptime(day, "%Y-%m-%d")
    return (start + timedelta(days=1)).strftime("%Y-%m-%d")
