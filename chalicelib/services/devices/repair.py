"""Repaired phones (ثبت گوشی تعمیراتی): a repair that changed a phone's IMEI(s) onto registered repair parts.

The device keeps its activation code, cartable and history under the new IMEI(s). The new
IMEIs must be repair parts (a registrar's `source: "repair_part"`, unused) of the device's
brand and model, and a device is repaired at most REPAIRS_PER_DEVICE_PER_YEAR times in 365
days, so no session can burn IMEIs it does not hold. A repair cannot be undone: it needs
the Hamta password and waits out a reset hold (services/devices/irreversible.py).

One transaction claims the parts (each conditioned on its version read, its state `part`
and the device's brand and model: two repairs racing for one part have one winner), turns
each old IMEI's item into a `replaced` marker for ever (conditioned on the device's version
read), points the chain's first IMEI at the new one, and writes the `repaired` event and a
`replaced` block entry per old IMEI in the enforcement log.

A chain of repairs costs two hops whatever its length: every marker names the chain's
first IMEI (`chain_root`), whose marker names the IMEI the device has now.
"""
from __future__ import annotations

import math

from aws_lambda_powertools import Logger

from chalicelib import clock, log, settings
from chalicelib.errors import HamtaError
from chalicelib.services.channels import notices
from chalicelib.services.devices import blocking, devices, irreversible
from chalicelib.services.registry import registrar
from chalicelib.services.signin.sessions import Caller
from chalicelib.store import enforcement_log
from chalicelib.store.base import retry_on_race
from chalicelib.store.challenges import CounterItem
from chalicelib.store.devices import DeviceModel, find_device
from chalicelib.store.enforcement_log import LogEntryModel
from chalicelib.store.history import HistoryModel, new_event
from chalicelib.store.people import PersonModel
from chalicelib.store.read_ahead import NOTHING, ReadAhead
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

REPLACED = "replaced"
YEAR = 365 * 24 * 3600
MAX_HOPS = 20  # markers from before `chain_root`: old -> newer -> newest
# What a repaired device carries over to its item under the new IMEI (keys and the
# version aside).
_CARRIED = (
    "brand", "model", "source", "registered_at", "state", "activation_code",
    "offer_expires_at", "prior_code", "msisdn", "ownership", "sim_key", "owner_nid",
    "joined_at", "awaiting_recovery", "block_reason", "blocked_from", "notify_numbers",
)


def current_device(imei: str) -> DeviceModel | None:
    """The device an IMEI names now: a replaced IMEI leads to the device it became, through
    the chain's first IMEI (at most three reads, however many repairs back)."""
    device = find_device(imei)
    if device is None or device.state != REPLACED:
        return device
    if device.chain_root and device.chain_root != device.imei:
        root = find_device(device.chain_root)
        if root is not None and root.state == REPLACED and root.replaced_by:
            device = root
    hops = 0
    while device is not None and device.state == REPLACED and device.replaced_by and hops < MAX_HOPS:
        device = find_device(device.replaced_by)
        hops += 1
    return device


def find_own_by_any_imei(caller: Caller, imei: str) -> DeviceModel:
    """Like devices.find_own, but an old IMEI of a repaired device finds it too (history)."""
    device = current_device(imei)
    if device is None or device.state == REPLACED or not devices.in_cartable(caller, device):
        raise HamtaError("not_found")
    return device


def history_items(device: DeviceModel) -> list[HistoryModel]:
    """Every event of the device, under its IMEI now and its former ones, oldest first
    (one Query per IMEI: at most REPAIRS_PER_DEVICE_PER_YEAR more a year)."""
    items = list(HistoryModel.query(device.imei, consistent_read=True))
    for old in device.former_imeis or []:
        items.extend(HistoryModel.query(old, consistent_read=True))
    # A part's own registration is the board's past, not the phone's.
    items = [i for i in items if not (i.type == "registered" and i.detail == registrar.REPAIR_PART)]
    return sorted(items, key=lambda item: item.event_key)


def repair(
    caller: Caller, imei: str, new: str, new2: str | None = None, password: object = None,
    ahead: ReadAhead = NOTHING,
) -> dict:
    """POST /devices/{imei}/repair -> the device under its new IMEI(s)."""
    fresh = [new] + ([new2] if new2 else [])
    step = irreversible.StepUp(caller, password)

    def attempt():
        device, parts, sims, head, person = _read(caller, imei, fresh, ahead)
        device = blocking.own(caller, device)
        clearance = step.clear(person)
        try:
            if device.state == devices.BLOCKED:
                raise HamtaError("device_blocked")
            clearance.refuse_if_held()
            _check(device, fresh, new2, parts)
        except HamtaError:
            clearance.give_back()  # the password was right: its attempt is not a failure
            raise
        told = clearance.told(caller, device, sims)
        # RaceLost (the device or a part moved, a hold began): read again, decide again.
        moved = _commit(device, fresh, parts, head, clearance)
        logger.info("device repaired", extra={"imei": moved.imei, "former": blocking.imeis_of(device)})
        notices.tell(told, notices.repaired_text(device.brand, device.model))
        return devices.render(moved)

    return retry_on_race(attempt)


