"""The enforcement job's writes: a pair settled `ok`, and blocks and unblocks, each with
its log entry in one transaction, conditioned on the state read (so a rerun, or two runs
at once, write each entry once)."""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PynamoDBException, UpdateError

from chalicelib.store import enforcement_log
from chalicelib.store.base import condition_failed, lost_race, transact_write
from chalicelib.store.observations import (
    BLOCKED,
    CLEARED,
    OK,
    PENDING,
    ObservationModel,
    blocked_shard,
)

# A transaction takes 100 actions: per pair its update and its log entry, and the head.
BLOCKS_PER_TRANSACTION = 40
ATTEMPTS = 5


def set_ok(pair: ObservationModel, now: float) -> bool:
    """A pending pair put right leaves the deadline index as `ok` (no entry)."""
    try:
        pair.update(
            actions=[
                ObservationModel.state.set(OK),
                ObservationModel.deadline_slot.remove(),
                ObservationModel.judged_at.set(now),
            ],
            condition=ObservationModel.state == PENDING,
        )
    except UpdateError as error:
        if condition_failed(error):
            return False
        raise
    return True


def write_moves(moves: list, now: float, to: str) -> int:
    """Pairs [(pair, reason)] moved to `to` (BLOCKED or CLEARED) and their log entries, in
    one transaction; on a lost race (another writer moved the log's head or a pair), read
    the pairs again and write those still due. Returns how many were written."""
    for _ in range(ATTEMPTS):
        moves = [(p, why) for p, why in moves if p is not None]
        if not moves:
            return 0
        try:
            with transact_write() as tx:
                entries = []
                for pair, why in moves:
                    tx.update(pair, actions=_actions(pair, to, why, now), condition=_condition(to))
                    entries.append(_entry(pair, to, why, now))
                enforcement_log.add_to(tx, entries)
        except PynamoDBException as error:
            if not lost_race(error):
                raise
            moves = [(_still(p, to), why) for p, why in moves]
            continue
        return len(moves)
    raise UpdateError("enforce: lost the race to the log's head too often")


def _actions(pair: ObservationModel, to: str, why: str, now: float) -> list:
    if to == BLOCKED:
        return [
            ObservationModel.state.set(BLOCKED),
            ObservationModel.reason.set(why),
            ObservationModel.deadline_slot.remove(),
            ObservationModel.blocked_at.set(now),
            ObservationModel.blocked_shard.set(blocked_shard(pair.imei, pair.msisdn)),
            ObservationModel.judged_at.set(now),
        ]
    return [
        ObservationModel.state.set(CLEARED),
        ObservationModel.blocked_shard.remove(),
        ObservationModel.judged_at.set(now),
    ]


def _condition(to: str) -> Any:
    return ObservationModel.state == (PENDING if to == BLOCKED else BLOCKED)


def _entry(pair: ObservationModel, to: str, why: str, now: float) -> dict:
    return {
        "imei": pair.imei,
        "msisdn": pair.msisdn,
        "action": "block" if to == BLOCKED else "unblock",
        "reason": why,
        "at": int(now),
    }


def _still(pair: ObservationModel, to: str) -> ObservationModel | None:
    """The pair read again, if it is still in the state the move starts from."""
    fresh = ObservationModel.get(pair.imei, pair.msisdn, consistent_read=True)
    return fresh if fresh.state == (PENDING if to == BLOCKED else BLOCKED) else None
