"""A device's history (سوابق انتقال مالکیت): every move as an event, for its current owner only."""
from __future__ import annotations

from datetime import datetime

import jdatetime

from chalicelib import identifiers
from chalicelib.clock import TEHRAN
from chalicelib.services.devices import devices, repair
from chalicelib.services.signin.sessions import Caller
from chalicelib.store.history import HistoryModel



def jalali(epoch: float) -> str:
    """Epoch seconds -> "1403/09/04 12:30:00", Tehran time."""
    moment = datetime.fromtimestamp(epoch, tz=TEHRAN)
    return jdatetime.datetime.fromgregorian(datetime=moment).strftime("%Y/%m/%d %H:%M:%S")


def history(caller: Caller, imei: str) -> list[dict]:
    """GET /devices/{imei}/history: oldest first; 404 unless the device is the caller's."""
    # An old IMEI of a repaired phone finds it too, with the events from before the repair.
    device = repair.find_own_by_any_imei(caller, imei)
    own = devices.cartable_numbers(caller)
    return [_render(event, own) for event in repair.history_items(device)]


def _render(event: HistoryModel, own: set[str]) -> dict:
    def shown(number: str | None) -> str | None:
        if not number:
            return None
        return number if number in own else identifiers.mask_msisdn(number)

    out = {
        "type": event.type,
        "at": devices.iso(event.at),
        "at_jalali": jalali(event.at),
        "msisdn": shown(event.msisdn),
        # The other side of a sale or a recovery is never shown whole, even to its holder.
        "counterparty": identifiers.mask_msisdn(event.counterparty) if event.counterparty else None,
    }
    if event.detail:
        out["detail"] = event.detail
    return out
