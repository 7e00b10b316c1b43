"""The scheduled expiry job (expire_sims): expire SIMs whose time passed, tidy dead ownerships.

Correctness never waits for this job: a SIM whose `expires_at` passed is already not live
(sim_records.is_live), its SIM cartable already empty and its devices already recoverable.
The job makes the stored state say so, in two parts, both driven by sparse indexes so its
cost grows with the SIMs that died, never with the SIMs that exist (no Scan):

1. Expiry: for each day from the checkpoint's day to today and each shard of that day,
   Query `by_expiry` ("<day>#<shard>", expires_at <= now). Each SIM found is expired and its
   devices tidied in ONE write: a TransactWrite of the SIM (status expired, out of the
   index, holders[n].ended) and, for each device of its SIM cartable (Query `by_sim`), the
   device leaving that cartable plus its "detached" history event. A SIM without devices is
   one UpdateItem. So an expired SIM costs 2 calls (+ its share of an index page).
2. Cleanup: Query `by_cleanup` (ownerships the operator feed ended: changed hands, expired
   by the operator, reissued); per SIM the same kind of TransactWrite, which also takes the
   SIM off the index.

Every write is conditioned on what was read (the version, and the device still being in
that SIM cartable), and history keys are deterministic, so a run killed half-way or run
twice at once loses and duplicates nothing. Work done leaves the indexes, so the next run
simply carries on; the checkpoint only remembers the first day not yet finished.

Here: the run and its two phases. The writes are in expiry_writes.py, the checkpoint in
store/checkpoints.py, the thread pool and deadlines in chalicelib/jobs/ (shared with the
enforcement job). Past one run's capacity (EXPIRY_FANOUT=on, the AWS stages) the run only
coordinates, and workers do the same per-SIM code slice by slice: expiry_fanout.py.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist

from chalicelib import clock, log, settings
from chalicelib.identifiers import mask_msisdn
from chalicelib.jobs import runtime
from chalicelib.jobs.report import AWS_ERRORS, RunReport
from chalicelib.jobs.pool import Outcome, WorkPool
from chalicelib.services import expiry_writes, sim_records
from chalicelib.store import checkpoints
from chalicelib.store.base import plain_map
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.devices import DeviceModel
from chalicelib.store.sims import (
    CLEANUP_SHARDS,
    EXPIRY_SHARDS,
    SimModel,
    expiry_slot_key,
)

logger = Logger(service=log.SERVICE, child=True)

JOB_KEY = checkpoints.job_key("expire_sims")
# First run only (no checkpoint yet) looks settings.EXPIRY_LOOKBACK_DAYS back. A SIM that
# expired earlier than that and was never expired by a run stays derived-dead (is_live is
# False, recovery works) but is not tidied. Later runs never skip a day.
# Expire a SIM only once its expiry is this old: a device activated just before the
# expiry must have reached the by_sim index (eventually consistent) before we read it.
SETTLE_SECONDS = 60
ATTEMPTS = 3


@dataclass
class Report(RunReport):
    """What one run did; logged, and returned by the Lambda."""

    expired: int = 0  # SIMs this run marked expired
    tidied: int = 0  # SIMs whose dead ownerships (changed hands, expired) it tidied
    devices_awaiting_recovery: int = 0  # left a SIM cartable, in no national-ID cartable
    devices_kept: int = 0  # left a SIM cartable, stay in their national-ID cartable
    failures: int = 0  # SIMs left for the next run after an AWS error
    skipped: int = 0  # SIMs not started because the deadline came
    days_done: int = 0
    next_day: str | None = None  # the checkpoint: first day not yet finished
    finished: bool = True  # False: stopped by the deadline or failures; the next run goes on
    seconds: float = 0.0


def run(
    deadline: float | None = None,
    now: float | None = None,
    context: Any = None,
) -> dict[str, Any]:
    """One run of expire_sims: the single entry point (scheduled handler, scripts/local.py).

    `now` is the instant SIMs are judged against (default: the clock). The run stops
    starting new work at `deadline` (clock time), at the latest after
    settings.EXPIRY_TIME_BUDGET_SECONDS, and, given the Lambda `context`, well before
    the Lambda's own limit. Returns the Report as a dict. With EXPIRY_FANOUT=on it is
    the coordinator instead (expiry_fanout.coordinate) and returns what that sent.
    """
    now = clock.now() if now is None else now
    if settings.EXPIRY_FANOUT == "on":
        # On AWS past one run's capacity: this run only hands the slices out (expiry_fanout.py).
        from chalicelib.services import expiry_fanout

        return expiry_fanout.coordinate(now, deadline, context)
    started = time.monotonic()
    stop_at = runtime.stop_time(settings.EXPIRY_TIME_BUDGET_SECONDS, deadline, context)
    report = Report()
    runtime.warm_connections([SimModel, DeviceModel, CheckpointItem])
    pool = WorkPool(runtime.worker_count(settings.EXPIRY_WORKERS), name="expire_sims")
    try:
        _cleanup(pool, now, stop_at, report)
        _expire(pool, now, stop_at, report)
    finally:
        pool.close()
        report.seconds = round(time.monotonic() - started, 3)
    logger.info("expire_sims run", extra={"expire_sims": report.as_dict()})
    return report.as_dict()


# ---- the expiry part: SIMs whose expires_at passed ---------------------------------------


def first_day(now: float) -> str:
    """The checkpoint's day: the first day not yet finished (first run: the lookback)."""
    checkpoint = checkpoints.read(JOB_KEY)
    if checkpoint.cursor:
        return checkpoint.cursor
    return sim_records.expiry_day(now - settings.EXPIRY_LOOKBACK_DAYS * 86400)


