"""The transfer records table (سوابق انتقال مالکیت): each cartable's sales and purchases.

Kept per cartable, not per device, so a seller keeps the record after the device has left.
A cartable is "sim#<msisdn>#<ownership>" (a SIM cartable lives as long as its ownership)
or "nid#<national_id>".
"""
from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.store.base import table_meta


def sim_cartable(msisdn: str, ownership: int) -> str:
    return f"sim#{msisdn}#{int(ownership)}"


def nid_cartable(national_id: str) -> str:
    return f"nid#{national_id}"


class TransferRecordModel(Model):
    SHORT_NAME = "transfers"

    Meta = table_meta(SHORT_NAME)

    cartable = UnicodeAttribute(hash_key=True)
    # "<microseconds, zero-padded>#<imei>#<direction>": newest last in the key order. Named
    # like the history table's range key so a device move's `event_key` condition covers it.
    event_key = UnicodeAttribute(range_key=True)
    direction = UnicodeAttribute()  # "out" (a sale) | "in" (a purchase)
    imeis = ListAttribute(of=UnicodeAttribute)
    brand = UnicodeAttribute(null=True)
    model = UnicodeAttribute(null=True)
    counterparty = UnicodeAttribute(null=True)  # the other side's number, masked on output
    at = NumberAttribute()
