"""Registrars (importers, customs, manufacturers) register IMEIs with an activation code."""
from __future__ import annotations

import secrets as random_source

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock
from chalicelib.errors import HamtaError
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
    if source not in SOURCES:
        raise HamtaError("invalid_request", field="source")
    if imei2 == imei:
        raise HamtaError("invalid_request", field="imei2")
    now = clock.now()
    code = new_activation_code()
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
    try:
        with transact_write() as tx:
            tx.save(device, condition=DeviceModel.imei.does_not_exist())
            if imei2:
                tx.save(
                    DeviceModel(imei2, main_imei=imei),
                    condition=DeviceModel.imei.does_not_exist(),
                )
            tx.save(new_event(imei, "registered", now, detail=source))
    except TransactWriteError as error:
        if transaction_condition_failed(error):
            raise HamtaError("already_registered") from None
        raise
    return code