def expiry_slice(day: str, shard: int, now: float, limit: int | None = None) -> Any:
    """The SIMs of one (day, shard) slice of by_expiry that are due at `now`."""
    return SimModel.by_expiry.query(
        expiry_slot_key(day, shard), SimModel.expires_at <= now - SETTLE_SECONDS, limit=limit
    )


def cleanup_slice(shard: int, limit: int | None = None) -> Any:
    """The SIMs of one shard of by_cleanup (ownerships the operator feed ended)."""
    return SimModel.by_cleanup.query(str(shard), limit=limit)


def _expire(pool: WorkPool, now: float, stop_at: float, report: Report) -> None:
    today = sim_records.expiry_day(now)
    day = first_day(now)
    report.next_day = day
    blocked = False  # a day left unfinished: the checkpoint must not move past it
    while day <= today:
        if clock.now() >= stop_at:
            report.finished = False
            return
        outcome = Outcome()
        for shard in range(EXPIRY_SHARDS):
            sims = expiry_slice(day, shard, now)
            if not pool.feed(sims, lambda sim: _expire_one(sim, now, stop_at, report, outcome), stop_at):
                outcome.unfinished = True
                break
        pool.wait()
        if outcome.unfinished:
            report.finished = False
            return
        if outcome.failed:
            report.finished = False
        if outcome.failed or not runtime.day_is_final(day, now):
            blocked = True
        if not blocked:
            following = runtime.next_day(day)
            checkpoints.advance(JOB_KEY, following, now)
            report.next_day = following
            report.days_done += 1
        day = runtime.next_day(day)


def _expire_one(sim: SimModel, now: float, stop_at: float, report: Report, outcome: Outcome) -> None:
    """Expire one SIM and tidy its SIM cartable, in one write (retried on a lost race)."""

    def plan(sim: SimModel) -> _Plan | None:
        if not _due(sim, now):
            return None  # renewed, reissued or already expired meanwhile
        n = int(sim.ownership)
        ended_at = float(sim.expires_at)
        holders = plain_map(sim.holders)
        entry = holders.setdefault(str(n), {"national_id": sim.national_id})
        entry.update({"ended": sim_records.EXPIRED, "ended_at": ended_at})
        actions = [
            SimModel.status.set(sim_records.EXPIRED),
            SimModel.expiry_day.remove(),
            SimModel.holders.set(holders),
            SimModel.updated_at.set(now),
        ]
        condition = (
            (SimModel.ownership == n)
            & (SimModel.status == sim_records.ACTIVE)
            & (SimModel.expires_at <= now)
        )
        moves = [(d, n, ended_at, "expired") for d in expiry_writes.devices_of(sim.msisdn, n)]
        return _Plan(actions, condition, moves, "expired")

    _carry_out(sim, plan, stop_at, report, outcome, "expire")


