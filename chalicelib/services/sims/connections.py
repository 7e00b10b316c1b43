"""SIMs in your name (سیم کارتهای به نام شما): every SIM the operators name for a national ID, and disputes of them.

The list is one Query on the sims table's `by_holder` index, which carries what the list
shows (no Scan, no second read). A dispute marks the SIM (`disputed_by`: it joins no
cartable until the operator's record for it changes) and appends an entry to the operators'
feed, in one transaction that moves the feed's head by one: the feed has no gaps, so a
cursor is a sequence number and the same cursor always reads the same entries.
"""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib import clock, settings
from chalicelib.errors import HamtaError
from chalicelib.services.sims import cartable_sims, sim_records
from chalicelib.services.devices.devices import iso
from chalicelib.services.signin.sessions import Caller
from chalicelib.store.base import RaceLost, lost_race, retry_on_race, transact_write
from chalicelib.store.batch_read import read_together
from chalicelib.store.challenges import DisputeItem
from chalicelib.store.read_ahead import NOTHING, ReadAhead, Wanted
from chalicelib.store.sims import SimModel

HEAD = "disputes#head"
PAGE = 100  # one BatchGetItem
CURSOR_DIGITS = 12


def entry_key(seq: int) -> str:
    return f"dispute#{seq:0{CURSOR_DIGITS}d}"


def prefetch(msisdn: str | None) -> Wanted:
    """What a dispute reads first, for `web.caller_with` to fetch with the session: the
    SIM's record (nothing for a number that will be refused anyway: None)."""
    return [(SimModel, [msisdn])] if msisdn else []


def list_connections(caller: Caller) -> dict:
    """GET /me/connections: active SIMs the operators name for the caller's national ID,
    newest ownership first, and whether each is in the cartable."""
    listed = cartable_sims.entries(caller.person)
    now = clock.now()
    rows = []
    for sim in SimModel.by_holder.query(caller.national_id):
        if not sim_records.is_live(sim, now):
            continue
        entry = listed.get(sim.msisdn)
        rows.append((float(sim.owned_since or 0), sim.msisdn, {
            "msisdn": sim.msisdn,
            "in_cartable": entry is not None and entry["ownership"] == int(sim.ownership),
            "disputed": sim.disputed_by == caller.national_id,
        }))
    rows.sort(key=lambda row: (-row[0], row[1]))
    return {"sims": [row[2] for row in rows], "limit": settings.MAX_SIMS_PER_PERSON}


def dispute(caller: Caller, msisdn: str, ahead: ReadAhead = NOTHING) -> None:
    """POST /me/connections/{msisdn}/dispute: 202, once; a SIM not in the list 404."""
    def attempt() -> None:
        # The record read with the session the first time (taken once), then afresh.
        sim = (ahead.take([(SimModel, [msisdn])]).get(SimModel) or [None])[0]
        if sim is None or sim.national_id != caller.national_id or not sim_records.is_live(sim):
            raise HamtaError("not_found")
        if sim.disputed_by == caller.national_id:
            return  # said already: one dispute
        head = _head()
        seq = head + 1
        now = clock.now()
        try:
            with transact_write() as tx:
                tx.update(
                    DisputeItem(HEAD),
                    actions=[DisputeItem.seq.set(seq)],
                    condition=(DisputeItem.seq == head) if head else DisputeItem.pk.does_not_exist(),
                )
                tx.save(
                    DisputeItem(entry_key(seq), seq=seq, msisdn=msisdn, national_id=caller.national_id, at=now),
                    condition=DisputeItem.pk.does_not_exist(),
                )
                tx.update(
                    sim,
                    actions=[SimModel.disputed_by.set(caller.national_id)],
                    condition=(SimModel.national_id == caller.national_id)
                    & (SimModel.ownership == int(sim.ownership)),
                )
        except TransactWriteError as error:
            if lost_race(error):
                raise RaceLost() from error  # another dispute took this seq, or the SIM moved
            raise

    retry_on_race(attempt)


def _head() -> int:
    try:
        return int(DisputeItem.get(HEAD, consistent_read=True).seq or 0)
    except DoesNotExist:
        return 0


def parse_cursor(typed: str | None) -> int:
    """`since` -> a sequence number; 400 invalid_request (field since) if it is none."""
    if typed is None or typed == "":
        return 0
    if not typed.isascii() or not typed.isdigit() or len(typed) > CURSOR_DIGITS:
        raise HamtaError("invalid_request", field="since")
    return int(typed)


def feed(since: int) -> dict:
    """GET /operator/disputes: the disputes after `since`, oldest first, and the cursor to
    ask with next (the same when there is nothing new)."""
    keys = [entry_key(seq) for seq in range(since + 1, since + PAGE + 1)]
    found = sorted(read_together([(DisputeItem, keys)]).get(DisputeItem, []), key=lambda i: i.seq)
    entries = []
    for item in found:  # the sequence has no gaps: stop at the first one missing
        if int(item.seq) != since + len(entries) + 1:
            break
        entries.append(item)
    last = since + len(entries)
    return {
        "disputes": [{"msisdn": i.msisdn, "national_id": i.national_id, "at": iso(i.at)} for i in entries],
        "next": str(last),
    }
