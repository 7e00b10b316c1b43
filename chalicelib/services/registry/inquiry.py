"""The public IMEI inquiry (استعلام وضعیت شناسه دستگاه): known or not, never who owns it."""
from __future__ import annotations

from chalicelib import identifiers, settings
from chalicelib.services import limits
from chalicelib.services.registry import models_table
from chalicelib.services.sims import sim_records
from chalicelib.store.devices import find_device


def inquire(typed_imei: object, client_address: str) -> dict:
    # Counted before the IMEI is judged: malformed guesses cost the same as real ones.
    limits.hit_window(
        f"ip#imei#{client_address}",
        settings.IMEI_INQUIRY_MAX_PER_WINDOW,
        settings.IMEI_INQUIRY_WINDOW_SECONDS,
    )
    return lookup(identifiers.parse_imei(typed_imei))


def lookup(imei: str) -> dict:
    """The answer for a valid IMEI, uncounted: the caller has counted the asker already
    (an SMS to 7777 counts per sender and day, services/channels/inbound_sms.py)."""
    device = find_device(imei, consistent=False)
    if device is None:
        # Unregistered: the model table may still say what phone the TAC is.
        return {"imei": imei, "status": "not_registered", **_tac_names(imei)}
    answer = {"imei": imei, "status": _STATUS.get(device.state or "", "registered")}
    if device.brand:
        answer["brand"] = device.brand
    if device.model:
        answer["model"] = device.model
    if not (device.brand or device.model):
        answer.update(_tac_names(imei))  # registered without names: the TAC may know them
    if device.source:
        answer["source"] = device.source
    if answer["status"] in ("registered", "blocked"):
        answer["activated"] = _in_a_cartable(device)
    return answer


def _in_a_cartable(device) -> bool:
    """Is the device in a cartable today (وضعیت شناسه دستگاه)? A national-ID cartable's, or
    a SIM cartable's while that SIM ownership lives (one read: the job may not have run)."""
    if device.state not in ("active", "transfer_pending", "blocked") or device.awaiting_recovery:
        return False
    if device.owner_nid:
        return True
    if not device.sim_key or not device.msisdn:
        return False
    sim = sim_records.get_sim(device.msisdn)
    return (
        sim is not None
        and sim_records.is_live(sim)
        and int(sim.ownership) == int(device.ownership or -1)
    )


# A replaced IMEI (a repaired phone's old one) stays replaced for ever.
_STATUS = {"blocked": "blocked", "replaced": "replaced"}


def _tac_names(imei: str) -> dict:
    known = models_table.describe(imei)
    return {"brand": known["brand"], "model": known["model"]} if known else {}
