"""The observations table: what the networks saw, one item per (IMEI, SIM) pair.

Hash key `imei`, range key `msisdn`: an IMEI's pairs are one item collection, so the
SIMs an IMEI was seen with in the last 24 h are one Query (duplicate detection). The
range key "-" is the IMEI's own item (duplicate flag, when its blocked owner was last
told). A pair is written once, when first seen; later sightings cost reads only.

Two sparse indexes carry the enforcement job, so it reads only the pairs it must judge:
- by_deadline: pairs still in their grace period, keyed "<UTC day>#<shard>" and
  `grace_until`; the day is the later of the cut-off's day and the day the pair was put
  on the index (`queued_at`), so a pair stored late lands on a day the job has yet to read.
  A pair leaves it once judged (put right, or blocked).
- by_blocked: pairs the job blocked, until they are put right and unblocked.
"""
from __future__ import annotations

import zlib

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.store.base import table_meta

IMEI_ITEM = "-"  # range key of an IMEI's own item
DEADLINE_SHARDS = 16
BLOCKED_SHARDS = 16

# Pair states
PENDING = "pending"  # in its grace period (warned, or warning to be retried)
OK = "ok"  # the device is in a cartable holding that SIM: nothing to do
BLOCKED = "blocked"  # the job wrote a block entry for it
CLEARED = "cleared"  # blocked, then put right: the job wrote the unblock entry


class ByDeadlineIndex(GlobalSecondaryIndex):
    """Sparse: pairs waiting for the end of their grace period."""

    class Meta:
        index_name = "by_deadline"
        projection = AllProjection()

    deadline_slot = UnicodeAttribute(hash_key=True)  # "YYYY-MM-DD#<shard>"
    grace_until = NumberAttribute(range_key=True)


class ByBlockedIndex(GlobalSecondaryIndex):
    """Sparse: pairs under a block entry, rechecked by the job until put right."""

    class Meta:
        index_name = "by_blocked"
        projection = AllProjection()

    blocked_shard = UnicodeAttribute(hash_key=True)
    blocked_at = NumberAttribute(range_key=True)


def _shard(imei: str, msisdn: str, shards: int) -> int:
    return zlib.crc32(f"{imei}#{msisdn}".encode()) % shards


def deadline_slot(day: str, imei: str, msisdn: str) -> str:
    return deadline_slot_key(day, _shard(imei, msisdn, DEADLINE_SHARDS))


def deadline_slot_key(day: str, shard: int) -> str:
    return f"{day}#{shard}"


def slot_day(slot: str) -> str:
    """The day of a by_deadline key."""
    return slot.split("#", 1)[0]


def blocked_shard(imei: str, msisdn: str) -> str:
    return str(_shard(imei, msisdn, BLOCKED_SHARDS))


class ObservationModel(Model):
    """A pair (msisdn is a number) or an IMEI's own item (msisdn == IMEI_ITEM)."""

    SHORT_NAME = "observations"

    Meta = table_meta(SHORT_NAME)

    imei = UnicodeAttribute(hash_key=True)
    msisdn = UnicodeAttribute(range_key=True)
    # A pair's
    first_seen = NumberAttribute(null=True)  # seen_at of its first sighting
    state = UnicodeAttribute(null=True)  # PENDING | OK | BLOCKED | CLEARED
    reason = UnicodeAttribute(null=True)  # unregistered | not_activated (pending, blocked)
    grace_until = NumberAttribute(null=True)  # the cut-off date told in the warning
    deadline_slot = UnicodeAttribute(null=True)  # by_deadline key while pending
    queued_at = NumberAttribute(null=True)  # when it was put on by_deadline at that slot
    operator = UnicodeAttribute(null=True)  # the partner that first reported it (the rail's)
    warned_at = NumberAttribute(null=True)  # when the warning SMS went out
    blocked_at = NumberAttribute(null=True)
    blocked_shard = UnicodeAttribute(null=True)  # by_blocked key while blocked
    judged_at = NumberAttribute(null=True)
    # An IMEI's own
    duplicate_at = NumberAttribute(null=True)  # flagged: seen with too many SIMs in 24 h
    duplicate_told_at = NumberAttribute(null=True)  # its owner was told of the flag
    owner_told_at = NumberAttribute(null=True)  # blocked and seen: owner last told (daily)

    by_deadline = ByDeadlineIndex()
    by_blocked = ByBlockedIndex()


def imei_item(imei: str) -> ObservationModel | None:
    """The IMEI's own item (eventually consistent: the public inquiry reads it)."""
    from pynamodb.exceptions import DoesNotExist

    try:
        return ObservationModel.get(imei, IMEI_ITEM)
    except DoesNotExist:
        return None
