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
    imei = identifiers.parse_imei(typed_imei)
    device = find_device(imei, consistent=False)
    if device is None:
        return {"imei": imei, "status": "not_registered"}
    answer = {"imei": imei, "status": "blocked" if device.state == "blocked" else "registered"}
    if device.brand:
        answer["brand"] = device.brand
    if device.model:
        answer["model"] = device.model
    return answer
