"""Registrars (importers, customs, manufacturers) register IMEIs with an activation code."""
from __future__ import annotations

import json
import secrets

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib import clock
from chalicelib.errors import HamtaError
from chalicelib.services.registry import models_table
from chalicelib.store.base import transact_write, transaction_condition_failed
from chalicelib.store.challenges import RegistrationItem
from chalicelib.store.devices import DeviceModel, find_device
from chalicelib.store.history import new_event

SOURCES = ("import", "manufacture", "passenger", "repair_part")
REPAIR_PART = "repair_part"
PART = "part"  # a repair part's state: no code, never activated, claimed once by a repair


def new_activation_code() -> str:
    """Six digits from the OS's CSPRNG (کد فعال سازی)."""
    return f"{secrets.randbelow(1_000_000):06d}"


def _fingerprint(imei2: str | None, brand: str | None, model: str | None, source: str) -> str:
    return json.dumps([imei2, brand, model, source], ensure_ascii=False)


def register_device(
    imei: str,
    imei2: str | None,
    brand: str | None,
    model: str | None,
    source: str,
    registrar: str = "registrar",
) -> str | None:
    """Register a device; return its activation code (None for a repair part, which has
    none). Either IMEI taken: 409, except for the same registration from the same
    registrar (the key's partner) sent again while nobody has activated the device (or
    claimed the part): then 201 with the same code (a retry after a lost answer)."""
    if source not in SOURCES:
        raise HamtaError("invalid_request", field="source")
    if imei2 == imei:
        raise HamtaError("invalid_request", field="imei2")
    brand, model = models_table.fill_registration(imei, imei2, brand, model, one_by_one=source == REPAIR_PART)
    now = clock.now()
    code = None if source == REPAIR_PART else new_activation_code()
    try:
        with transact_write() as tx:
            for item, condition in registration_saves(imei, imei2, brand, model, source, now, code):
                tx.save(item, condition=condition)
            tx.save(
                RegistrationItem(
                    "registration#" + imei,
                    registrar=registrar,
                    fingerprint=_fingerprint(imei2, brand, model, source),
                )
            )
    except TransactWriteError as error:
        if transaction_condition_failed(error):
            same = _same_registration(imei, imei2, brand, model, source, registrar)
            if same is not None:
                return same or None
            raise HamtaError("already_registered") from None
        raise
    return code


def registration_saves(
    imei: str, imei2: str | None, brand: str | None, model: str | None, source: str,
    now: float, code: str | None,
) -> list[tuple]:
    """The items of a new registration, each with its condition, for one TransactWrite:
    the device (unclaimed, with its code), a second IMEI's alias, the `registered` event.
    Either IMEI already taken fails the transaction on its condition."""
    device = DeviceModel(
        imei,
        imei2=imei2,
        brand=brand,
        model=model,
        source=source,
        registered_at=now,
        state=PART if source == REPAIR_PART else "unclaimed",
        activation_code=code,
    )
    saves: list[tuple] = [(device, DeviceModel.imei.does_not_exist())]
    if imei2:
        saves.append((DeviceModel(imei2, main_imei=imei), DeviceModel.imei.does_not_exist()))
    saves.append((new_event(imei, "registered", now, detail=source), None))
    return saves


def _same_registration(
    imei: str, imei2: str | None, brand: str | None, model: str | None, source: str, registrar: str
) -> str | None:
    """The activation code of this very registration if it is still unclaimed ("" for a
    part nobody has claimed), else None."""
    try:
        record = RegistrationItem.get("registration#" + imei, consistent_read=True)
    except DoesNotExist:
        return None
    if record.registrar != registrar or record.fingerprint != _fingerprint(imei2, brand, model, source):
        return None
    device = find_device(imei)
    if device is None or device.imei != imei or device.state not in ("unclaimed", PART):
        return None  # activated (or claimed) since: the code now belongs to its owner
    return device.activation_code or ""

