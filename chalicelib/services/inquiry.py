"""The public IMEI inquiry (استعلام وضعیت شناسه دستگاه): known or not, never who owns it."""
from __future__ import annotations

from chalicelib import identifiers, settings
from chalicelib.services import limits, models_table
from chalicelib.store.devices import find_device


def inquire(typed_imei: object, client_address: str) -> dict:
    # Counted before the IMEI is judged: malformed guesses cost the same as real ones.
    limits.hit_window(
        f"ip#imei#{client_address}",
        settings.IMEI_INQUIRY_MAX_PER_WINDOW,
        settings.IMEI_INQUIRY_WINDOW_SECONDS,
    )
    imei = identifiers.parse_imei(typed_imei)
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
    return answer


# A replaced IMEI (a repaired phone's old one) stays replaced for ever.
_STATUS = {"blocked": "blocked", "replaced": "replaced"}


def _tac_names(imei: str) -> dict:
    known = models_table.describe(imei)
    return {"brand": known["brand"], "model": known["model"]} if known else {}
