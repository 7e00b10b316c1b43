"""Where each scheduled job stopped (a CheckpointItem "job#<name>" in the challenges table),
units of work done (a dump's chunks) and units handed out (the expiry job's slices)."""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import clock
from chalicelib.store.base import condition_failed
from chalicelib.store.challenges import CheckpointItem


def job_key(name: str) -> str:
    return "job#" + name


def read(key: str) -> CheckpointItem:
    """The job's checkpoint (strongly consistent); an empty one before its first run."""
    try:
        return CheckpointItem.get(key, consistent_read=True)
    except DoesNotExist:
        return CheckpointItem(key)


def advance(key: str, cursor: str, now: float, **extra: Any) -> bool:
    """Move the cursor forward only: a slower run at the same time never moves it back.
    `extra` sets other checkpoint attributes in the same write. False if it was ahead."""
    actions = [
        CheckpointItem.cursor.set(cursor),
        CheckpointItem.updated_at.set(now),
        CheckpointItem.last_run_finished_at.set(clock.now()),
    ]
    actions += [getattr(CheckpointItem, name).set(value) for name, value in extra.items()]
    try:
        CheckpointItem(key).update(
            actions=actions,
            condition=CheckpointItem.cursor.does_not_exist() | (CheckpointItem.cursor < cursor),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return False
    return True


def note(key: str, **fields: Any) -> None:
    """Set other checkpoint attributes (e.g. enforce's approved_until), cursor untouched."""
    CheckpointItem(key).update(
        actions=[getattr(CheckpointItem, name).set(value) for name, value in fields.items()]
    )


def is_done(key: str) -> bool:
    """A unit of work (e.g. a dump's chunk) was marked done and the mark is still good."""
    try:
        item = CheckpointItem.get(key, consistent_read=True)
    except DoesNotExist:
        return False
    return item.cursor == "done" and (item.expires_at is None or item.expires_at > clock.now())


def mark_done(key: str, until: float) -> None:
    """Remember a unit of work as done until `until` (then DynamoDB TTL removes the mark)."""
    CheckpointItem(key, cursor="done", expires_at=until, ttl=int(until) + 86400,
                   updated_at=clock.now()).save()


def hold(key: str, until: float) -> None:
    """Remember a unit of work as handed out until `until` (a lease; TTL removes it later)."""
    CheckpointItem(key, cursor="held", expires_at=until, ttl=int(until) + 86400,
                   updated_at=clock.now()).save()


def is_held(key: str) -> bool:
    """A unit of work is handed out and its lease has not run out."""
    try:
        item = CheckpointItem.get(key, consistent_read=True)
    except DoesNotExist:
        return False
    return item.cursor == "held" and item.expires_at is not None and item.expires_at > clock.now()


def release(key: str) -> None:
    """End a lease early (the work is done, or left for the next hand-out)."""
    CheckpointItem(key).delete()
