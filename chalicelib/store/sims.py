"""The sims table: the operator's record of who holds each number, and its ownerships.

`ownership` grows each time the number changes hands or is reissued after expiry, so a
SIM cartable is the pair (msisdn, ownership) and the next holder starts empty at once.
"""
from __future__ import annotations

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.store.base import table_meta

# What the by_holder index carries besides its keys (GET /me/connections).
HOLDER_FIELDS = [
    "status", "expires_at", "ownership", "owned_since", "cartable_nid", "cartable_ownership", "disputed_by",
]


class ByHolderIndex(GlobalSecondaryIndex):
    """SIMs the operator says a national ID holds (SIMs in your name): one Query lists
    them with what the list shows, so no SIM item is read after it."""

    class Meta:
        index_name = "by_holder"
        projection = IncludeProjection(HOLDER_FIELDS)

    national_id = UnicodeAttribute(hash_key=True)
    msisdn = UnicodeAttribute(range_key=True)


class ByExpiryIndex(GlobalSecondaryIndex):
    """Sparse: only active SIMs with an expiry carry `expiry_day`, so the job reads the
    SIMs of the days that passed and never the whole table. The job removes `expiry_day`
    as it expires a SIM, so a day's partition shrinks to what is left to do.

    The key is "<day>#<shard>", not the bare day: at national scale millions of prepaid
    numbers share an expiry day, and one partition key value takes at most ~1,000 writes
    a second (each expiry is a write to the index too). Shards spread a day's writes and
    let the job, or a fan-out of workers, read a day in parallel slices.
    """

    class Meta:
        index_name = "by_expiry"
        projection = AllProjection()

    expiry_day = UnicodeAttribute(hash_key=True)  # "YYYY-MM-DD#<shard>" (UTC day of expires_at)
    expires_at = NumberAttribute(range_key=True)


class ByCleanupIndex(GlobalSecondaryIndex):
    """Sparse: SIMs with a dead ownership whose devices the expiry job has not tidied yet.

    `cleanup_shard` spreads them over a few partitions so the job can read them in
    parallel; it is removed once the job is done with the SIM.
    """

    class Meta:
        index_name = "by_cleanup"
        projection = AllProjection()

    cleanup_shard = UnicodeAttribute(hash_key=True)
    msisdn = UnicodeAttribute(range_key=True)


CLEANUP_SHARDS = 8
EXPIRY_SHARDS = 8


def cleanup_shard_of(msisdn: str) -> str:
    return str(int(msisdn[-3:]) % CLEANUP_SHARDS)


def expiry_slot(day: str, msisdn: str) -> str:
    """The by_expiry partition of a SIM expiring on `day` ("YYYY-MM-DD", UTC)."""
    return expiry_slot_key(day, int(msisdn[-3:]) % EXPIRY_SHARDS)


def expiry_slot_key(day: str, shard: int) -> str:
    return f"{day}#{shard}"


class SimModel(Model):
    SHORT_NAME = "sims"

    Meta = table_meta(SHORT_NAME)

    msisdn = UnicodeAttribute(hash_key=True)
    national_id = UnicodeAttribute(null=True)  # operator's holder of the current ownership
    status = UnicodeAttribute(default="active")  # operator's word: active | expired
    expires_at = NumberAttribute(null=True)
    expiry_day = UnicodeAttribute(null=True)  # by_expiry key, see ByExpiryIndex
    ownership = NumberAttribute(default=1)
    # Every ownership the number has had: {"<n>": {"national_id": id|None,
    # "ended": None|"expired"|"transferred", "ended_at": t|None}}; recovery asks who held n.
    holders = MapAttribute(default=dict)
    # The national-ID cartable this SIM belongs to, for the ownership it was added in.
    cartable_nid = UnicodeAttribute(null=True)
    cartable_ownership = NumberAttribute(null=True)
    # Ownerships that died (expired or changed hands) and still await the job's tidying.
    dead_ownerships = NumberSetAttribute(null=True)
    cleanup_shard = UnicodeAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    # Bumped to end every SIM-login session of the number at once (its national-ID
    # cartable's password change, DELETE /me/sessions, the SIM leaving the cartable).
    session_epoch = NumberAttribute(null=True)
    owned_since = NumberAttribute(null=True)  # when the current ownership began
    # The national ID that said this SIM is not theirs: it joins no cartable until the
    # operator's record for it changes (operator_update clears it).
    disputed_by = UnicodeAttribute(null=True)
    version = VersionAttribute()

    by_holder = ByHolderIndex()
    by_expiry = ByExpiryIndex()
    by_cleanup = ByCleanupIndex()
