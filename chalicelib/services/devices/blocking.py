"""Lost or stolen (مفقودی و سرقت): block and unblock a device from its cartable.

A block is one transaction: the device (conditioned on the version read), its history
event and the enforcement log's entries (one per IMEI, IMEI-wide, no msisdn), so the
operators' list never carries a block that did not happen, nor misses one that did. A
blocked device cannot be offered, activated, recovered or repaired: its holder hears
409 device_blocked, anyone else the usual 404.

Every active SIM of the device's cartable is told by SMS, a notice of the SMS gate. The SMS
goes after the commit and is never raised: a stolen phone's block must never wait on SMS.
A device changes between blocked and unblocked at most BLOCK_CHANGES_PER_DAY times in 24 h.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError

from chalicelib import clock, log, settings, sms
from chalicelib.errors import HamtaError
from chalicelib.services.channels import notices
from chalicelib.services.devices import devices
from chalicelib.services.signin import accounts
from chalicelib.services.sims import cartable_sims, sim_records
from chalicelib.services.signin.sessions import Caller
from chalicelib.store import enforcement_log
from chalicelib.store.base import RaceLost, lost_race, retry_on_race, transact_write
from chalicelib.store.challenges import CounterItem
from chalicelib.store.devices import DeviceModel, find_device
from chalicelib.store.enforcement_log import LogEntryModel
from chalicelib.store.history import HistoryModel, new_event
from chalicelib.store.read_ahead import NOTHING, ReadAhead, Wanted
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

REASONS = ("lost", "stolen")
DAY = 24 * 3600


def refuse_if_blocked(caller: Caller, device: DeviceModel | None) -> None:
    """The guard of every move: a blocked device's holder hears 409 device_blocked.
    Anyone else goes on to the move's own answer for a device that is not theirs (404)."""
    if device is not None and device.state == devices.BLOCKED and devices.in_cartable(caller, device):
        raise HamtaError("device_blocked")


def imeis_of(device: DeviceModel) -> list[str]:
    return [device.imei] + ([device.imei2] if device.imei2 else [])


@dataclass
class Reading:
    """What a move of the menu read, in one BatchGetItem: the device, the log's head, a
    national-ID cartable's SIM records and whatever else the move asked for. A plain typed
    result of `read_for_move`, made afresh by each attempt: what the request read ahead is
    carried by store/read_ahead.py's ReadAhead, not by this."""

    device: DeviceModel | None
    head: LogEntryModel | None
    sims: dict[str, SimModel] = field(default_factory=dict)
    extra: dict[Any, list] = field(default_factory=dict)


def prefetch(imei: str | None) -> Wanted:
    """What `read_for_move` reads first, for `web.caller_with` to fetch with the session
    (nothing for an IMEI that will be refused anyway: None)."""
    return [(DeviceModel, [imei]), (LogEntryModel, [enforcement_log.HEAD_KEY])] if imei else []


def read_for_move(caller: Caller, imei: str, extra: Wanted = (), ahead: ReadAhead = NOTHING) -> Reading:
    """The device an IMEI names (a second IMEI's alias costs one more GetItem), the log's
    head and a national-ID session's SIMs, plus `extra` [(model, keys)], all in one call
    (less what was read ahead)."""
    wanted: list[tuple[Any, list]] = [
        (DeviceModel, [imei]), (LogEntryModel, [enforcement_log.HEAD_KEY]), *extra,
    ]
    numbers = caller.sims_to_read()  # a national-ID cartable's SIMs; none for a SIM session
    if numbers:
        wanted.append((SimModel, sorted(numbers)))
    found = ahead.take(wanted)  # less what was read with the session
    items = found.get(DeviceModel) or [None]
    device = items[0]
    if device is not None and device.main_imei:
        device = find_device(device.main_imei)
    heads = found.get(LogEntryModel) or [None]
    sims = {sim.msisdn: sim for sim in found.get(SimModel, [])}
    return Reading(device, heads[0], sims, {model: found.get(model, []) for model, _ in extra})


def own(caller: Caller, device: DeviceModel | None) -> DeviceModel:
    """The caller's device, or 404 exactly like an IMEI nobody registered."""
    if device is None or not devices.in_cartable(caller, device):
        raise HamtaError("not_found")
    return device


def commit(
    saves: list[tuple[DeviceModel | HistoryModel, object]],
    entries: list[dict],
    updates: list[tuple[DeviceModel, list, object]] = (),
    head: Any = enforcement_log.UNREAD,
    deletes: list = (),
    checks: list = (),
) -> None:
    """Items (saves, and updates whose condition stands in for a version, deletes) and log
    entries in one TransactWriteItems; RaceLost if anything moved (the device, an IMEI,
    the log's head) since it was read."""
    try:
        with transact_write() as tx:
            for item, condition in saves:
                tx.save(item, condition=condition)
            for item, actions, condition in updates:
                tx.update(item, actions=actions, condition=condition, add_version_condition=False)
            for item in deletes:
                tx.delete(item)
            for model, key, condition in checks:
                tx.condition_check(model, key, condition=condition)
            enforcement_log.add_to(tx, entries, head=head)
    except TransactWriteError as error:
        if lost_race(error):
            raise RaceLost() from None
        raise


def _event_condition():
    return HistoryModel.event_key.does_not_exist()