def _read(caller: Caller, imei: str, fresh: list[str], ahead: ReadAhead):
    """The device, the parts, the log's head, a national-ID session's SIMs and a SIM
    session's national-ID person, in one call (less what came with the session; a device
    named by its second IMEI then reads its main item in that same call)."""
    named = None
    if ahead.holds(DeviceModel, imei):  # read with the session: no call here
        named = (ahead.take([(DeviceModel, [imei])]).get(DeviceModel) or [None])[0]
    main = named.main_imei if named is not None and named.main_imei else None
    keys = [main] if main else ([] if named is not None else [imei])
    wanted: list[tuple] = [
        (DeviceModel, [*keys, *fresh]), (LogEntryModel, [enforcement_log.HEAD_KEY]),
    ]
    numbers = caller.sims_to_read()
    if numbers:
        wanted.append((SimModel, sorted(numbers)))
    linked = caller.linked_national_id()
    if caller.person is None and linked:
        wanted.append((PersonModel, [linked]))
    found = ahead.take(wanted)
    items = {item.imei: item for item in found.get(DeviceModel, [])}
    device = items.get(main) if main else (named if named is not None else items.get(imei))
    if device is not None and device.main_imei:
        device = find_device(device.main_imei)  # named by a second IMEI, not read ahead
    heads = found.get(LogEntryModel) or [None]
    sims = {sim.msisdn: sim for sim in found.get(SimModel, [])}
    person = (found.get(PersonModel) or [None])[0]
    return device, {i: items.get(i) for i in fresh}, sims, heads[0], person


def _check(device: DeviceModel, fresh: list[str], new2: str | None, parts: dict) -> None:
    """The new IMEIs are unused parts of the device's model, and the yearly cap holds."""
    if bool(device.imei2) != bool(new2) or len(set(fresh)) != len(fresh):
        raise HamtaError("invalid_request", field="new_imei2")  # a dual-IMEI phone: two parts
    for typed in fresh:
        part = parts.get(typed)
        if part is None or part.main_imei or part.state != registrar.PART:
            raise HamtaError("not_a_repair_part")
        if (part.brand, part.model) != (device.brand, device.model):
            raise HamtaError("model_mismatch")
    now = clock.now()
    recent = sorted(t for t in (device.repairs_at or []) if t > now - YEAR)
    if len(recent) >= settings.REPAIRS_PER_DEVICE_PER_YEAR:
        raise HamtaError("rate_limited", retry_after=max(1, math.ceil(recent[0] + YEAR - now)))


def _claim(part: DeviceModel, device: DeviceModel):
    """The condition a part is claimed under: unused and of the device's model (its
    version read comes with the save)."""
    return (
        (DeviceModel.state == registrar.PART)
        & (DeviceModel.source == registrar.REPAIR_PART)
        & (DeviceModel.brand == device.brand)
        & (DeviceModel.model == device.model)
    )


def _commit(device: DeviceModel, fresh: list[str], parts: dict, head, clearance) -> DeviceModel:
    now = clock.now()
    old = blocking.imeis_of(device)
    new, new2 = fresh[0], (fresh[1] if len(fresh) > 1 else None)
    root = device.chain_root or device.imei
    moved = DeviceModel(new, imei2=new2, **{name: getattr(device, name) for name in _CARRIED})
    moved.former_imeis = list(device.former_imeis or []) + old
    moved.chain_root = root
    moved.repairs_at = [t for t in (device.repairs_at or []) if t > now - YEAR] + [now]
    moved.version = parts[new].version  # saved on the part's version read
    saves: list[tuple] = [(moved, _claim(parts[new], device))]
    if new2:
        alias = DeviceModel(new2, main_imei=new)
        alias.version = parts[new2].version
        saves.append((alias, _claim(parts[new2], device)))
    marker = DeviceModel(
        device.imei, state=REPLACED, replaced_by=new, brand=device.brand, model=device.model,
        source=device.source, registered_at=device.registered_at, chain_root=root,
    )
    marker.version = device.version  # saved on the version read: one repair per device wins
    saves.append((marker, None))
    updates: list[tuple] = []
    if device.imei2:
        # The second IMEI's alias becomes a marker too, still conditioned on pointing here.
        updates.append((
            DeviceModel(device.imei2),
            [
                DeviceModel.main_imei.remove(),
                DeviceModel.state.set(REPLACED),
                DeviceModel.replaced_by.set(new),
                DeviceModel.chain_root.set(root),
                DeviceModel.source.set(device.source) if device.source else DeviceModel.source.remove(),
            ],
            DeviceModel.main_imei == device.imei,
        ))
    if root not in old:
        # The chain's first IMEI (a marker since the first repair) points at the new one.
        updates.append((
            DeviceModel(root), [DeviceModel.replaced_by.set(new)], DeviceModel.state == REPLACED,
        ))
    detail = ",".join(old) + ">" + ",".join(fresh)
    saves.append((new_event(new, "repaired", now, msisdn=device.msisdn, detail=detail),
                  HistoryModel.event_key.does_not_exist()))
    entries = [{"imei": imei, "action": "block", "reason": REPLACED, "at": now} for imei in old]
    blocking.commit(saves, entries, updates, head=head, deletes=_cleared(clearance),
                    checks=clearance.checks())
    return moved


def _cleared(clearance) -> list:
    """The login counter of a right password, cleared in the repair's transaction."""
    return [CounterItem(clearance.guard_key)] if clearance.guard_key else []
