"""The people table: one national-ID cartable (کارتابل کد ملی) per national ID."""
from __future__ import annotations

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.models import Model

from chalicelib.store.base import table_meta


class PersonModel(Model):
    SHORT_NAME = "people"

    Meta = table_meta(SHORT_NAME)

    national_id = UnicodeAttribute(hash_key=True)
    birth_date = UnicodeAttribute()  # Gregorian ISO day
    password_hash = UnicodeAttribute()
    # A forgot-password secret: good only for choosing a new password, until it expires.
    temp_password_hash = UnicodeAttribute(null=True)
    temp_password_expires_at = NumberAttribute(null=True)
    # The cartable's SIMs: {msisdn: {"ownership": n, "added_at": t}}. A SIM counts for the
    # cartable only during the ownership it was added in (see services/sims/cartable_sims.py).
    sims = MapAttribute(default=dict)
    # Bumped to end every session of the cartable at once (password change or reset).
    session_epoch = NumberAttribute(default=0)
    # No sale and no repair before this time: set by a forgot-password reset's own
    # transaction (its temporary password's first login, or the SIM it added).
    reset_hold_until = NumberAttribute(null=True)
    created_at = NumberAttribute()
    version = VersionAttribute()
