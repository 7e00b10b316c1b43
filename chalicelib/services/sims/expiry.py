"""The scheduled expiry job (expire_sims): expire SIMs whose time passed, tidy dead ownerships.

Correctness never waits for this job: a SIM whose `expires_at` passed is already not live
(sim_records.is_live), its SIM cartable already empty and its devices already recoverable.
The job makes the stored state say so, in two parts, both driven by sparse indexes so its
cost grows with the SIMs that died, never with the SIMs that exist (no Scan):

0. The survey and the rail (expiry_rail.py): the SIMs to detach are counted first, one
   COUNT Query per slice; more than EXPIRY_RAIL_MAX_SIMS (an operator feed gone wrong)
   and the run detaches none.
1. Expiry: for each day from the checkpoint's day to today (jobs/days.py) and each shard of
   that day the survey found SIMs on, Query `by_expiry` ("<day>#<shard>", expires_at <=
   now). Each SIM found is
   expired and its devices tidied in ONE write: a TransactWrite of the SIM (status expired,
   out of the index, holders[n].ended) and, for each device of its SIM cartable (Query
   `by_sim`), the device leaving that cartable plus its "detached" history event. A SIM
   without devices is one UpdateItem. So an expired SIM costs 2 calls (+ its share of an
   index page).
2. Cleanup: Query the shards of `by_cleanup` the survey found busy (ownerships the
   operator feed ended: changed hands, expired by the operator, reissued); per SIM the same
   kind of TransactWrite, which also takes the SIM off the index.

Every write is conditioned on what was read (the version, and the device still being in
that SIM cartable), and history keys are deterministic, so a run killed half-way or run
twice at once loses and duplicates nothing. Work done leaves the indexes, so the next run
simply carries on; the checkpoint only remembers the first day not yet finished.

Here: the run and its two phases. The per-SIM work is in expiry_sims.py (shared with the
fan-out), the writes in expiry_writes.py, the checkpoint in store/checkpoints.py, the thread
pool, deadlines and day walk in chalicelib/jobs/. Past one run's capacity (EXPIRY_FANOUT=on,
the AWS stages) the run only coordinates, and workers do the same per-SIM work slice by
slice: expiry_fanout.py.
"""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib import clock, log, settings
from chalicelib.jobs import days, runtime
from chalicelib.jobs.pool import Outcome, WorkPool
from chalicelib.services.sims import expiry_rail
from chalicelib.services.sims.expiry_sims import (
    JOB_KEY,
    Report,
    cleanup_slice,
    expire_one,
    expiry_slice,
    tidy_one,
)
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.devices import DeviceModel
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

__all__ = ["JOB_KEY", "Report", "run"]


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
        from chalicelib.services.sims import expiry_fanout

        return expiry_fanout.coordinate(now, deadline, context)
    started = time.monotonic()
    stop_at = runtime.stop_time(settings.EXPIRY_TIME_BUDGET_SECONDS, deadline, context)
    report = Report()
    runtime.warm_connections([SimModel, DeviceModel, CheckpointItem])
    work = expiry_rail.survey(now, stop_at)
    report.to_detach = work.total
    held = expiry_rail.passes(work)
    if held:
        report.finished, report.rail_held, report.rail = False, True, held
        report.next_day = work.walk.next_day
    else:
        pool = WorkPool(runtime.worker_count(settings.EXPIRY_WORKERS), name="expire_sims")
        try:
            _cleanup(pool, work, now, stop_at, report)
            _expire(pool, work, now, stop_at, report)
        finally:
            pool.close()
    report.seconds = round(time.monotonic() - started, 3)
    logger.info("expire_sims run", extra={"expire_sims": report.as_dict()})
    return report.as_dict()


# ---- the expiry part: SIMs whose expires_at passed ---------------------------------------


def _expire(pool: WorkPool, work: expiry_rail.Survey, now: float, stop_at: float, report: Report) -> None:
    """Work the slices the survey found busy, day by day; the checkpoint moves past each
    final day whose slices were all worked cleanly (or found empty)."""
    busy: dict[str, list[int]] = defaultdict(list)
    for piece, _ in work.slices:
        if piece["slice"] == expiry_rail.EXPIRY:
            busy[piece["day"]].append(piece["shard"])
    walk = days.Walk(next_day=work.walk.next_day)
    for day, _ in work.walk.days:
        outcome = Outcome()
        for shard in busy.get(day, ()):
            sims = expiry_slice(day, shard, now)
            if not pool.feed(sims, lambda sim: expire_one(sim, now, stop_at, report, outcome), stop_at):
                outcome.unfinished = True
                break
        pool.wait()
        if outcome.unfinished:
            report.finished = False
            break
        if outcome.failed:
            report.finished = False
        walk.days.append((day, not outcome.failed and runtime.day_is_final(day, now)))
        days.advance_past(JOB_KEY, walk, now)
    report.next_day, report.days_done = walk.next_day, walk.days_done
    if work.walk.stopped:  # the survey was cut short: the days after it wait for the next run
        report.finished = False


# ---- the cleanup part: ownerships the operator feed ended ------------------------------


def _cleanup(pool: WorkPool, work: expiry_rail.Survey, now: float, stop_at: float, report: Report) -> None:
    """Tidy the cleanup shards the survey found busy (a SIM arriving since waits an hour)."""
    outcome = Outcome()
    for piece, _ in work.slices:
        if piece["slice"] != expiry_rail.CLEANUP:
            continue
        sims = cleanup_slice(piece["shard"])
        if not pool.feed(sims, lambda sim: tidy_one(sim, now, stop_at, report, outcome), stop_at):
            outcome.unfinished = True
            break
    pool.wait()
    if outcome.unfinished or outcome.failed:
        report.finished = False
