"""Counters that stop guessing: failures in a row with a lock, and per-window request caps.

All writes are atomic conditional updates on one item of the challenges table, so
concurrent requests cannot both slip under a limit. Keys: "login#<national_id>",
"activate#<imei>", "recover#<imei>", "ip#<route>#<address>".
"""
from __future__ import annotations

import math
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import clock
from chalicelib.errors import HamtaError
from chalicelib.store.base import RaceLost, condition_failed, retry_on_race
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


def reserve(key: str, budget: int, lock_seconds: int) -> None:
    """Spend one attempt of `key`'s budget BEFORE the guess is checked, or 429 unchecked.

    One conditional UpdateItem: it counts only while the count is under `budget`, the
    window (`lock_seconds` since the last attempt) is live and no lock holds, so N requests
    fired at once get at most `budget` attempts between them (API.md "Conventions"). A
    right guess then calls `reset`; a wrong one leaves its attempt counted. The attempt
    that fills the budget also sets the lock, so `raise_if_locked` readers see it.
    """
    now = clock.now()
    expiry = now + lock_seconds
    item = CounterItem(key)
    common = [CounterItem.expires_at.set(expiry), CounterItem.ttl.set(int(expiry) + 3600)]
    not_locked = CounterItem.locked_until.does_not_exist() | (CounterItem.locked_until <= now)
    # One call in the usual cases: no counter yet (ADD makes it 1) or a live window under
    # the budget. Only a stale window (older than lock_seconds) takes a second call.
    counts = CounterItem.failures.does_not_exist() | (
        (CounterItem.expires_at > now) & (CounterItem.failures < budget) & not_locked
    )
    stale = CounterItem.expires_at.does_not_exist() | (CounterItem.expires_at <= now)
    opening = [CounterItem.failures.set(1), CounterItem.locked_until.remove(), *common]

    def attempt() -> None:
        if _count_or_open(item, [CounterItem.failures.add(1), *common], counts, opening, stale):
            return
        current = read(key)
        if current is not None and (current.expires_at or 0) > now and (
            int(current.failures or 0) >= budget
            or (current.locked_until is not None and current.locked_until > now)
        ):
            until = max(current.locked_until or 0, current.expires_at or 0)
            raise HamtaError("rate_limited", retry_after=max(1, math.ceil(until - now)))
        raise RaceLost()  # a racing request opened the window between our two writes: again

    retry_on_race(attempt, attempts=3, exhausted=lambda: HamtaError("rate_limited", retry_after=1))
    if int(item.failures or 0) >= budget:
        item.update(actions=[CounterItem.locked_until.set(expiry)])


def release(key: str) -> None:
    """Give back an attempt that checked nothing (the request failed before its guess)."""
    _take_back_one(key, CounterItem.failures)


def _take_back_one(key: str, attribute) -> None:  # attribute: a NumberAttribute of CounterItem
    """One less in `attribute`, never below zero (a counter already gone stays gone)."""
    try:
        CounterItem(key).update(actions=[attribute.add(-1)], condition=attribute > 0)
    except UpdateError as error:
        if not condition_failed(error):
            raise


def reset(key: str) -> None:
    CounterItem(key).delete()


def give_back(key: str) -> None:
    """Un-count one request of a `hit_window` window (it did nothing, e.g. the SMS failed)."""
    _take_back_one(key, CounterItem.count)


def hit_window(key: str, limit: int, window_seconds: int) -> None:
    """Count one request in a fixed window; past `limit` in it, 429 until the window ends."""
    now = clock.now()
    opening = [
        CounterItem.window_start.set(now),
        CounterItem.count.set(1),
        CounterItem.expires_at.set(now + window_seconds),
        CounterItem.ttl.set(int(now + window_seconds) + 3600),
    ]
    live = (CounterItem.window_start > now - window_seconds) & (CounterItem.count < limit)
    stale = CounterItem.window_start.does_not_exist() | (CounterItem.window_start <= now - window_seconds)
    if _count_or_open(CounterItem(key), [CounterItem.count.add(1)], live, opening, stale):
        return
    current = read(key)
    start = current.window_start if current and current.window_start else now
    raise HamtaError("rate_limited", retry_after=max(1, math.ceil(start + window_seconds - now)))


def _count_or_open(item: CounterItem, count: list, live: Any, opening: list, stale: Any) -> bool:
    """Count in the live window (`count` under `live`) or, the window being stale, open a
    new one with this request in it (`opening` under `stale`): one call in the usual case,
    two when a window ends. False when neither condition held (full, or a racing request
    opened the window between the two writes)."""
    for actions, condition in ((count, live), (opening, stale)):
        try:
            item.update(actions=actions, condition=condition)
            return True
        except UpdateError as error:
            if not condition_failed(error):
                raise
    return False
