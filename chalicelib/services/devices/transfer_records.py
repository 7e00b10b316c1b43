"""The cartable's ownership transfer record (سوابق انتقال مالکیت): GET /transfers.

A sale writes two records in the buyer's activation transaction, one per side and per
cartable that saw the device (the SIM cartable and, if any, the national-ID cartable), so
the seller keeps the record after the device has left.
"""
from __future__ import annotations

from chalicelib import identifiers
from chalicelib.services.devices import devices
from chalicelib.services.devices.device_history import jalali
from chalicelib.services.signin.sessions import Caller
from chalicelib.store.devices import DeviceModel
from chalicelib.store.transfer_records import TransferRecordModel, nid_cartable, sim_cartable

MAX_SHOWN = 200


def _cartables(msisdn: str | None, ownership: int | None, sim_key: str | None, owner_nid: str | None) -> list[str]:
    keys = []
    if sim_key and msisdn and ownership is not None:
        keys.append(sim_cartable(msisdn, int(ownership)))
    if owner_nid:
        keys.append(nid_cartable(owner_nid))
    return keys


def for_sale(device: DeviceModel, target: devices.Target, at: float) -> list[TransferRecordModel]:
    """The records of a sale, from the device as the seller held it (call before it moves)
    to the target cartable; saved in the activation's transaction."""
    imeis = [device.imei] + ([device.imei2] if device.imei2 else [])
    micros = int(at * 1_000_000)
    records = []
    sides = (
        ("out", _cartables(device.msisdn, device.ownership, device.sim_key, device.owner_nid), target.msisdn),
        ("in", _cartables(target.msisdn, target.ownership, target.sim_key, target.owner_nid), device.msisdn),
    )
    for direction, cartables, counterparty in sides:
        for cartable in cartables:
            records.append(TransferRecordModel(
                cartable, f"{micros:020d}#{device.imei}#{direction}", direction=direction,
                imeis=imeis, brand=device.brand, model=device.model,
                counterparty=counterparty, at=at,
            ))
    return records


def list_transfers(caller: Caller) -> list[dict]:
    """GET /transfers, newest first. A SIM cartable's record lasts as long as its ownership."""
    cartable = caller.transfers_key()
    if cartable is None:
        return []  # a dead SIM's cartable: its records died with its ownership
    rows = TransferRecordModel.query(cartable, scan_index_forward=False, limit=MAX_SHOWN)
    return [
        {
            "direction": row.direction,
            "imeis": list(row.imeis),
            "brand": row.brand,
            "model": row.model,
            "counterparty": identifiers.mask_msisdn(row.counterparty) if row.counterparty else None,
            "at": devices.iso(row.at),
            "at_jalali": jalali(row.at),
        }
        for row in rows
    ]
