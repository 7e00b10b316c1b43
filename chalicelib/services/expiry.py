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
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import clock, settings
from chalicelib.services import sim_records
from chalicelib.store.base import (
    condition_failed,
    plain_map,
    transaction_condition_failed,
    transaction_connection,
)
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.devices import DeviceModel, sim_key
from chalicelib.store.history import new_event
from chalicelib.store.sims import (
    CLEANUP_SHARDS,
    EXPIRY_SHARDS,
    SimModel,
    expiry_slot_key,
)

logger = Logger(service="hamta")

JOB_KEY = "job#expire_sims"
# First run only (no checkpoint yet) looks settings.EXPIRY_LOOKBACK_DAYS back. A SIM that
# expired earlier than that and was never expired by a run stays derived-dead (is_live is
# False, recovery works) but is not tidied. Later runs never skip a day.
# Expire a SIM only once its expiry is this old: a device activated just before the
# expiry must have reached the by_sim index (eventually consistent) before we read it.
SETTLE_SECONDS = 60
# A day's slice is final, and the checkpoint moves past it, only this long after the day
# ended: a write made just before midnight may reach the by_expiry index a little late.
DAY_GRACE_SECONDS = 3600
# Stop this long (at most a fifth of what is left) before the Lambda's own limit.
LAMBDA_MARGIN_SECONDS = 60
# DynamoDB takes at most 100 actions per transaction: 2 per device (update + history) and
# the SIM; a SIM with more devices is tidied in several transactions, the SIM's last.
DEVICES_PER_TRANSACTION = 45
ATTEMPTS = 3
# Failures worth counting and leaving for the next run (throttling after botocore's own
# retries, a lost race three times); anything else is a bug and aborts the run loudly.
_AWS_ERRORS = (PynamoDBException, ClientError, BotoCoreError)


@dataclass
class Report:
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
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}


def run(
    deadline: float | None = None,
    now: float | None = None,
    context: Any = None,
) -> dict[str, Any]:
    """One run of expire_sims: the single entry point (scheduled handler, scripts/local.py).

    `now` is the instant SIMs are judged against (default: the clock). The run stops
    starting new work at `deadline` (clock time), at the latest after
    settings.EXPIRY_TIME_BUDGET_SECONDS, and, given the Lambda `context`, well before
    the Lambda's own limit. Returns the Report as a dict.
    """
    started = time.monotonic()
    now = clock.now() if now is None else now
    stop_at = _deadline(deadline, context)
    report = Report()
    _warm_connections()
    pool = _Pool(_workers())
    try:
        _cleanup(pool, now, stop_at, report)
        _expire(pool, now, stop_at, report)
    finally:
        pool.close()
        report.seconds = round(time.monotonic() - started, 3)
    logger.info("expire_sims run", extra={"expire_sims": report.as_dict()})
    return report.as_dict()


def _workers() -> int:
    # An emulator endpoint (scripts/local.py: moto server) gets one worker: moto copies
    # whole tables inside TransactWriteItems without a lock, so parallel transactions
    # there can fail or, on a rollback, undo other requests' writes. DynamoDB has no such
    # limit.
    if settings.AWS_ENDPOINT:
        return 1
    return max(1, settings.EXPIRY_WORKERS)


def _deadline(deadline: float | None, context: Any) -> float:
    start = clock.now()
    stop_at = start + settings.EXPIRY_TIME_BUDGET_SECONDS
    if deadline is not None:
        stop_at = min(stop_at, deadline)
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining_ms):
        remaining = remaining_ms() / 1000.0
        stop_at = min(stop_at, start + remaining - min(LAMBDA_MARGIN_SECONDS, remaining / 5))
    return stop_at


# ---- the expiry part: SIMs whose expires_at passed ---------------------------------------


