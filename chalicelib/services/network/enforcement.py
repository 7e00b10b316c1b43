"""The scheduled enforcement job (enforce): pairs past their cut-off become block entries,
blocked pairs put right become unblock entries (API.md "Network enforcement").

Driven by the observations table's sparse indexes, so its cost grows with the pairs that
change, never with all pairs (no Scan):

1. Judge: for each day from the checkpoint's day to today (jobs/days.py) and each shard,
   Query `by_deadline` ("<day>#<shard>", grace_until <= now): the pending pairs due. A
   pair's day is the later of its cut-off's day and the day it was stored, so a pair
   stored late lands on a day not read yet: every due pair is judged, however late it
   came. Per 100 pairs, one BatchGet of their devices and one of their SIMs decide: put
   right (the device is in a cartable holding that SIM) -> `ok`, off the index; never
   warned (the SMS was held back) -> warned now, its cut-off from now; else -> a block.
2. The safety rail, per operator (enforcement_rail.py): an operator whose share of blocks
   is too large is held (its pairs stay as they are, logged, an alarm); the others' go on.
3. Block: per pair, its move to `blocked` (conditioned on still being pending) and its log
   entry, in one transaction with up to BLOCKS_PER_TRANSACTION others (enforcement_writes.py).
4. Unblock: Query `by_blocked` (the pairs under a block); put right since -> the pair
   `cleared` and an unblock entry, in one transaction.

Every write is conditioned on the state read, so a rerun, or two runs at once, write each
entry once; the checkpoint only remembers the first day not yet finished (never past a
held operator's pairs).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from aws_lambda_powertools import Logger

from chalicelib import clock, log, settings
from chalicelib.jobs import days, runtime
from chalicelib.jobs.pool import Outcome, WorkPool
from chalicelib.jobs.report import AWS_ERRORS, RunReport
from chalicelib.services.network import enforcement_rail, enforcement_warnings, enforcement_writes, observations
from chalicelib.services.network.enforcement_writes import BLOCKS_PER_TRANSACTION
from chalicelib.store import checkpoints
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.devices import DeviceModel
from chalicelib.store.observations import (
    BLOCKED,
    BLOCKED_SHARDS,
    CLEARED,
    DEADLINE_SHARDS,
    PENDING,
    ObservationModel,
    deadline_slot_key,
    slot_day,
)
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

JOB_KEY = checkpoints.job_key("enforce")
BATCH = 100  # pairs judged per BatchGet
__all__ = ["BLOCKS_PER_TRANSACTION", "JOB_KEY", "Report", "run"]


@dataclass
class Report(RunReport):
    """What one run did; logged, and returned by the Lambda."""

    judged: int = 0  # pending pairs due (warned, cut-off passed)
    put_right: int = 0  # of those, in a cartable holding their SIM: nothing to block
    warned_late: int = 0  # their warning had been held back: sent now, with a new cut-off
    warnings_held: int = 0  # warnings still not sent (tried again later)
    blocked: int = 0  # block entries written
    unblocked: int = 0  # unblock entries written
    rechecked: int = 0  # blocked pairs looked at for an unblock
    failures: int = 0  # pairs left for the next run after an AWS error
    rail_tripped: bool = False  # some operator's blocks were held
    rail: str | None = None  # why (one line per operator held)
    held_operators: list = field(default_factory=list)
    next_day: str | None = None
    finished: bool = True
    seconds: float = 0.0


def run(deadline: float | None = None, now: float | None = None, context: Any = None) -> dict[str, Any]:
    """One run of enforce: the single entry point (scheduled handler, scripts/local.py)."""
    started = time.monotonic()
    now = clock.now() if now is None else now
    stop_at = runtime.stop_time(settings.ENFORCEMENT_TIME_BUDGET_SECONDS, deadline, context)
    report = Report()
    runtime.warm_connections([ObservationModel, DeviceModel, SimModel, CheckpointItem])
    pool = WorkPool(runtime.worker_count(settings.ENFORCEMENT_WORKERS), name="enforce")
    try:
        verdicts, walk = _judge(pool, now, stop_at, report)
        rail = enforcement_rail.judge(verdicts, now)
        if rail.held:
            report.rail_tripped, report.finished = True, False
            report.rail, report.held_operators = "; ".join(rail.why), sorted(rail.held)
        going = [(p, why) for p, why in verdicts if enforcement_rail.operator_of(p) not in rail.held]
        blocks = [(p, why) for p, why in going if why is not None]
        if not walk.stopped:  # noted before the writes: a run cut short is finished by the next
            enforcement_rail.approve({enforcement_rail.operator_of(p) for p, _ in blocks}, now)
        _put_right(pool, [p for p, why in going if why is None], now, stop_at, report)
        if _block(blocks, now, stop_at, report):
            held_days = [slot_day(p.deadline_slot) for p, _ in verdicts if enforcement_rail.operator_of(p) in rail.held]
            days.advance_past(JOB_KEY, walk, now, before=min(held_days, default=None))
        report.next_day = walk.next_day
        _unblock(pool, now, stop_at, report)
    finally:
        pool.close()
        report.seconds = round(time.monotonic() - started, 3)
    logger.info("enforce run", extra={"enforce": report.as_dict()})
    return report.as_dict()


# ---- 1. judge the pairs due ----------------------------------------------------------------


def _judge(pool: WorkPool, now: float, stop_at: float, report: Report) -> tuple[list, days.Walk]:
    """The pairs judged, [(pair, reason or None if put right)], and the days read.
    Read-only but for late warnings."""
    checkpoint = checkpoints.read(JOB_KEY)
    first = checkpoint.cursor or runtime.day_of(now - settings.ENFORCEMENT_LOOKBACK_DAYS * 86400)
    verdicts: list = []
    lock = threading.Lock()

    def visit(day: str) -> bool | None:
        outcome = Outcome()

        def judge(batch: list[ObservationModel]) -> None:
            try:
                found = _judge_batch(batch, now, report)
            except AWS_ERRORS as error:
                outcome.failed = True
                report.add(failures=len(batch))
                logger.warning("enforce left pairs for the next run", extra={"why": type(error).__name__})
                return
            with lock:
                verdicts.extend(found)

        for shard in range(DEADLINE_SHARDS):
            due = ObservationModel.by_deadline.query(deadline_slot_key(day, shard), ObservationModel.grace_until <= now)
            if not pool.feed(_batches(due, BATCH), judge, stop_at):
                outcome.unfinished = True
                break
        pool.wait()
        if outcome.unfinished:
            return None
        if outcome.failed:
            report.finished = False
        return not outcome.failed

    walk = days.walk(JOB_KEY, first, now, stop_at, visit, advance=False)
    if walk.stopped:
        report.finished = False
    return verdicts, walk


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
            if enforcement_writes.set_ok(pair, now):
                report.add(put_right=1)
        except AWS_ERRORS:
            report.add(failures=1)

    if not pool.feed(pairs, settle, stop_at):
        report.finished = False
    pool.wait()


def _warn_late(pair: ObservationModel, why: str | None, now: float, report: Report) -> None:
    """Its warning was held back: nobody is blocked unwarned. Put right meanwhile -> ok;
    else the warning now, its cut-off from now (not sent: tried again, on a day to come)."""
    if why is None:
        enforcement_writes.set_ok(pair, now)
        return
    sent = enforcement_warnings.warn(pair, why, now)
    if sent is not None:
        report.add(**{"warned_late" if sent else "warnings_held": 1})


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
            report.add(blocked=enforcement_writes.write_moves(chunk, now, BLOCKED))
        except AWS_ERRORS as error:
            done = False
            report.add(failures=len(chunk))
            report.finished = False
            logger.warning("enforce left blocks for the next run", extra={"why": type(error).__name__})
    return done


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
                    moved = enforcement_writes.write_moves(fixed[start : start + BLOCKS_PER_TRANSACTION], now, CLEARED)
                report.add(unblocked=moved)
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
