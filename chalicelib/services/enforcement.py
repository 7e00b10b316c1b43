"""The scheduled enforcement job (enforce): pairs past their grace become block entries,
blocked pairs put right become unblock entries (API.md "Network enforcement").

Driven by the observations table's sparse indexes, so its cost grows with the pairs that
change, never with all pairs (no Scan):

1. Judge: for each day from the checkpoint's day to today and each shard, Query
   `by_deadline` ("<day>#<shard>", grace_until <= now): the pending pairs whose grace
   passed. Per 100 pairs, one BatchGet of their devices and one of their SIMs decide:
   put right (the device is in a cartable holding that SIM) -> `ok`, off the index;
   never warned (the SMS failed) -> warned now, with a new cut-off; else -> a block.
2. The safety rail: if the blocks are more than ENFORCEMENT_MAX_BLOCK_PERCENT of the
   pairs judged (and at least ENFORCEMENT_RAIL_MIN_PAIRS were judged), the run blocks
   nothing, leaves every pair it judged where it was, and logs why. Otherwise it records the
   approval (approved_until) before writing, so a run cut short half-way is finished by
   the next one without the already-approved blocks being counted again.
3. Block: per pair, its move to `blocked` (conditioned on still being pending) and its
   log entry, in one transaction with up to BLOCKS_PER_TRANSACTION others.
4. Unblock: Query `by_blocked` (the pairs under a block); put right since -> the pair
   `cleared` and an unblock entry, in one transaction.

Every write is conditioned on the state read, so a rerun, or two runs at once, write each
entry once; the checkpoint only remembers the first day not yet finished.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from aws_lambda_powertools import Logger
from pynamodb.exceptions import PynamoDBException, UpdateError

from chalicelib import clock, log, settings
from chalicelib.jobs import runtime
from chalicelib.jobs.report import AWS_ERRORS, RunReport
from chalicelib.jobs.pool import Outcome, WorkPool
from chalicelib.services import observations, sim_records
from chalicelib.store import checkpoints, enforcement_log
from chalicelib.store.base import (
    condition_failed,
    transact_write,
    lost_race,
)
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.devices import DeviceModel
from chalicelib.store.observations import (
    BLOCKED,
    BLOCKED_SHARDS,
    CLEARED,
    DEADLINE_SHARDS,
    OK,
    PENDING,
    ObservationModel,
    blocked_shard,
    deadline_slot,
    deadline_slot_key,
)
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

JOB_KEY = checkpoints.job_key("enforce")
BATCH = 100  # pairs judged per BatchGet
# A transaction takes 100 actions: per pair its update and its log entry, and the head.
BLOCKS_PER_TRANSACTION = 40
ATTEMPTS = 5


@dataclass
class Report(RunReport):
    """What one run did; logged, and returned by the Lambda."""

    judged: int = 0  # pending pairs whose grace had passed
    put_right: int = 0  # of those, in a cartable holding their SIM: nothing to block
    warned_late: int = 0  # their warning had failed: sent now, with a new cut-off
    blocked: int = 0  # block entries written
    unblocked: int = 0  # unblock entries written
    rechecked: int = 0  # blocked pairs looked at for an unblock
    failures: int = 0  # pairs left for the next run after an AWS error
    rail_tripped: bool = False
    rail: str | None = None  # why the rail stopped the run
    next_day: str | None = None
    finished: bool = True
    seconds: float = 0.0


@dataclass
class _Verdicts:
    """Phase 1's findings, collected by the pool's threads."""

    blocks: list = field(default_factory=list)  # (pair, reason)
    days: list = field(default_factory=list)  # (day, finished without failure)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run(deadline: float | None = None, now: float | None = None, context: Any = None) -> dict[str, Any]:
    """One run of enforce: the single entry point (scheduled handler, scripts/local.py)."""
    started = time.monotonic()
    now = clock.now() if now is None else now
    stop_at = runtime.stop_time(settings.ENFORCEMENT_TIME_BUDGET_SECONDS, deadline, context)
    report = Report()
    runtime.warm_connections([ObservationModel, DeviceModel, SimModel, CheckpointItem])
    pool = WorkPool(runtime.worker_count(settings.ENFORCEMENT_WORKERS), name="enforce")
    try:
        checkpoint = checkpoints.read(JOB_KEY)
        verdicts, days = _judge(pool, checkpoint, now, stop_at, report)
        blocks = [(pair, why) for pair, why in verdicts if why is not None]
        if _rail_passes(blocks, checkpoint, now, report):
            _put_right(pool, [pair for pair, why in verdicts if why is None], now, stop_at, report)
            if _block(blocks, now, stop_at, report):
                _advance(days, now, report)
        _unblock(pool, now, stop_at, report)
    finally:
        pool.close()
        report.seconds = round(time.monotonic() - started, 3)
    logger.info("enforce run", extra={"enforce": report.as_dict()})
    return report.as_dict()


# ---- 1. judge the pairs whose grace passed ----------------------------------------------


def _judge(pool: WorkPool, checkpoint: CheckpointItem, now: float, stop_at: float, report: Report) -> tuple[list, list]:
    """The pairs judged, [(pair, reason or None if put right)], and the days read
    [(day, final and read cleanly)]. Read-only but for late warnings."""
    today = sim_records.expiry_day(now)
    day = checkpoint.cursor or sim_records.expiry_day(now - settings.ENFORCEMENT_LOOKBACK_DAYS * 86400)
    report.next_day = day
    blocks: list = []
    days: list = []
    lock = threading.Lock()
    while day <= today:
        outcome = Outcome()

        def judge(batch: list[ObservationModel], outcome: Outcome = outcome) -> None:
            try:
                found = _judge_batch(batch, now, report)
            except AWS_ERRORS as error:
                outcome.failed = True
                report.add(failures=len(batch))
                logger.warning("enforce left pairs for the next run", extra={"why": type(error).__name__})
                return
            with lock:
                blocks.extend(found)

        for shard in range(DEADLINE_SHARDS):
            due = ObservationModel.by_deadline.query(
                deadline_slot_key(day, shard), ObservationModel.grace_until <= now
            )
            if not pool.feed(_batches(due, BATCH), judge, stop_at):
                outcome.unfinished = True
                break
        pool.wait()
        if outcome.unfinished:
            report.finished = False
            break
        if outcome.failed:
            report.finished = False
        days.append((day, not outcome.failed and runtime.day_is_final(day, now)))
        day = runtime.next_day(day)
    return blocks, days


def _batches(items: Iterable[ObservationModel], size: int) -> Iterator[list[ObservationModel]]:
    batch: list[ObservationModel] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _judge_batch(batch: list[ObservationModel], now: float, report: Report) -> list:
    """[(pair, reason)]: None for a pair put right, else why it is to be blocked."""
    devices = observations.devices_by_imei(p.imei for p in batch)
    sims = observations.sims_by_msisdn(p.msisdn for p in batch)
    verdicts = []
    for pair in batch:
        if pair.state != PENDING:
            continue  # an index entry that lags behind its item
        why = observations.standing(devices.get(pair.imei), sims.get(pair.msisdn), now)
        if pair.warned_at is None:
            _warn_late(pair, why, now, report)
            continue
        report.add(judged=1)
        verdicts.append((pair, why))
    return verdicts


def _put_right(pool: WorkPool, pairs: list[ObservationModel], now: float, stop_at: float, report: Report) -> None:
    """Pairs put right in their grace leave the deadline index as `ok` (no entry)."""

    def settle(pair: ObservationModel) -> None:
        try:
            if _set_ok(pair, now):
                report.add(put_right=1)
        except AWS_ERRORS:
            report.add(failures=1)

    if not pool.feed(pairs, settle, stop_at):
        report.finished = False
    pool.wait()


def _set_ok(pair: ObservationModel, now: float) -> bool:
    try:
        pair.update(
            actions=[
                ObservationModel.state.set(OK),
                ObservationModel.deadline_slot.remove(),
                ObservationModel.judged_at.set(now),
            ],
            condition=ObservationModel.state == PENDING,
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def _warn_late(pair: ObservationModel, why: str | None, now: float, report: Report) -> None:
    """Its warning never went out (the SMS provider refused): nobody is blocked unwarned.
    Put right meanwhile -> ok; else a new cut-off from now, and the warning again."""
    if why is None:
        _set_ok(pair, now)
        return
    grace_until = now + settings.ENFORCEMENT_GRACE_SECONDS
    try:
        pair.update(
            actions=[
                ObservationModel.grace_until.set(grace_until),
                ObservationModel.deadline_slot.set(
                    deadline_slot(sim_records.expiry_day(grace_until), pair.imei, pair.msisdn)
                ),
                ObservationModel.reason.set(why),
            ],
            condition=(ObservationModel.state == PENDING) & ObservationModel.warned_at.does_not_exist(),
        )
    except UpdateError as error:
        if condition_failed(error):
            return
        raise
    pair.grace_until = grace_until
    tally = observations.Tally()
    observations.warn_pending(pair, why, now, tally)
    report.add(warned_late=tally.warned)


# ---- 2. the safety rail --------------------------------------------------------------


def _rail_passes(blocks: list, checkpoint: CheckpointItem, now: float, report: Report) -> bool:
    """False (and nothing is blocked) when this run would block too large a share."""
    approved = float(checkpoint.approved_until or 0)
    # Pairs due by an earlier approved run's `now` were counted by that run already.
    fresh_blocks = sum(1 for pair, _ in blocks if float(pair.grace_until) > approved)
    fresh_judged = report.judged - (len(blocks) - fresh_blocks)
    limit = settings.ENFORCEMENT_MAX_BLOCK_PERCENT
    if (
        fresh_judged >= settings.ENFORCEMENT_RAIL_MIN_PAIRS
        and fresh_blocks * 100 > limit * fresh_judged
    ):
        report.rail_tripped = True
        report.finished = False
        report.rail = (
            f"would block {fresh_blocks} of {fresh_judged} pairs judged, over "
            f"ENFORCEMENT_MAX_BLOCK_PERCENT={limit}: blocked nothing"
        )
        logger.error("enforce safety rail tripped", extra={"rail": report.rail})
        return False
    if fresh_blocks:
        checkpoints.note(JOB_KEY, approved_until=now)
    return True


# ---- 3. block ----------------------------------------------------------------------------


def _block(blocks: list, now: float, stop_at: float, report: Report) -> bool:
    """Write the blocks; True when every one is written (the days read are done)."""
    done = report.failures == 0
    for start in range(0, len(blocks), BLOCKS_PER_TRANSACTION):
        if clock.now() >= stop_at:
            report.finished = False
            return False
        chunk = blocks[start : start + BLOCKS_PER_TRANSACTION]
        try:
            _write_moves(chunk, now, BLOCKED, report)
        except AWS_ERRORS as error:
            done = False
            report.add(failures=len(chunk))
            report.finished = False
            logger.warning("enforce left blocks for the next run", extra={"why": type(error).__name__})
    return done


def _write_moves(moves: list, now: float, to: str, report: Report) -> None:
    """Pairs and their log entries in one transaction; on a lost race (another writer
    moved the log's head or a pair), read the pairs again and write those still due."""
    for _ in range(ATTEMPTS):
        moves = [(p, why) for p, why in moves if p is not None]
        if not moves:
            return
        try:
            with transact_write() as tx:
                entries = []
                for pair, why in moves:
                    tx.update(pair, actions=_actions(pair, to, why, now), condition=_condition(to))
                    entries.append(_entry(pair, to, why, now))
                enforcement_log.add_to(tx, entries)
        except PynamoDBException as error:
            if not lost_race(error):
                raise
            moves = [(_still(p, to), why) for p, why in moves]
            continue
        report.add(**{"blocked" if to == BLOCKED else "unblocked": len(moves)})
        return
    raise UpdateError("enforce: lost the race to the log's head too often")


def _actions(pair: ObservationModel, to: str, why: str, now: float) -> list:
    if to == BLOCKED:
        return [
            ObservationModel.state.set(BLOCKED),
            ObservationModel.reason.set(why),
            ObservationModel.deadline_slot.remove(),
            ObservationModel.blocked_at.set(now),
            ObservationModel.blocked_shard.set(blocked_shard(pair.imei, pair.msisdn)),
            ObservationModel.judged_at.set(now),
        ]
    return [
        ObservationModel.state.set(CLEARED),
        ObservationModel.blocked_shard.remove(),
        ObservationModel.judged_at.set(now),
    ]


def _condition(to: str) -> Any:
    return ObservationModel.state == (PENDING if to == BLOCKED else BLOCKED)


def _entry(pair: ObservationModel, to: str, why: str, now: float) -> dict:
    return {
        "imei": pair.imei,
        "msisdn": pair.msisdn,
        "action": "block" if to == BLOCKED else "unblock",
        "reason": why,
        "at": int(now),
    }


def _still(pair: ObservationModel, to: str) -> ObservationModel | None:
    """The pair read again, if it is still in the state the move starts from."""
    fresh = ObservationModel.get(pair.imei, pair.msisdn, consistent_read=True)
    return fresh if fresh.state == (PENDING if to == BLOCKED else BLOCKED) else None


def _advance(days: list, now: float, report: Report) -> None:
    """Move the checkpoint past the leading days that are final and were read cleanly
    (their pending pairs are judged and written; none can be left behind the cursor)."""
    for day, clean in days:
        if not clean:
            return
        following = runtime.next_day(day)
        checkpoints.advance(JOB_KEY, following, now)
        report.next_day = following


# ---- 4. unblock pairs put right --------------------------------------------------------


def _unblock(pool: WorkPool, now: float, stop_at: float, report: Report) -> None:
    lock = threading.Lock()  # one writer at a time at the log's head

    def recheck(batch: list[ObservationModel]) -> None:
        try:
            devices = observations.devices_by_imei(p.imei for p in batch)
            sims = observations.sims_by_msisdn(p.msisdn for p in batch)
            report.add(rechecked=len(batch))
            fixed = [
                (p, p.reason or observations.NOT_ACTIVATED)
                for p in batch
                if p.state == BLOCKED
                and observations.standing(devices.get(p.imei), sims.get(p.msisdn), now) is None
            ]
            for start in range(0, len(fixed), BLOCKS_PER_TRANSACTION):
                with lock:
                    _write_moves(fixed[start : start + BLOCKS_PER_TRANSACTION], now, CLEARED, report)
        except AWS_ERRORS as error:
            report.add(failures=len(batch))
            report.finished = False
            logger.warning("enforce left unblocks for the next run", extra={"why": type(error).__name__})

    for shard in range(BLOCKED_SHARDS):
        under_block = ObservationModel.by_blocked.query(str(shard))
        if not pool.feed(_batches(under_block, BATCH), recheck, stop_at):
            report.finished = False
            break
    pool.wait()
