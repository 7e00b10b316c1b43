"""The enforcement log: one append-only, ordered record of block/unblock entries.

Blocks and unblocks of lost or stolen devices, repairs (`replaced`) and the enforcement
job's entries share it; `GET /operator/enforcement?since=<cursor>` reads it as deltas.

One table holds a head item (the last sequence number written) and the entries. Entries are
partitioned by `seq // BUCKET_SIZE` (hash key `bucket`, range key `seq`), so no item
collection grows without end. A writer reads the head, puts head+1..head+k with
`attribute_not_exists` and moves the head on the condition that it still holds the value it
read, all inside the caller's transaction: two writers cannot take the same numbers (the
loser's whole transaction fails on its condition and the caller retries the move), and an
entry exists only once its transaction committed. So the log is dense and a cursor (the last
seq a reader saw) always gives the same entries.
"""
from __future__ import annotations

import re

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.store.base import table_meta

BUCKET_SIZE = 100_000
HEAD_BUCKET = -1  # the head item's key: (bucket -1, seq 0); entries start at bucket 0
HEAD_SEQ = 0
MAX_ENTRIES_PER_CALL = 90  # TransactWriteItems takes 100 actions; leave room for the move
MAX_PAGE = 1000  # entries a page may ask for (one page spans at most two buckets)
ACTIONS = ("block", "unblock")
REASONS = ("lost", "stolen", "unregistered", "not_activated", "replaced")

_CURSOR = re.compile(r"(0|[1-9][0-9]{0,17})", re.ASCII)


class LogEntryModel(Model):
    """An entry (bucket >= 0) or the head item (bucket -1, seq 0, `head`)."""

    SHORT_NAME = "enforcement-log"

    Meta = table_meta(SHORT_NAME)

    bucket = NumberAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    head = NumberAttribute(null=True)  # on the head item only: the last seq written
    imei = UnicodeAttribute(null=True)
    msisdn = UnicodeAttribute(null=True)  # per-SIM entries; lost/stolen are IMEI-wide
    action = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    at = NumberAttribute(null=True)  # epoch seconds


def _read_head() -> LogEntryModel | None:
    try:
        return LogEntryModel.get(HEAD_BUCKET, HEAD_SEQ, consistent_read=True)
    except DoesNotExist:
        return None


HEAD_KEY = (HEAD_BUCKET, HEAD_SEQ)  # for a caller that reads the head with its own items
UNREAD = object()  # add_to's `head` when the caller did not read it


def add_to(transaction, entries: list[dict], *, head=UNREAD) -> None:
    """Add the puts of `entries` (dicts with imei, msisdn?, action, reason, at) to an open
    PynamoDB TransactWrite, after the log's current head, conditioned so that two writers
    cannot take the same sequence numbers (the loser's transaction fails on its condition
    and the caller retries the whole move). At most ~90 entries a call (transaction limit).

    Call it once per transaction: the head item can appear in a transaction only once.
    `head`: the head item (or None: there is none yet) if the caller already read it
    (HEAD_KEY, strongly consistent) with its other items, which saves the GetItem.
    """
    if not entries:
        return
    if len(entries) > MAX_ENTRIES_PER_CALL:
        raise ValueError(f"at most {MAX_ENTRIES_PER_CALL} log entries per transaction")
    for entry in entries:
        if entry["action"] not in ACTIONS or entry["reason"] not in REASONS:
            raise ValueError(f"not a log entry: {entry!r}")
    current = _read_head() if head is UNREAD else head
    last = int(current.head) if current is not None and current.head is not None else 0
    for offset, entry in enumerate(entries, start=1):
        seq = last + offset
        item = LogEntryModel(
            seq // BUCKET_SIZE,
            seq,
            imei=entry["imei"],
            msisdn=entry.get("msisdn"),
            action=entry["action"],
            reason=entry["reason"],
            at=int(entry["at"]),
        )
        transaction.save(item, condition=LogEntryModel.seq.does_not_exist())
    new_head = LogEntryModel(HEAD_BUCKET, HEAD_SEQ, head=last + len(entries))
    if current is None:
        head_condition = LogEntryModel.bucket.does_not_exist()
    else:
        head_condition = LogEntryModel.head == last
    transaction.save(new_head, condition=head_condition)


def parse_cursor(since: str | None) -> int:
    """The last seq a cursor names (0: the beginning). ValueError when it is not a cursor."""
    if since is None:
        return 0
    if not isinstance(since, str) or not _CURSOR.fullmatch(since):
        raise ValueError("malformed cursor")
    return int(since)


def _as_dict(item: LogEntryModel) -> dict:
    entry = {
        "seq": int(item.seq),
        "imei": item.imei,
        "action": item.action,
        "reason": item.reason,
        "at": int(item.at),
    }
    if item.msisdn:
        entry["msisdn"] = item.msisdn
    return entry


def page(since: str | None, limit: int = 500) -> tuple[list[dict], str]:
    """Entries after the cursor `since` (None: from the beginning), in order, and the cursor
    to pass next time (the same cursor when there is nothing new). The same cursor always
    gives the same entries: the log is dense (no gaps: an entry exists only once its
    transaction committed, and a writer can only append right after the existing head), so
    nothing can appear behind a cursor a reader already holds. Entries are visible at once.

    ValueError when `since` is malformed or names a position the log has not reached (a
    reader holding it would silently skip the entries written up to it).
    """
    after = parse_cursor(since)
    limit = max(1, min(int(limit), MAX_PAGE))
    found: list[dict] = []
    position = after
    # Dense log: the entries after `position` are position+1, position+2, ...; the first
    # lies in its bucket, and a page spills at most into the next one.
    while len(found) < limit:
        bucket = (position + 1) // BUCKET_SIZE
        batch = [
            _as_dict(item)
            for item in LogEntryModel.query(
                bucket,
                LogEntryModel.seq > position,
                consistent_read=True,
                limit=limit - len(found),
            )
        ]
        found.extend(batch)
        if not batch:
            break
        position = batch[-1]["seq"]
        if (position + 1) % BUCKET_SIZE != 0:
            break  # the bucket is not used up: nothing further exists yet
    if not found and after > 0:
        current = _read_head()
        if current is None or current.head is None or after > int(current.head):
            raise ValueError("cursor beyond the log's head")
    return found, str(position)
