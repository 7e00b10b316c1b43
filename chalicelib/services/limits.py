"""Counters that stop guessing: failures in a row with a lock, and per-window request caps.

All writes are atomic conditional updates on one item of the challenges table, so
concurrent requests cannot both slip under a limit. Keys: "login#<national_id>",
"activate#<imei>", "recover#<imei>", "ip#<route>#<address>".
"""
from __future__ import annotations

import math

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import clock
from chalicelib.errors import HamtaError
from chalicelib.store.base import condition_failed
from chalicelib.store.challenges import CounterItem


def read(key: str) -> CounterItem | None:
    try:
        return CounterItem.get(key, consistent_read=True)
    except DoesNotExist:
        return None


def raise_if_locked(item: CounterItem | None) -> None:
    """429 rate_limited (with Retry-After) while the counter's lock holds."""
    now = clock.now()
    if item is not None and item.locked_until is not None and item.locked_until > now:
        raise HamtaError("rate_limited", retry_after=max(1, math.ceil(item.locked_until - now)))


def check_lock(key: str) -> CounterItem | None:
    item = read(key)
    raise_if_locked(item)
    return item


def record_failure(key: str, max_failures: int, lock_seconds: int) -> int:
    """Count one failure; the `max_failures`-th in a row locks the key for `lock_seconds`.

    Failures older than `lock_seconds` since the last one no longer count. Returns the
    count after this failure (0 once it locked).
    """
    now = clock.now()
    expiry = now + lock_seconds
    item = CounterItem(key)
    common = [CounterItem.expires_at.set(expiry), CounterItem.ttl.set(int(expiry) + 3600)]
    try:
        item.update(
            actions=[CounterItem.failures.add(1), *common],
            condition=CounterItem.expires_at > now,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # Missing or stale: this failure starts a new run. If a racing request started
        # it first, count on top of theirs instead.
        try:
            item.update(
                actions=[CounterItem.failures.set(1), CounterItem.locked_until.remove(), *common],
                condition=CounterItem.expires_at.does_not_exist() | (CounterItem.expires_at <= now),
            )
        except UpdateError as again:
            if not condition_failed(again):
                raise
            item.update(actions=[CounterItem.failures.add(1), *common])
    failures = int(item.failures or 0)
    if failures >= max_failures:
        try:
            item.update(
                actions=[CounterItem.locked_until.set(expiry), CounterItem.failures.set(0)],
                condition=CounterItem.failures >= max_failures,
            )
        except UpdateError as error:
            if not condition_failed(error):
                raise  # otherwise a racing failure already set the lock
        return 0
    return failures


def reset(key: str) -> None:
    CounterItem(key).delete()


def hit_window(key: str, limit: int, window_seconds: int) -> None:
    """Count one request in a fixed window; past `limit` in it, 429 until the window ends."""
    now = clock.now()
    item = CounterItem(key)
    try:
        item.update(
            actions=[CounterItem.count.add(1)],
            condition=(CounterItem.window_start > now - window_seconds) & (CounterItem.count < limit),
        )
        return
    except UpdateError as error:
        if not condition_failed(error):
            raise
    try:
        item.update(
            actions=[
                CounterItem.window_start.set(now),
                CounterItem.count.set(1),
                CounterItem.expires_at.set(now + window_seconds),
                CounterItem.ttl.set(int(now + window_seconds) + 3600),
            ],
            condition=CounterItem.window_start.does_not_exist()
            | (CounterItem.window_start <= now - window_seconds),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        current = read(key)
        start = current.window_start if current and current.window_start else now
        raise HamtaError(
            "rate_limited", retry_after=max(1, math.ceil(start + window_seconds - now))
        ) from None