def _due(sim: SimModel, now: float) -> bool:
    return (
        sim.status == sim_records.ACTIVE
        and sim.expires_at is not None
        and sim.expires_at <= now
        and sim.expiry_day is not None
    )


# ---- the cleanup part: ownerships the operator feed ended ------------------------------


def _cleanup(pool: WorkPool, now: float, stop_at: float, report: Report) -> None:
    outcome = Outcome()
    for shard in range(CLEANUP_SHARDS):
        sims = cleanup_slice(shard)
        if not pool.feed(sims, lambda sim: _tidy_one(sim, now, stop_at, report, outcome), stop_at):
            outcome.unfinished = True
            break
    pool.wait()
    if outcome.unfinished or outcome.failed:
        report.finished = False


def _tidy_one(sim: SimModel, now: float, stop_at: float, report: Report, outcome: Outcome) -> None:
    """Tidy every dead ownership of one SIM and take it off the cleanup index, in one write."""

    def plan(sim: SimModel) -> _Plan | None:
        if sim.cleanup_shard is None:
            return None  # another run finished it
        holders = plain_map(sim.holders)
        moves = []
        for n in sorted(int(x) for x in (sim.dead_ownerships or ())):
            entry = holders.get(str(n)) or {}
            ended_at = float(entry.get("ended_at") or now)
            why = entry.get("ended") or sim_records.TRANSFERRED
            moves += [(d, n, ended_at, why) for d in expiry_writes.devices_of(sim.msisdn, n)]
        actions = [
            SimModel.dead_ownerships.remove(),
            SimModel.cleanup_shard.remove(),
            SimModel.updated_at.set(now),
        ]
        return _Plan(actions, None, moves, "tidied")

    _carry_out(sim, plan, stop_at, report, outcome, "cleanup")


@dataclass
class _Plan:
    """One SIM's write: its update, its condition, the devices to move, what to count."""

    actions: list
    condition: Any
    moves: list
    tally: str


def _carry_out(
    sim: SimModel,
    plan: Callable[[SimModel], _Plan | None],
    stop_at: float,
    report: Report,
    outcome: Outcome,
    what: str,
) -> None:
    """Plan and commit one SIM's write; on a lost race read the SIM again and plan again
    (ATTEMPTS times). An AWS failure is counted and left for the next run."""
    if clock.now() >= stop_at:
        outcome.unfinished = True
        report.add(skipped=1)
        return
    try:
        for _ in range(ATTEMPTS):
            step = plan(sim)
            if step is None:
                return
            try:
                counts = expiry_writes.commit(sim, step.actions, step.condition, step.moves)
            except expiry_writes.RaceLost:
                sim = _reread(sim.msisdn)
                if sim is None:
                    return
                continue
            report.add(**{step.tally: 1}, **counts)
            return
        _failed(report, outcome, f"{what}: lost the race", sim.msisdn)
    except AWS_ERRORS as error:
        _failed(report, outcome, f"{what}: {type(error).__name__}", sim.msisdn)


def _reread(msisdn: str) -> SimModel | None:
    try:
        return SimModel.get(msisdn, consistent_read=True)
    except DoesNotExist:
        return None


def _failed(report: Report, outcome: Outcome, what: str, msisdn: str) -> None:
    outcome.failed = True
    report.add(failures=1)
    # The number is masked: logs never hold whole identifiers of people.
    logger.warning("expire_sims left a SIM for the next run", extra={"why": what, "msisdn": mask_msisdn(msisdn)})