def _expire(pool: "_Pool", now: float, stop_at: float, report: Report) -> None:
    checkpoint = _read_checkpoint()
    today = _day(now)
    if checkpoint.cursor:
        day = checkpoint.cursor
    else:
        lookback = settings.EXPIRY_LOOKBACK_DAYS
        day = _day(now - lookback * 86400)
    report.next_day = day
    cutoff = now - SETTLE_SECONDS
    blocked = False  # a day left unfinished: the checkpoint must not move past it
    while day <= today:
        if clock.now() >= stop_at:
            report.finished = False
            return
        outcome = _Outcome()
        for shard in range(EXPIRY_SHARDS):
            sims = SimModel.by_expiry.query(
                expiry_slot_key(day, shard), SimModel.expires_at <= cutoff
            )
            if not pool.feed(sims, lambda sim: _expire_one(sim, now, stop_at, report, outcome), stop_at):
                outcome.unfinished = True
                break
        pool.wait()
        if outcome.unfinished:
            report.finished = False
            return
        if outcome.failed:
            report.finished = False
        final = _day_end(day) + DAY_GRACE_SECONDS <= now
        if outcome.failed or not final:
            blocked = True
        if not blocked:
            following = _next_day(day)
            _save_checkpoint(following, now)
            report.next_day = following
            report.days_done += 1
        day = _next_day(day)


def _expire_one(sim: SimModel, now: float, stop_at: float, report: Report, outcome: "_Outcome") -> None:
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
        moves = [(d, n, ended_at, "expired") for d in _devices_of(sim.msisdn, n)]
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


def _cleanup(pool: "_Pool", now: float, stop_at: float, report: Report) -> None:
    outcome = _Outcome()
    for shard in range(CLEANUP_SHARDS):
        sims = SimModel.by_cleanup.query(str(shard))
        if not pool.feed(sims, lambda sim: _tidy_one(sim, now, stop_at, report, outcome), stop_at):
            outcome.unfinished = True
            break
    pool.wait()
    if outcome.unfinished or outcome.failed:
        report.finished = False


def _tidy_one(sim: SimModel, now: float, stop_at: float, report: Report, outcome: "_Outcome") -> None:
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
            moves += [(d, n, ended_at, why) for d in _devices_of(sim.msisdn, n)]
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
    outcome: "_Outcome",
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
                counts = _commit(sim, step.actions, step.condition, step.moves)
            except _RaceLost:
                sim = _reread(sim.msisdn)
                if sim is None:
                    return
                continue
            report.add(**{step.tally: 1}, **counts)
            return
        _failed(report, outcome, f"{what}: lost the race", sim.msisdn)
    except _AWS_ERRORS as error:
        _failed(report, outcome, f"{what}: {type(error).__name__}", sim.msisdn)


# ---- the writes ----------------------------------------------------------------------


class _RaceLost(Exception):
    """The SIM or a device changed since we read it: read again and decide again."""


def _devices_of(msisdn: str, ownership: int) -> list[DeviceModel]:
    """The devices still in SIM cartable (msisdn, ownership): one Query on by_sim."""
    return list(DeviceModel.by_sim.query(sim_key(msisdn, ownership)))


def _commit(
    sim: SimModel,
    actions: list,
    condition: Any,
    moves: list[tuple[DeviceModel, int, float, str]],
) -> dict[str, int]:
    """Write the SIM's change and its devices' departures; the SIM's change goes last, so
    until it lands the SIM stays on its index and a later run finishes the job."""
    counts = {"devices_awaiting_recovery": 0, "devices_kept": 0}
    chunks = [moves[i : i + DEVICES_PER_TRANSACTION] for i in range(0, len(moves), DEVICES_PER_TRANSACTION)]
    try:
        if not chunks:
            sim.update(actions=actions, condition=condition)  # no device: one UpdateItem
            return counts
        for index, chunk in enumerate(chunks):
            with TransactWrite(connection=_connection()) as tx:
                for device, n, ended_at, why in chunk:
                    kept = _detach(tx, device, sim.msisdn, n, ended_at, why)
                    counts["devices_kept" if kept else "devices_awaiting_recovery"] += 1
                if index == len(chunks) - 1:
                    tx.update(sim, actions=actions, condition=condition)
    except UpdateError as error:
        if condition_failed(error):
            raise _RaceLost() from None
        raise
    except PynamoDBException as error:
        if transaction_condition_failed(error) or _conflict(error):
            raise _RaceLost() from None
        raise
    return counts


