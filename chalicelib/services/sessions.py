"""Sessions: opaque 256-bit tokens, stored only as their hash, that open a cartable.

A SIM session is bound to (msisdn, ownership) and the SIM's `session_epoch`: it dies the
moment the number changes hands, or the epoch is bumped. A national-ID session is bound to
the person's `session_epoch`: bumping it ends every session of the cartable at once
(password change or reset, DELETE /me/sessions), and the SIM-login sessions of its SIMs
end with it (their epochs are bumped in the same transaction).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib import clock, settings
from chalicelib.errors import HamtaError
from chalicelib.keys import token_hash
from chalicelib.store.base import RaceLost, lost_race, plain_map, retry_on_race, transact_write
from chalicelib.store.challenges import SessionItem
from chalicelib.store.people import PersonModel
from chalicelib.store.sims import SimModel

SIM = "sim"
NATIONAL_ID = "national_id"


@dataclass
class Caller:
    """Who is asking: the cartable a valid token opens, with what was read to check it."""

    token_hash: str
    kind: str
    msisdn: str | None
    ownership: int | None
    national_id: str | None  # a SIM session: the operator's holder of its ownership, if any
    must_change_password: bool
    sim: SimModel | None = None  # a SIM session's SIM, as read now
    person: PersonModel | None = None  # a national-ID session's person, as read now

    def cartable(self) -> dict:
        if self.kind == SIM:
            return {"kind": SIM, "msisdn": self.msisdn}
        return {"kind": NATIONAL_ID, "national_id": self.national_id}


def open_session(
    kind: str,
    *,
    msisdn: str | None = None,
    ownership: int | None = None,
    national_id: str | None = None,
    epoch: int | None = None,
    must_change_password: bool = False,
) -> tuple[str, int]:
    """Store a new session; return (token, seconds it lives)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    ttl = settings.SESSION_TTL_SECONDS
    SessionItem(
        pk="session#" + token_hash(token),
        kind=kind,
        msisdn=msisdn,
        ownership=ownership,
        national_id=national_id,
        epoch=epoch,
        must_change_password=must_change_password,
        created_at=now,
        expires_at=now + ttl,
        ttl=int(now + ttl) + 3600,
    ).save()
    return token, ttl


def resolve(token: str | None) -> Caller:
    """The caller behind a bearer token, or 401 unauthorized."""
    if not token or len(token) > 200:
        raise HamtaError("unauthorized")
    hashed = token_hash(token)
    try:
        item = SessionItem.get("session#" + hashed, consistent_read=True)
    except DoesNotExist:
        raise HamtaError("unauthorized") from None
    if item.expires_at is None or item.expires_at <= clock.now():
        raise HamtaError("unauthorized")
    caller = Caller(
        token_hash=hashed,
        kind=item.kind,
        msisdn=item.msisdn,
        ownership=int(item.ownership) if item.ownership is not None else None,
        national_id=item.national_id,
        must_change_password=bool(item.must_change_password),
    )
    if item.kind == SIM:
        try:
            sim = SimModel.get(item.msisdn, consistent_read=True)
        except DoesNotExist:
            raise HamtaError("unauthorized") from None
        if int(sim.ownership) != caller.ownership:
            raise HamtaError("unauthorized")  # the number changed hands
        if int(sim.session_epoch or 0) != int(item.epoch or 0):
            raise HamtaError("unauthorized")  # its sessions were ended since
        caller.sim = sim
        caller.national_id = sim.national_id
    else:
        try:
            person = PersonModel.get(item.national_id, consistent_read=True)
        except DoesNotExist:
            raise HamtaError("unauthorized") from None
        if int(person.session_epoch or 0) != int(item.epoch or 0):
            raise HamtaError("unauthorized")  # password changed or reset since
        caller.person = person
    return caller


def end_session(caller: Caller) -> None:
    SessionItem(pk="session#" + caller.token_hash).delete()


def keep_only_this_session(caller: Caller, new_epoch: int) -> None:
    """After `new_epoch` was written to the person, carry this session over to it."""
    SessionItem(pk="session#" + caller.token_hash).update(
        actions=[SessionItem.epoch.set(new_epoch), SessionItem.must_change_password.set(False)],
        condition=SessionItem.pk.exists(),
    )


def end_cartable_sessions(person: PersonModel, actions: list | None = None) -> int:
    """End every session of a national-ID cartable and the SIM-login sessions of its SIMs
    (those of the ownership each SIM was added in), with `actions` on the person, in ONE
    transaction conditioned on the person as read. Returns the new epoch; RaceLost if
    anything moved."""
    new_epoch = int(person.session_epoch or 0) + 1
    listed = plain_map(person.sims)
    sims = [
        sim
        for sim in (SimModel.batch_get(list(listed), consistent_read=True) if listed else [])
        if int(sim.ownership) == int((listed.get(sim.msisdn) or {}).get("ownership") or 0)
    ]
    try:
        with transact_write() as t:
            t.update(person, actions=[PersonModel.session_epoch.set(new_epoch), *(actions or [])])
            for sim in sims:
                t.update(
                    sim,
                    actions=[SimModel.session_epoch.add(1)],
                    condition=SimModel.ownership == int(sim.ownership),
                    add_version_condition=False,
                )
    except TransactWriteError as error:
        if lost_race(error):
            raise RaceLost() from error
        raise
    return new_epoch


def end_sim_sessions(msisdn: str, ownership: int) -> None:
    """End every SIM-login session of that ownership of the number (nothing if it moved on)."""
    try:
        SimModel(msisdn).update(
            actions=[SimModel.session_epoch.add(1)],
            condition=SimModel.ownership == ownership,
            add_version_condition=False,
        )
    except UpdateError as error:
        if not lost_race(error):
            raise


def end_all_sessions(caller: Caller) -> None:
    """DELETE /me/sessions: every session of the caller's cartable, this one included."""
    if caller.kind == SIM:
        end_sim_sessions(caller.msisdn, caller.ownership)
        return
    read = [caller.person]

    def attempt() -> None:
        person = read.pop() if read else PersonModel.get(caller.national_id, consistent_read=True)
        if int(person.session_epoch or 0) != int(caller.person.session_epoch or 0):
            return  # ended already by someone else: so is this one
        end_cartable_sessions(person)

    retry_on_race(attempt)
