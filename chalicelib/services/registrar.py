"""Registrars (importers, customs, manufacturers) register IMEIs with an activation code."""
from __future__ import annotations

import secrets as random_source

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.errors import HamtaError
from chalicelib.services import models_table
from chalicelib.store.base import transact_write, transaction_condition_failed
from chalicelib.store.devices import DeviceModel
from chalicelib.store.history import new_event

SOURCES = ("import", "manufacture", "passenger")


def new_activation_code() -> str:
    """Six digits from the OS's CSPRNG (کد فعال سازی)."""
    return f"{random_source.randbelow(1_000_000):06d}"


def register_device(
    imei: str, imei2: str | None, brand: str | None, model: str | None, source: str
) -> str:
    """Register a device; return its activation code. Either IMEI taken: 409."""
    if source not in SOURCES or imei2 == imei:
        raise HamtaError("invalid_request")
    brand, model = models_table.fill_registration(imei, imei2, brand, model)
    now = clock.now()
    code = new_activation_code()
    try:
        with transact_write() as tx:
            for item, condition in registration_saves(imei, imei2, brand, model, source, now, code):
                tx.save(item, condition=condition)
    except TransactWriteError as error:
        if transaction_condition_failed(error):
            raise HamtaError("already_registered") from None
        raise
    return code


def registration_saves(
    imei: str, imei2: str | None, brand: str | None, model: str | None, source: str,
    now: float, code: str,
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
        state="unclaimed",
        activation_code=code,
    )
    saves: list[tuple] = [(device, DeviceModel.imei.does_not_exist())]
    if imei2:
        saves.append((DeviceModel(imei2, main_imei=imei), DeviceModel.imei.does_not_exist()))
    saves.append((new_event(imei, "registered", now, detail=source), None))
    return saves
