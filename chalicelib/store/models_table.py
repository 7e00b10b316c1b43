"""The model table (جدول مدل‌ها): brand, model and SIM slots of each TAC, the IMEI's first 8 digits."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.store.base import table_meta


class PhoneModelEntry(Model):
    SHORT_NAME = "models"

    Meta = table_meta(SHORT_NAME)

    tac = UnicodeAttribute(hash_key=True)
    brand = UnicodeAttribute()
    model = UnicodeAttribute()
    sim_slots = NumberAttribute()  # 1 or 2: how many IMEIs a phone of this model has
    updated_at = NumberAttribute(null=True)


def find_model(tac: str, consistent: bool = False) -> PhoneModelEntry | None:
    try:
        return PhoneModelEntry.get(tac, consistent_read=consistent)
    except DoesNotExist:
        return None