def _detach(tx: TransactWrite, device: DeviceModel, msisdn: str, n: int, ended_at: float, why: str) -> bool:
    """The device leaves SIM cartable (msisdn, n); in no national-ID cartable it now awaits
    recovery. Its "detached" event is keyed by the ownership's end, so a rerun that got
    this far rewrites the same item instead of adding one. Returns True if a national-ID
    cartable keeps it."""
    actions = [DeviceModel.sim_key.remove()]
    if not device.owner_nid:
        actions.append(DeviceModel.awaiting_recovery.set(ended_at))
    # The version condition (added by PynamoDB) holds the device to the state we read.
    tx.update(device, actions=actions, condition=DeviceModel.sim_key == sim_key(msisdn, n))
    tx.save(new_event(device.imei, "detached", at=ended_at, msisdn=msisdn, detail=why))
    return bool(device.owner_nid)


def _conflict(error: Exception) -> bool:
    reasons = getattr(error, "cancellation_reasons", None) or []
    return any(r is not None and r.code == "TransactionConflict" for r in reasons)


def _reread(msisdn: str) -> SimModel | None:
    try:
        return SimModel.get(msisdn, consistent_read=True)
    except DoesNotExist:
        return None


def _failed(report: Report, outcome: "_Outcome", what: str, msisdn: str) -> None:
    outcome.failed = True
    report.add(failures=1)
    # The number is masked: logs never hold whole identifiers of people.
    logger.warning("expire_sims left a SIM for the next run", extra={"why": what, "msisdn": _mask(msisdn)})


def _mask(msisdn: str) -> str:
    return msisdn[:4] + "***" + msisdn[-4:]


# ---- checkpoint and days ----------------------------------------------------------------


def _read_checkpoint() -> CheckpointItem:
    try:
        return CheckpointItem.get(JOB_KEY, consistent_read=True)
    except DoesNotExist:
        return CheckpointItem(JOB_KEY)


def _save_checkpoint(day: str, now: float) -> None:
    """Move the cursor forward only: a slower run at the same time never moves it back."""
    try:
        CheckpointItem(JOB_KEY).update(
            actions=[
                CheckpointItem.cursor.set(day),
                CheckpointItem.updated_at.set(now),
                CheckpointItem.last_run_finished_at.set(clock.now()),
            ],
            condition=CheckpointItem.cursor.does_not_exist() | (CheckpointItem.cursor < day),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d")


def _day_end(day: str) -> float:
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    return (start + timedelta(days=1)).timestamp()


def _next_day(day: str) -> str:
    start = datetime.strptime(day, "%Y-%m-%d")
    return (start + timedelta(days=1)).strftime("%Y-%m-%d")


# ---- parallelism ----------------------------------------------------------------------


@dataclass
class _Outcome:
    """How a slice of work went: any SIM failed, or work left undone by the deadline."""

    failed: bool = False
    unfinished: bool = False


class _Pool:
    """A bounded thread pool fed from a lazy Query: at most a few SIMs per worker wait in
    memory, whatever the size of the day, and a worker's crash stops the run."""

    def __init__(self, workers: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="expire_sims")
        self._slots = threading.BoundedSemaphore(workers * 4)
        self._lock = threading.Lock()
        self._pending: set[Future] = set()
        self._crash: BaseException | None = None

    def feed(self, items: Iterable[SimModel], work: Callable[[SimModel], None], stop_at: float) -> bool:
        """Hand every item to a worker; False if the deadline came first."""
        for item in items:
            if clock.now() >= stop_at:
                return False
            self._slots.acquire()
            self._raise_crash()
            future = self._executor.submit(work, item)
            with self._lock:
                self._pending.add(future)
            future.add_done_callback(self._done)
        return True

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)
            error = None if future.cancelled() else future.exception()
            if error is not None and self._crash is None:
                self._crash = error
        self._slots.release()

    def _raise_crash(self) -> None:
        if self._crash is not None:
            self._slots.release()
            raise self._crash

    def wait(self) -> None:
        with self._lock:
            pending = list(self._pending)
        wait_futures(pending)
        if self._crash is not None:
            raise self._crash

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


# ---- connections ----------------------------------------------------------------------

_connection_lock = threading.Lock()


def _connection() -> Connection:
    """The store's cached transaction connection (a botocore client per transaction would
    cost more than the transaction); the lock keeps its first build single-threaded."""
    with _connection_lock:
        return transaction_connection()


def _warm_connections() -> None:
    """Build the botocore clients once, here, before the threads start (creating a client
    is not thread-safe in botocore)."""
    for model in (SimModel, DeviceModel, CheckpointItem):
        model._get_connection().connection.client  # noqa: B018 - builds and caches it
    _connection().client  # noqa: B018