def block(caller: Caller, imei: str, reason: object, ahead: ReadAhead = NOTHING) -> dict:
    """POST /devices/{imei}/block -> the device, status blocked."""
    if reason not in REASONS:
        raise HamtaError("invalid_request")

    def attempt():
        reading = read_for_move(caller, imei, ahead=ahead)
        device = own(caller, reading.device)
        if device.state == devices.BLOCKED:
            return devices.render(device)  # a retry after a lost answer: already done
        _count_change(device)
        now = clock.now()
        if device.state == devices.TRANSFER_PENDING:
            # The sale's code dies with the block: no buyer can take a lost phone.
            device.activation_code = device.prior_code or device.activation_code
            device.prior_code = None
            device.offer_expires_at = None
            device.notify_numbers = None
        device.state = devices.BLOCKED
        device.block_reason = str(reason)
        device.blocked_from = caller.kind
        event = new_event(device.imei, "blocked", now, msisdn=device.msisdn, detail=str(reason))
        entries = [
            {"imei": imei, "action": "block", "reason": reason, "at": now} for imei in imeis_of(device)
        ]
        # RaceLost (the device or the log's head moved): retry_on_race reads again.
        commit([(device, None), (event, _event_condition())], entries, head=reading.head)
        logger.info("device blocked", extra={"imei": device.imei, "reason": reason})
        _tell_cartable(caller, device, reading.sims, sms.block_text(device.imei, str(reason)))
        return devices.render(device)

    return retry_on_race(attempt)


def unblock(caller: Caller, imei: str, password: object = None, ahead: ReadAhead = NOTHING) -> dict:
    """DELETE /devices/{imei}/block -> the device, status active."""
    # A national-ID session re-enters its password: its login counter comes with the read.
    counter_key = caller.login_counter_key()
    extra = [(CounterItem, [counter_key])] if counter_key else []
    checked = False
    cleared: list = []  # the login counter, cleared with the unblock once a password is right

    def attempt():
        nonlocal checked
        reading = read_for_move(caller, imei, extra, ahead)
        device = own(caller, reading.device)
        if device.state != devices.BLOCKED:
            return devices.render(device)  # nothing to lift (a retry, or never blocked)
        _count_change(device)  # before the password: a refused change checks none
        # A SIM session: 403 where the device needs the cartable's password (callers.py).
        if not checked and caller.unblock_asks_password(device):
            counters = reading.extra.get(CounterItem) or [None]
            accounts.confirm_password(caller, password, counter=counters[0], clear=False)
            cleared.append(CounterItem(counter_key))
        checked = True
        now = clock.now()
        reason = device.block_reason or "lost"
        device.state = devices.ACTIVE
        device.block_reason = None
        device.blocked_from = None
        event = new_event(device.imei, "unblocked", now, msisdn=device.msisdn, detail=reason)
        entries = [
            {"imei": imei, "action": "unblock", "reason": reason, "at": now}
            for imei in imeis_of(device)
        ]
        # RaceLost (the device or the log's head moved): retry_on_race reads again.
        commit([(device, None), (event, _event_condition())], entries, head=reading.head,
               deletes=cleared)
        logger.info("device unblocked", extra={"imei": device.imei})
        _tell_cartable(caller, device, reading.sims, sms.unblock_text(device.imei))
        return devices.render(device)

    return retry_on_race(attempt)


def cartable_active_sims(caller: Caller, device: DeviceModel, sims: dict[str, SimModel]) -> list[str]:
    """The active SIMs of the cartable holding the device: a national-ID cartable's active
    SIMs, or the live SIM of a SIM cartable. `sims`: a national-ID session's SIM records."""
    if device.owner_nid:
        held = caller.person  # a national-ID session's own person, with its SIMs read
        if held is not None and held.national_id == device.owner_nid:
            return cartable_sims.active_numbers(held, sims)
        person = accounts.get_person(device.owner_nid)
        if person is not None:
            return cartable_sims.active_numbers(person)
    if device.msisdn:
        # A SIM session's own SIM was read with the session; any other is read now.
        sim = caller.sims_held().get(device.msisdn) or sim_records.get_sim(device.msisdn)
        if sim is not None and sim_records.is_live(sim) and int(sim.ownership) == int(device.ownership or -1):
            return [device.msisdn]
    return []


def _tell_cartable(caller: Caller, device: DeviceModel, sims: dict[str, SimModel], text: str) -> None:
    # Notices: the gate may hold one back (NOTICES_PER_NUMBER_PER_DAY); the block stands.
    notices.tell(cartable_active_sims(caller, device, sims), text)


def _count_change(device: DeviceModel) -> None:
    """BLOCK_CHANGES_PER_DAY: past it in 24 h, 429 rate_limited until the oldest of them
    turns a day old; otherwise this change's time is kept on the device, which the move's
    own transaction writes (conditioned on the version read: no call of its own)."""
    now, cap = clock.now(), settings.BLOCK_CHANGES_PER_DAY
    recent = sorted((float(t) for t in device.block_changes or [] if float(t) > now - DAY), reverse=True)
    if cap <= 0:
        raise HamtaError("rate_limited", retry_after=DAY)
    if len(recent) >= cap:
        raise HamtaError("rate_limited", retry_after=max(1, math.ceil(recent[cap - 1] + DAY - now)))
    device.block_changes = [now, *recent[: cap - 1]]
