"""The operator's record of each SIM, and what it means for cartables.

The operator feed (`PUT /operator/sims/{msisdn}`) is the only writer of who holds a
number. A new holder, or an expired number made active again, starts a new `ownership`
at once: the SIM cartable is (msisdn, ownership), so the next holder sees an empty one
before any job runs, and the old ownership's devices await recovery.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib import clock
from chalicelib.errors import HamtaError
from chalicelib.store.base import RaceLost, condition_failed, plain_map, retry_on_race
from chalicelib.store.sims import SimModel, cleanup_shard_of, expiry_slot

ACTIVE = "active"
EXPIRED = "expired"
TRANSFERRED = "transferred"


def get_sim(msisdn: str) -> SimModel | None:
    try:
        return SimModel.get(msisdn, consistent_read=True)
    except DoesNotExist:
        return None


def is_live(sim: SimModel, now: float | None = None) -> bool:
    """The current ownership still holds: the operator has not expired it, nor has its
    `expires_at` passed (whether or not the expiry job has run)."""
    now = clock.now() if now is None else now
    return sim.status == ACTIVE and (sim.expires_at is None or sim.expires_at > now)


def holder_of(sim: SimModel, ownership: int) -> str | None:
    """The national ID the operator named for that ownership of the number."""
    entry = plain_map(sim.holders).get(str(int(ownership)))
    return entry.get("national_id") if entry else None


def ownership_status(sim: SimModel, ownership: int, now: float | None = None) -> str:
    """active | expired | transferred, for one ownership of the number."""
    if int(ownership) == int(sim.ownership):
        return ACTIVE if is_live(sim, now) else EXPIRED
    entry = plain_map(sim.holders).get(str(int(ownership))) or {}
    return EXPIRED if entry.get("ended") == EXPIRED else TRANSFERRED


def ownership_is_dead(sim: SimModel | None, ownership: int, now: float | None = None) -> bool:
    return sim is not None and ownership_status(sim, ownership, now) != ACTIVE


def expiry_day(expires_at: float) -> str:
    return datetime.fromtimestamp(expires_at, tz=timezone.utc).strftime("%Y-%m-%d")


def parse_instant(value: str) -> float:
    """ISO 8601 instant -> epoch seconds; a bare date or time without zone is refused."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise HamtaError("invalid_request") from None
    if moment.tzinfo is None or "T" not in text.upper():
        raise HamtaError("invalid_request")
    return moment.timestamp()


def operator_update(
    msisdn: str, national_id: str, status: str, expires_at: float | None
) -> SimModel:
    """Record what the operator says about a number; return the SIM as now stored.

    Conditional on the version read (PynamoDB's VersionAttribute), retried on a race.
    """
    if status not in (ACTIVE, EXPIRED):
        raise HamtaError("invalid_request")

    def attempt() -> SimModel:
        sim = get_sim(msisdn)
        updated = _apply(sim, msisdn, national_id, status, expires_at, clock.now())
        try:
            updated.save()
        except (PutError, UpdateError) as error:
            if condition_failed(error):
                raise RaceLost() from error
            raise
        return updated

    return retry_on_race(attempt)


def _apply(
    sim: SimModel | None,
    msisdn: str,
    national_id: str,
    status: str,
    expires_at: float | None,
    now: float,
) -> SimModel:
    if sim is None:
        sim = SimModel(msisdn, ownership=1, owned_since=now)
        holders = {"1": {"national_id": national_id, "ended": None, "ended_at": None}}
    else:
        holders = plain_map(sim.holders)
        current = int(sim.ownership)
        entry = holders.setdefault(
            str(current), {"national_id": sim.national_id, "ended": None, "ended_at": None}
        )
        was_live = is_live(sim, now)
        if not was_live:
            # Dead already (the operator said so, or its time passed before the job came):
            # record it as expired, at the moment it died, and have the job tidy it.
            _end(sim, entry, current, EXPIRED, _died_at(sim, now))
        changed_hands = sim.national_id is not None and sim.national_id != national_id
        reissued = not was_live and status == ACTIVE
        if changed_hands or reissued:
            # The old ownership ends: a new holder makes it "transferred", a number that
            # had already expired stays "expired" (_end keeps the first ending).
            _end(sim, entry, current, TRANSFERRED, now)
            sim.ownership = current + 1
            sim.owned_since = now
            holders[str(current + 1)] = {"national_id": national_id, "ended": None, "ended_at": None}
        elif status == EXPIRED:
            _end(sim, entry, current, EXPIRED, now)
        else:
            # The first record of a number someone already signed in with, or a renewal.
            entry["national_id"] = national_id
    if sim.owned_since is None:
        sim.owned_since = now  # a record from before owned_since, or an unheld number
    # The operator's record changed: a dispute of it has had its answer (API.md).
    sim.disputed_by = None
    sim.national_id = national_id
    sim.status = status
    sim.expires_at = expires_at
    sim.expiry_day = None
    if status == ACTIVE and expires_at is not None:
        if expires_at <= now:
            # Sent already expired: the job's day cursor may be past that day, so it would
            # never find it in the expiry index. Store it as the job would leave it.
            sim.status = EXPIRED
            owned = int(sim.ownership)
            _end(sim, holders[str(owned)], owned, EXPIRED, expires_at)
        else:
            # Only live SIMs with an expiry sit in the sparse expiry index the job reads.
            sim.expiry_day = expiry_slot(expiry_day(expires_at), msisdn)
    sim.holders = holders
    sim.updated_at = now
    return sim


def _died_at(sim: SimModel, now: float) -> float:
    """When a dead current ownership died: its expiry if that passed, else now."""
    if sim.expires_at is not None and sim.expires_at <= now:
        return float(sim.expires_at)
    return now


def _end(sim: SimModel, entry: dict, ownership: int, how: str, at: float) -> None:
    """Record that an ownership ended (once: the first ending and its time stay)."""
    if entry.get("ended"):
        return
    entry["ended"] = how
    entry["ended_at"] = at
    _mark_for_cleanup(sim, ownership)


def _mark_for_cleanup(sim: SimModel, ownership: int) -> None:
    """Put the SIM on the sparse by_cleanup index: the job tidies that ownership's devices."""
    sim.dead_ownerships = set(sim.dead_ownerships or set()) | {int(ownership)}
    sim.cleanup_shard = cleanup_shard_of(sim.msisdn)


def unheld_sim(msisdn: str) -> SimModel:
    """A new record (unsaved) for a number the operator has not told us about yet."""
    sim = SimModel(msisdn, ownership=1, status=ACTIVE, updated_at=clock.now())
    sim.holders = {"1": {"national_id": None, "ended": None, "ended_at": None}}
    return sim


def ensure_sim(msisdn: str) -> SimModel:
    """The SIM as recorded, creating an unheld record for a number the operator has not
    told us about yet (its holder can sign in; only the operator's word names a holder)."""
    sim = get_sim(msisdn)
    if sim is not None:
        return sim
    sim = unheld_sim(msisdn)
    try:
        sim.save(condition=SimModel.msisdn.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        return SimModel.get(msisdn, consistent_read=True)
    return sim
