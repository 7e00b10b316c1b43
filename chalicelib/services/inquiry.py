"""The public IMEI inquiry (استعلام وضعیت شناسه دستگاه): known or not, never who owns it."""
from __future__ import annotations

from chalicelib import identifiers, settings
from chalicelib.services import limits
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
    (an SMS to 7777 counts per sender and day, services/inbound_sms.py)."""
    device = find_device(imei, consistent=False)
    if device is None:
        return {"imei": imei, "status": "not_registered"}
    answer = {"imei": imei, "status": "blocked" if device.state == "blocked" else "registered"}
    if device.brand:
        answer["brand"] = device.brand
    if device.model:
        answer["model"] = device.model
    return answer
