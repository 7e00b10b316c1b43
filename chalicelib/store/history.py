"""The history table: one item per event in a device's life (سوابق انتقال مالکیت)."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.store.base import table_meta


class HistoryModel(Model):
    SHORT_NAME = "history"

    Meta = table_meta(SHORT_NAME)

    imei = UnicodeAttribute(hash_key=True)  # the device's main IMEI
    event_key = UnicodeAttribute(range_key=True)  # "<microseconds, zero-padded>#<type>"
    type = UnicodeAttribute()
    at = NumberAttribute()
    msisdn = UnicodeAttribute(null=True)  # the SIM the event concerns
    counterparty = UnicodeAttribute(null=True)  # the other side's number, masked on output
    detail = UnicodeAttribute(null=True)


def new_event(imei: str, type: str, at: float, **fields: str | None) -> HistoryModel:
    """An event item ready for a TransactWrite `save` (written with its device's move)."""
    micros = int(at * 1_000_000)
    return HistoryModel(imei, f"{micros:020d}#{type}", type=type, at=at, **fields)
