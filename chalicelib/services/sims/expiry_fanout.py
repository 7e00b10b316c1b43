"""The expiry job fanned out over SQS, past what one run handles (README "Past that, fan out").

Only with EXPIRY_FANOUT=on (the AWS stages); otherwise expiry.run does everything itself.

The work is already cut into independent slices: each (day, shard) of `by_expiry` and each
shard of `by_cleanup`.

1. `coordinate` (the hourly `expire_sims`, via expiry.run) surveys every slice from the
   checkpoint's day to today, and every cleanup shard, with one Query of Select=COUNT
   (expiry_rail.survey): more SIMs to detach than the rail allows and it hands out nothing.
   Otherwise it puts one message per slice that has work on the EXPIRY_QUEUE
   (SendMessageBatch, 10 a call). It moves the checkpoint past a day only when all that
   day's slices were found empty and the day is final (runtime.day_is_final). It writes no
   SIM and no device.
2. `work_slice` (the `expire_slice` Lambda, one message a delivery, many in parallel) runs
   expiry_sims.expire_one / tidy_one over its slice with the same WorkPool and a deadline
   from the Lambda context. When the deadline comes first it puts its slice back on the queue:
   the SIMs it finished have left the index, so the next delivery goes on from there.

Why survey the index rather than have workers record "slice done": the index is the truth
(a SIM leaves it in the very transaction that expires it) and the survey costs one COUNT
Query per slice and no write. A record kept by workers would be a second truth to keep in
step, and could not see a SIM that reached the index (eventually consistent) after its
worker finished; the probe, on a final day, does.

A slice handed out is held (a lease item in the challenges table, LEASE_SECONDS, renewed
when a worker puts the slice back, ended when it stops): the hourly coordinator does not
send it again while a chain of deliveries is still working through a big slice, which
would only set two workers on the same SIMs in the same order. A lease outlives nothing
it protects: a lost message is sent again once its lease runs out.

Slices are idempotent all the same: every write is conditioned on what was read and
history keys are deterministic, so a message delivered twice, or a slice sent again after
its lease ran out while a worker still holds it, changes nothing (the second worker's
writes lose their race and read the SIM again). A message that keeps crashing its worker (a bug, not
an AWS fault, which is counted and left for the next coordinator run) moves to the
dead-letter queue after bulk.MAX_RECEIVES deliveries.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib import bulk, clock, log, settings
from chalicelib.jobs import days, runtime
from chalicelib.jobs.pool import Outcome, WorkPool
from chalicelib.services.sims import expiry_rail, expiry_sims
from chalicelib.services.sims.expiry_rail import CLEANUP, EXPIRY
from chalicelib.store import checkpoints
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.devices import DeviceModel
from chalicelib.store.sims import CLEANUP_SHARDS, EXPIRY_SHARDS, SimModel

logger = Logger(service=log.SERVICE, child=True)

# A slice handed out is not handed out again for this long, nor while its worker renews it
# (at each put-back): longer than one delivery (the queue's visibility timeout, the
# worker's Lambda limit), so a chain of deliveries keeps it.
LEASE_SECONDS = 2 * bulk.VISIBILITY_SECONDS
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def lease_key(piece: dict[str, Any]) -> str:
    if piece["slice"] == CLEANUP:
        return f"slice#expire_sims#cleanup#{piece['shard']}"
    return f"slice#expire_sims#{piece['day']}#{piece['shard']}"


def _hand_out(piece: dict[str, Any], messages: list[str], report: dict[str, Any], now: float) -> None:
    """Queue the slice unless a worker still holds it (then it is counted as held)."""
    key = lease_key(piece)
    if checkpoints.is_held(key):
        report["slices_held"] += 1
        return
    # Held before it is sent: if the send fails, the slice waits for its lease to run out.
    checkpoints.hold(key, now + LEASE_SECONDS)
    messages.append(json.dumps({"job": "expire_sims", **piece}))


# ---- the coordinator -----------------------------------------------------------------


def coordinate(now: float, deadline: float | None = None, context: Any = None) -> dict[str, Any]:
    """One hourly run with fan-out: survey the slices (counting their SIMs, the rail's
    figure), and unless the rail holds, send those with work and move the checkpoint past
    the days found empty. Returns what it did (logged too): slices with work
    (expiry_slices, cleanup_slices), of which slices_sent were queued and slices_held still
    held by a worker."""
    started = time.monotonic()
    stop_at = runtime.stop_time(settings.EXPIRY_TIME_BUDGET_SECONDS, deadline, context)
    report: dict[str, Any] = {
        "fanout": True, "slices_sent": 0, "expiry_slices": 0, "cleanup_slices": 0,
        "slices_held": 0, "slices_probed": 0, "days_done": 0, "next_day": None, "finished": True,
        "to_detach": 0, "rail_held": False, "rail": None,
    }
    runtime.warm_connections([SimModel, CheckpointItem])
    work = expiry_rail.survey(now, stop_at)
    report["slices_probed"] = CLEANUP_SHARDS + EXPIRY_SHARDS * len(work.walk.days)
    report["to_detach"] = work.total
    report["next_day"] = work.walk.next_day
    held = expiry_rail.passes(work)
    if held:
        report.update(rail_held=True, rail=held, finished=False)
    else:
        report["finished"] = not work.walk.stopped
        messages: list[str] = []
        for piece, _ in work.slices:
            report["cleanup_slices" if piece["slice"] == CLEANUP else "expiry_slices"] += 1
            _hand_out(piece, messages, report, now)
        # Past the days found empty (and final): none of their SIMs can be left behind.
        days.advance_past(expiry_sims.JOB_KEY, work.walk, now)
        report["next_day"], report["days_done"] = work.walk.next_day, work.walk.days_done
        if messages:
            bulk.send_all(bulk.queue_url(settings.EXPIRY_QUEUE), messages)
        report["slices_sent"] = len(messages)
    report["seconds"] = round(time.monotonic() - started, 3)
    logger.info("expire_sims fan-out", extra={"expire_sims": report})
    return report


# ---- the worker ----------------------------------------------------------------------


def _parse(body: str) -> dict[str, Any]:
    """A slice message; a malformed one raises (its retries end in the dead-letter queue)."""
    message = json.loads(body)
    kind, shard = message.get("slice"), message.get("shard")
    if not isinstance(shard, int) or isinstance(shard, bool) or shard < 0:
        raise ValueError(f"not an expiry slice: {body[:200]!r}")
    if kind == CLEANUP:
        return {"slice": kind, "shard": shard}
    day = message.get("day")
    if kind == EXPIRY and isinstance(day, str) and _DAY.fullmatch(day):
        return {"slice": kind, "day": day, "shard": shard}
    raise ValueError(f"not an expiry slice: {body[:200]!r}")


def work_slice(body: str, context: Any = None) -> dict[str, Any]:
    """Expire (or tidy) the SIMs of one slice; put the slice back if the deadline comes first.

    SIMs are judged at this worker's clock: a slice delivered again later does what is due
    then (never less than the coordinator saw)."""
    started = time.monotonic()
    piece = _parse(body)
    now = clock.now()
    stop_at = runtime.stop_time(settings.EXPIRY_TIME_BUDGET_SECONDS, None, context)
    report = expiry_sims.Report()
    outcome = Outcome()
    runtime.warm_connections([SimModel, DeviceModel])
    pool = WorkPool(runtime.worker_count(settings.EXPIRY_WORKERS), name="expire_slice")
    try:
        if piece["slice"] == CLEANUP:
            sims = expiry_sims.cleanup_slice(piece["shard"])

            def work(sim: SimModel) -> None:
                expiry_sims.tidy_one(sim, now, stop_at, report, outcome)
        else:
            sims = expiry_sims.expiry_slice(piece["day"], piece["shard"], now)

            def work(sim: SimModel) -> None:
                expiry_sims.expire_one(sim, now, stop_at, report, outcome)

        if not pool.feed(sims, work, stop_at):
            outcome.unfinished = True
        pool.wait()
    finally:
        pool.close()
    sent_back = False
    if outcome.unfinished:
        # Raises if SQS will not take it: then this delivery fails and SQS delivers the
        # message again after its visibility timeout. Either way the slice is not lost.
        checkpoints.hold(lease_key(piece), clock.now() + LEASE_SECONDS)
        bulk.client("sqs").send_message(QueueUrl=bulk.queue_url(settings.EXPIRY_QUEUE), MessageBody=body)
        sent_back = True
    else:
        # Done, or failures (throttling) left on the index: the next coordinator run may
        # hand the slice out again at once (today's slices also fill up during the day).
        checkpoints.release(lease_key(piece))
    report.finished = not (outcome.unfinished or outcome.failed)
    report.seconds = round(time.monotonic() - started, 3)
    result = {**piece, **report.as_dict(), "sent_back": sent_back}
    for unused in ("days_done", "next_day", "to_detach", "rail_held", "rail"):
        result.pop(unused)
    logger.info("expire_slice", extra={"expire_slice": result})
    return result
