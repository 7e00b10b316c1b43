"""The expiry job's rail (API.md "Scheduled job", docs/rails.md): a run that finds more
than EXPIRY_RAIL_MAX_SIMS SIMs to detach (an operator feed gone wrong) detaches none.

Before any write, both paths (the one run, and the fan-out's coordinator before it hands
out a slice) survey the work: per slice of `by_expiry` (days from the checkpoint to today)
and of `by_cleanup`, one Query with Select=COUNT. Over the limit, the run logs the figures,
raises an alarm and stops; reads already treat those SIMs as expired (sim_records.is_live),
so only the tidying waits. A person releases it by setting `rail_allow` on the job's
checkpoint item (`scripts/release_rail.py expire_sims --allow N`): runs go ahead while the
SIMs to detach are at most N, and the release ends with the first run that finds the work
back under EXPIRY_RAIL_MAX_SIMS (it finished what the person allowed).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger
from pynamodb.exceptions import UpdateError

from chalicelib import log, settings
from chalicelib.jobs import days, runtime
from chalicelib.jobs.alarm import EXPIRY_RAIL, raise_alarm
from chalicelib.services.sims.expiry_sims import JOB_KEY, SETTLE_SECONDS
from chalicelib.store import checkpoints
from chalicelib.store.base import condition_failed
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.sims import CLEANUP_SHARDS, EXPIRY_SHARDS, SimModel, expiry_slot_key

logger = Logger(service=log.SERVICE, child=True)

EXPIRY, CLEANUP = "expiry", "cleanup"


@dataclass
class Survey:
    """The work found: slices with SIMs to detach [(piece, count)], and the days read
    (a day is done when none of its slices has work)."""

    walk: days.Walk
    slices: list = field(default_factory=list)
    total: int = 0
    allow: int | None = None  # a person's release, if any


def survey(now: float, stop_at: float) -> Survey:
    """Count the SIMs to detach at `now`, slice by slice (no write)."""
    checkpoint = checkpoints.read(JOB_KEY)
    first = checkpoint.cursor or runtime.day_of(now - settings.EXPIRY_LOOKBACK_DAYS * 86400)
    found: list = []
    for shard in range(CLEANUP_SHARDS):
        count = SimModel.by_cleanup.count(str(shard))
        if count:
            found.append(({"slice": CLEANUP, "shard": shard}, count))

    def count(day: str, shard: int) -> int:
        return SimModel.by_expiry.count(expiry_slot_key(day, shard), SimModel.expires_at <= now - SETTLE_SECONDS)

    def visit(day: str) -> bool:
        counts = list(threads.map(lambda shard: count(day, shard), range(EXPIRY_SHARDS)))
        found.extend(({"slice": EXPIRY, "day": day, "shard": s}, n) for s, n in enumerate(counts) if n)
        return not any(counts)

    # A day's 16 small Queries at once (the clients are built: runtime.warm_connections).
    with ThreadPoolExecutor(runtime.worker_count(settings.EXPIRY_WORKERS), thread_name_prefix="survey") as threads:
        walk = days.walk(JOB_KEY, first, now, stop_at, visit, advance=False)
    allow = int(checkpoint.rail_allow) if checkpoint.rail_allow is not None else None
    return Survey(walk, found, sum(count for _, count in found), allow)


def passes(work: Survey) -> str | None:
    """None when the run may go ahead; else why it holds (logged, an alarm raised). A
    survey cut short by the deadline counts what it read, and the run works only that."""
    limit = settings.EXPIRY_RAIL_MAX_SIMS
    if work.total <= limit:
        if work.allow is not None and not work.walk.stopped:
            _end_release(work.allow)  # what the person allowed is done
        return None
    if work.allow is not None and work.total <= work.allow:
        logger.warning("expire_sims rail released by a person",
                       extra={"rail": {"to_detach": work.total, "limit": limit, "rail_allow": work.allow}})
        return None
    why = (
        f"would detach {work.total} SIMs, over EXPIRY_RAIL_MAX_SIMS={limit}"
        + (f" and rail_allow={work.allow}" if work.allow is not None else "")
        + ": detached none"
    )
    raise_alarm(EXPIRY_RAIL, "expire_sims rail held the run",
                {"to_detach": work.total, "limit": limit, "rail_allow": work.allow, "why": why})
    return why


def _end_release(allow: int) -> None:
    try:
        CheckpointItem(JOB_KEY).update(
            actions=[CheckpointItem.rail_allow.remove()], condition=CheckpointItem.rail_allow == allow
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def release(allow: int) -> None:
    """A person lets runs detach up to `allow` SIMs until the work is done (docs/rails.md)."""
    checkpoints.note(JOB_KEY, rail_allow=allow)
