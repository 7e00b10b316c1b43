"""Repaired phones (ثبت گوشی تعمیراتی): a repair that changed a phone's IMEI(s).

The device keeps its activation code, cartable and history under the new IMEI(s). In one
transaction: the new device item (and its second IMEI's alias) may not exist yet, each old
IMEI's item becomes a `replaced` marker for ever (conditioned on the version read, so two
repairs of one device cannot both land) pointing at the new IMEI, a `repaired` event, and
a `replaced` block entry per old IMEI in the enforcement log. Two repairs claiming one new
IMEI race on its `attribute_not_exists`: one wins, the other hears 409 imei_in_use.

A replaced IMEI's marker keeps it out of registration (the item exists), activation and
recovery (it is in no cartable and awaits nothing), and the inquiry answers `replaced`.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib import clock, log
from chalicelib.errors import HamtaError
from chalicelib.services import blocking, devices, models_table
from chalicelib.services.sessions import Caller
from chalicelib.store.base import RaceLost, retry_on_race
from chalicelib.store.devices import DeviceModel, find_device
from chalicelib.store.models_table import PhoneModelEntry
from chalicelib.store.history import HistoryModel, new_event

logger = Logger(service=log.SERVICE, child=True)

REPLACED = "replaced"
MAX_HOPS = 20  # a phone repaired again and again: markers chain old -> newer -> newest
# What a repaired device carries over to its item under the new IMEI (keys and the
# version aside).
_CARRIED = (
    "brand", "model", "source", "registered_at", "state", "activation_code",
    "offer_expires_at", "prior_code", "msisdn", "ownership", "sim_key", "owner_nid",
    "joined_at", "awaiting_recovery", "block_reason", "blocked_from",
)


def current_device(imei: str) -> DeviceModel | None:
    """The device an IMEI names now: a replaced IMEI leads to the device it became."""
    device = find_device(imei)
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
    """Every event of the device, under its IMEI now and its former ones, oldest first."""
    items = list(HistoryModel.query(device.imei, consistent_read=True))
    for old in device.former_imeis or []:
        items.extend(HistoryModel.query(old, consistent_read=True))
    return sorted(items, key=lambda item: item.event_key)


def repair(caller: Caller, imei: str, new: str, new2: str | None = None) -> dict:
    """POST /devices/{imei}/repair -> the device under its new IMEI(s)."""
    fresh = [new] + ([new2] if new2 else [])
    tacs = sorted({models_table.tac_of(i) for i in fresh})

    def attempt():
        # The device, the log's head and the new IMEIs' model rows in one call.
        reading = blocking.read_for_move(caller, imei, [(PhoneModelEntry, tacs)])
        device = blocking.own(caller, reading.device)
        if device.state == devices.BLOCKED:
            raise HamtaError("device_blocked")
        old = blocking.imeis_of(device)
        if bool(device.imei2) != bool(new2) or new == new2:
            raise HamtaError("invalid_request")  # a dual-IMEI phone needs both new IMEIs
        rows = {row.tac: row for row in reading.extra.get(PhoneModelEntry, [])}
        for typed in fresh:
            known = rows.get(models_table.tac_of(typed))
            if known is None or (known.brand, known.model) != (device.brand, device.model):
                raise HamtaError("model_mismatch")
        if any(imei in old for imei in fresh):
            raise HamtaError("imei_in_use")
        # Whether a new IMEI is taken is the transaction's condition, asked only if it fails.
        try:
            moved = _commit(device, new, new2, reading.head)
        except RaceLost:
            if any(DeviceModel.count(imei, consistent_read=True) for imei in fresh):
                raise HamtaError("imei_in_use") from None
            raise  # the device itself moved meanwhile: read it again
        logger.info("device repaired", extra={"imei": moved.imei, "former": old})
        return devices.render(moved)

    return retry_on_race(attempt)


def _commit(device: DeviceModel, new: str, new2: str | None, head) -> DeviceModel:
    now = clock.now()
    old = blocking.imeis_of(device)
    moved = DeviceModel(new, imei2=new2, **{name: getattr(device, name) for name in _CARRIED})
    moved.former_imeis = list(device.former_imeis or []) + old
    saves: list[tuple] = [(moved, DeviceModel.imei.does_not_exist())]
    if new2:
        saves.append((DeviceModel(new2, main_imei=new), DeviceModel.imei.does_not_exist()))
    marker = DeviceModel(
        device.imei, state=REPLACED, replaced_by=new, brand=device.brand, model=device.model,
        source=device.source, registered_at=device.registered_at,
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
                DeviceModel.source.set(device.source) if device.source else DeviceModel.source.remove(),
            ],
            DeviceModel.main_imei == device.imei,
        ))
    detail = ",".join(old) + ">" + ",".join([new] + ([new2] if new2 else []))
    saves.append((new_event(new, "repaired", now, msisdn=device.msisdn, detail=detail),
                  HistoryModel.event_key.does_not_exist()))
    entries = [{"imei": imei, "action": "block", "reason": REPLACED, "at": now} for imei in old]
    blocking.commit(saves, entries, updates, head=head)
    return moved
