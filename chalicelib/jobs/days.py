"""The day walk every indexed job shares: read UTC days from its checkpoint to today, and
move the checkpoint past the leading days that are done and final (never backwards)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from chalicelib import clock
from chalicelib.jobs import runtime
from chalicelib.store import checkpoints


@dataclass
class Walk:
    """What a walk read: [(day, done)] in order, where it stopped, where the checkpoint is."""

    next_day: str  # the checkpoint: the first day not yet finished
    days: list[tuple[str, bool]] = field(default_factory=list)
    days_done: int = 0  # days the checkpoint moved past
    stopped: bool = False  # the deadline came before today was read


def walk(
    job_key: str,
    first: str,
    now: float,
    stop_at: float,
    visit: Callable[[str], bool | None],
    advance: bool = True,
) -> Walk:
    """Visit each day from `first` to today (UTC of `now`). `visit(day)` returns True when
    the day is done (nothing left on it), False when it must be read again, None when the
    deadline stopped it (the walk stops). With `advance`, the checkpoint moves as the walk
    goes; otherwise the caller moves it with `advance_past` once its writes are made."""
    today = runtime.day_of(now)
    result = Walk(next_day=first)
    day = first
    while day <= today:
        if clock.now() >= stop_at:
            result.stopped = True
            break
        done = visit(day)
        if done is None:
            result.stopped = True
            break
        result.days.append((day, done and runtime.day_is_final(day, now)))
        if advance:
            advance_past(job_key, result, now)
        day = runtime.next_day(day)
    return result


def advance_past(job_key: str, result: Walk, now: float, before: str | None = None) -> None:
    """Move the checkpoint past the leading days that are done and final (and, given
    `before`, earlier than it): none of their items can be left behind the cursor."""
    for day, done in result.days[result.days_done :]:
        if not done or (before is not None and day >= before):
            return
        following = runtime.next_day(day)
        checkpoints.advance(job_key, following, now)
        result.next_day = following
        result.days_done += 1
