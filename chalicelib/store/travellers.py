"""The travellers table (ثبت مسافری): customs' registrations of travellers' phones, and the
per-passport quota.

Two item kinds share the key `key`:
- "reg#<registration_id>": one registration (the traveller's SIM, the IMEIs, entry date);
  only these carry `msisdn`, so the sparse `by_msisdn` index lists a SIM's registrations.
- "passport#<keyed hash>": the times a passport registered a device in the last 365 days.
  The passport number itself is never stored, only its HMAC with the server's secret.
"""
from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.store.base import table_meta


class ByMsisdnIndex(GlobalSecondaryIndex):
    """A SIM's traveller registrations (اطلاعات ثبت مسافری)."""

    class Meta:
        index_name = "by_msisdn"
        projection = AllProjection()

    msisdn = UnicodeAttribute(hash_key=True)
    registered_at = NumberAttribute(range_key=True)


class TravellerModel(Model):
    SHORT_NAME = "travellers"

    Meta = table_meta(SHORT_NAME)

    key = UnicodeAttribute(hash_key=True)
    # registration items
    registration_id = UnicodeAttribute(null=True)
    msisdn = UnicodeAttribute(null=True)
    ownership = NumberAttribute(null=True)  # the SIM's ownership when registered, if known
    registered_at = NumberAttribute(null=True)
    imei = UnicodeAttribute(null=True)
    imei2 = UnicodeAttribute(null=True)
    brand = UnicodeAttribute(null=True)
    model = UnicodeAttribute(null=True)
    entry_date = UnicodeAttribute(null=True)  # ISO day
    passport_hash = UnicodeAttribute(null=True)
    office = UnicodeAttribute(null=True)  # the customs office's partner name
    # quota items: registration times within the last 365 days
    times = ListAttribute(of=NumberAttribute, null=True)
    version = VersionAttribute()

    by_msisdn = ByMsisdnIndex()
