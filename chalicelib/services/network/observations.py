"""What the networks saw (API.md "Network enforcement"): (IMEI, SIM, seen_at) rows judged.

One function, `record`, serves both the HTTP batch (POST /operator/observations, at most
1000 rows) and the bulk path's workers (chunks of an operator's daily dump), so both give
the same outcome. Per batch it reads, in BatchGetItem calls of 100 keys, the pairs already
known and the devices of the IMEIs seen; only pairs seen for the first time are judged
further and written, so a daily dump that repeats yesterday's pairs costs reads only:

- a pair whose device is in a cartable holding that SIM (the SIM cartable of its current
  ownership, or the national-ID cartable that lists it) is stored as `ok`;
- otherwise (unregistered, or registered but not activated there) it is stored `pending`
  until its cut-off, on the sparse deadline index the enforcement job reads, and the SIM
  gets one warning SMS with that cut-off (enforcement_warnings.py); the pair belongs to
  the operator that reported it first (the rail is per operator);
- a blocked (lost/stolen) IMEI seen: its owner's active SIMs are told when, at most once
  in 24 h, never with which SIM;
- an IMEI first seen with more than DUPLICATE_MAX_SIMS SIMs within 24 h is flagged
  `duplicate` (the public inquiry shows it) and its owner is told.

Every side effect is claimed with a conditional write before it happens (a pair is created
with attribute_not_exists, a flag or a daily "told" mark on a condition), so a batch sent
twice, or two workers on one chunk, send each SMS once. An SMS the provider refuses gives
its claim back, so a later sighting (or the enforcement job, for warnings) sends it.
Rows are parsed in observation_rows.py.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib import clock, log, settings, sms, sms_gate
from chalicelib.jobs import runtime
from chalicelib.jobs.report import RunReport
from chalicelib.services.network import enforcement_warnings
from chalicelib.services.sims import cartable_sims, sim_records
from chalicelib.services.network.observation_rows import Observation
from chalicelib.store.base import condition_failed
from chalicelib.store.devices import DeviceModel, sim_key
from chalicelib.store.observations import (
    IMEI_ITEM,
    OK,
    PENDING,
    ObservationModel,
    imei_item,
)
from chalicelib.store.people import PersonModel
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

MAX_ROWS = 1000  # per HTTP request (API.md)
# Warnings (a conditional PutItem and an SMS each, ~50 ms) go out on this many threads, so
# a request of 1000 new unregistered pairs answers within API Gateway's 29 s.
SEND_WORKERS = 16
DAY = 86400
BLOCKED_DEVICE = "blocked"  # DeviceModel.state of a lost or stolen device
REPLACED_DEVICE = "replaced"  # an old IMEI after a repair (ثبت گوشی تعمیراتی)
UNREGISTERED = sms.UNREGISTERED
NOT_ACTIVATED = sms.NOT_ACTIVATED


# ---- judging a pair ---------------------------------------------------------------------


def standing(device: DeviceModel | None, sim: SimModel | None, now: float) -> str | None:
    """None when the device is in a cartable holding the SIM (put right); otherwise why
    not: "unregistered" (no such device) or "not_activated"."""
    if device is None:
        return UNREGISTERED
    if sim is None or not sim_records.is_live(sim, now):
        return NOT_ACTIVATED
    ownership = int(sim.ownership)
    if device.sim_key and device.sim_key == sim_key(sim.msisdn, ownership):
        return None
    if (
        device.owner_nid
        and sim.cartable_nid == device.owner_nid
        and sim.cartable_ownership is not None
        and int(sim.cartable_ownership) == ownership
    ):
        return None
    return NOT_ACTIVATED


def devices_by_imei(imeis: Iterable[str]) -> dict[str, DeviceModel]:
    """{typed IMEI: its device}, either IMEI of a dual-IMEI phone (two BatchGets at most)."""
    found: dict[str, DeviceModel] = {}
    aliases: dict[str, list[str]] = {}
    for item in DeviceModel.batch_get(sorted(set(imeis))):
        if item.main_imei:
            aliases.setdefault(item.main_imei, []).append(item.imei)
        else:
            found[item.imei] = item
    if aliases:
        for item in DeviceModel.batch_get(sorted(aliases)):
            found[item.imei] = item
            for alias in aliases[item.imei]:
                found[alias] = item
    return found


def sims_by_msisdn(numbers: Iterable[str]) -> dict[str, SimModel]:
    numbers = sorted(set(numbers))
    return {sim.msisdn: sim for sim in SimModel.batch_get(numbers)} if numbers else {}


def owner_numbers(device: DeviceModel, now: float) -> list[str]:
    """The active SIMs of the cartable holding the device (its national-ID cartable, or
    the live SIM cartable it is in)."""
    if device.owner_nid:
        try:
            person = PersonModel.get(device.owner_nid)
        except DoesNotExist:
            return []
        return cartable_sims.active_numbers(person)
    if device.sim_key and device.msisdn:
        sim = sim_records.get_sim(device.msisdn)
        if sim is not None and sim_records.is_live(sim, now):
            if device.sim_key == sim_key(sim.msisdn, int(sim.ownership)):
                return [sim.msisdn]
    return []


def tell(numbers: list[str], text: str) -> int:
    """Send `text` to each number, a notice of the SMS gate; how many went."""
    return sum(1 for number in numbers if sms_gate.send_notice(number, text))


# ---- the batch ---------------------------------------------------------------------------


@dataclass
class Tally(RunReport):
    rows: int = 0
    new_pairs: int = 0
    warned: int = 0
    warnings_failed: int = 0
    blocked_seen_told: int = 0
    duplicates_flagged: int = 0


def _run_all(tasks: list[Callable[[], None]]) -> None:
    """Run the tasks on SEND_WORKERS threads (one against an emulator); the first error
    raised by any of them is raised here, after all have run."""
    workers = min(len(tasks), runtime.worker_count(SEND_WORKERS))
    if workers <= 1:
        for task in tasks:
            task()
        return
    sms_gate.prepare()  # botocore builds clients unsafely across threads: build it first
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="observations") as pool:
        for future in [pool.submit(task) for task in tasks]:
            future.result()


def record(observations: list[Observation], now: float | None = None, operator: str = "") -> dict[str, int]:
    """Judge a batch of well-formed rows (see the module's doc) that `operator` reported
    (a new pair is its for the rail); idempotent."""
    now = clock.now() if now is None else now
    tally = Tally(rows=len(observations))
    first: dict[tuple[str, str], float] = {}
    last_seen: dict[str, float] = {}
    for row in observations:
        key = (row.imei, row.msisdn)
        first[key] = min(first.get(key, row.seen_at), row.seen_at)
        last_seen[row.imei] = max(last_seen.get(row.imei, 0.0), row.seen_at)
    if not first:
        return tally.as_dict()

    known = {(i.imei, i.msisdn): i for i in ObservationModel.batch_get(sorted(first))}
    devices = devices_by_imei(last_seen)
    blocked = {imei for imei, d in devices.items() if d.state == BLOCKED_DEVICE}
    # Lost, stolen and replaced IMEIs are blocked on every SIM already (their log entries
    # carry no msisdn): no per-SIM warning or block for them.
    listed = blocked | {imei for imei, d in devices.items() if d.state == REPLACED_DEVICE}

    new = [k for k in first if k not in known and k[0] not in listed]
    unwarned = [
        k for k, item in known.items()
        if item.state == PENDING and item.warned_at is None and k[0] not in listed
    ]
    sims = sims_by_msisdn(m for _, m in new + unwarned)

    fine: list[ObservationModel] = []
    tasks: list[Callable[[], None]] = []
    for imei, msisdn in new:
        why = standing(devices.get(imei), sims.get(msisdn), now)
        if why is None:
            fine.append(ObservationModel(imei, msisdn, first_seen=first[(imei, msisdn)], state=OK,
                                         judged_at=now, operator=operator))
        else:
            tasks.append(lambda k=(imei, msisdn), why=why: _create_pending(*k, first[k], why, operator, now, tally))
    for key in unwarned:
        item = known[key]
        why = standing(devices.get(key[0]), sims.get(key[1]), now) or item.reason or NOT_ACTIVATED
        tasks.append(lambda item=item, why=why: _warn(item, why, now, tally))
    if fine:
        with ObservationModel.batch_write() as batch:
            for item in fine:
                batch.save(item)
        tally.add(new_pairs=len(fine))
    _run_all(tasks)

    for imei in sorted({imei for imei, _ in new}):
        _check_duplicate(imei, last_seen[imei], devices.get(imei), now, tally)
    for imei in sorted(blocked):
        _tell_blocked_seen(imei, last_seen[imei], devices[imei], now, tally)
    return tally.as_dict()


def _create_pending(imei: str, msisdn: str, seen_at: float, why: str, operator: str, now: float, tally: Tally) -> bool:
    """Store a new pair in its grace period, claiming its one warning; then send it.
    False when another writer created the pair first (it sends the warning)."""
    item = ObservationModel(
        imei, msisdn, first_seen=seen_at, state=PENDING, reason=why, operator=operator,
        **enforcement_warnings.claim_fields(imei, msisdn, seen_at, now),
    )
    try:
        item.save(condition=ObservationModel.imei.does_not_exist())
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    tally.add(new_pairs=1)
    _count(enforcement_warnings.deliver(item, why, now), tally)
    return True


def _warn(item: ObservationModel, why: str, now: float, tally: Tally) -> None:
    """A pending pair whose warning never went out: sent now, its cut-off from now."""
    _count(enforcement_warnings.warn(item, why, now), tally)


def _count(sent: bool | None, tally: Tally) -> None:
    if sent is not None:
        tally.add(**{"warned" if sent else "warnings_failed": 1})


def _check_duplicate(imei: str, seen_at: float, device: DeviceModel | None, now: float, tally: Tally) -> None:
    """Count the SIMs the IMEI was first seen with in the 24 h up to `seen_at` (one Query
    of its item collection); over DUPLICATE_MAX_SIMS: flag it, and tell its owner once."""
    sims = 0
    own: ObservationModel | None = None
    for item in ObservationModel.query(imei, consistent_read=True):
        if item.msisdn == IMEI_ITEM:
            own = item
        elif item.first_seen is not None and seen_at - DAY < float(item.first_seen) <= seen_at:
            sims += 1
    if own is not None and own.duplicate_told_at is not None:
        return  # flagged and told already
    if sims <= settings.DUPLICATE_MAX_SIMS and (own is None or own.duplicate_at is None):
        return
    flag = ObservationModel(imei, IMEI_ITEM)
    try:
        flag.update(
            actions=[
                ObservationModel.duplicate_at.set(ObservationModel.duplicate_at | now),
                ObservationModel.duplicate_told_at.set(now),
            ],
            condition=ObservationModel.duplicate_told_at.does_not_exist(),
        )
    except UpdateError as error:
        if condition_failed(error):
            return
        raise
    if own is None or own.duplicate_at is None:
        tally.add(duplicates_flagged=1)
        logger.info("duplicate imei flagged", extra={"tac": imei[:8], "sims": sims})
    numbers = owner_numbers(device, now) if device is not None else []
    if numbers and not tell(numbers, sms.duplicate_text(device.imei)):
        _give_back(flag, ObservationModel.duplicate_told_at, now)


def _tell_blocked_seen(imei: str, seen_at: float, device: DeviceModel, now: float, tally: Tally) -> None:
    """A blocked IMEI seen: its owner's active SIMs are told, at most once in 24 h."""
    numbers = owner_numbers(device, now)
    if not numbers:
        return
    mark = ObservationModel(imei, IMEI_ITEM)
    try:
        mark.update(
            actions=[ObservationModel.owner_told_at.set(now)],
            condition=ObservationModel.owner_told_at.does_not_exist()
            | (ObservationModel.owner_told_at <= now - DAY),
        )
    except UpdateError as error:
        if condition_failed(error):
            return  # told within the last 24 h
        raise
    if tell(numbers, sms.blocked_seen_text(device.imei, seen_at)):
        tally.add(blocked_seen_told=1)
    else:
        _give_back(mark, ObservationModel.owner_told_at, now)


def _give_back(item: ObservationModel, attribute: Any, now: float) -> None:
    """Undo a claim whose SMS the provider refused (only if it is still ours)."""
    try:
        item.update(actions=[attribute.remove()], condition=attribute == now)
    except UpdateError as error:
        if not condition_failed(error):
            raise


def inquiry_flags(imei: str) -> dict[str, list[str]]:
    """What the public inquiry adds: {"flags": ["duplicate"]} for a flagged IMEI."""
    own = imei_item(imei)
    return {"flags": ["duplicate"]} if own is not None and own.duplicate_at is not None else {}
