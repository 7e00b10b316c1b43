"""The expiry job's work on one SIM, shared by the one-run path (expiry.py) and the
fan-out's workers (expiry_fanout.py): where its slices are, expire one SIM, tidy one SIM's
dead ownerships, each in one write retried on a lost race (writes in expiry_writes.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist

from chalicelib import clock, log, settings
from chalicelib.identifiers import mask_msisdn
from chalicelib.jobs import runtime
from chalicelib.jobs.pool import Outcome
from chalicelib.jobs.report import AWS_ERRORS, RunReport
from chalicelib.services.sims import expiry_writes, sim_records
from chalicelib.store import checkpoints
from chalicelib.store.base import plain_map
from chalicelib.store.sims import SimModel, expiry_slot_key

logger = Logger(service=log.SERVICE, child=True)

JOB_KEY = checkpoints.job_key("expire_sims")
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
    to_detach: int = 0  # SIMs found to detach (expire or tidy) before the run began
    rail_held: bool = False  # over EXPIRY_RAIL_MAX_SIMS: nothing detached (docs/rails.md)
    rail: str | None = None  # why the run held
    seconds: float = 0.0


def first_day(now: float) -> str:
    """The checkpoint's day: the first day not yet finished (first run: the lookback)."""
    checkpoint = checkpoints.read(JOB_KEY)
    if checkpoint.cursor:
        return checkpoint.cursor
    return runtime.day_of(now - settings.EXPIRY_LOOKBACK_DAYS * 86400)


def expiry_slice(day: str, shard: int, now: float, limit: int | None = None) -> Any:
    """The SIMs of one (day, shard) slice of by_expiry that are due at `now`."""
    return SimModel.by_expiry.query(
        expiry_slot_key(day, shard), SimModel.expires_at <= now - SETTLE_SECONDS, limit=limit
    )


def cleanup_slice(shard: int, limit: int | None = None) -> Any:
    """The SIMs of one shard of by_cleanup (ownerships the operator feed ended)."""
    return SimModel.by_cleanup.query(str(shard), limit=limit)


def expire_one(sim: SimModel, now: float, stop_at: float, report: Report, outcome: Outcome) -> None:
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


def tidy_one(sim: SimModel, now: float, stop_at: float, report: Report, outcome: Outcome) -> None:
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
