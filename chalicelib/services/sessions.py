"""Sessions: opaque 256-bit tokens, stored only as their hash, that open a cartable.

A SIM session is bound to (msisdn, ownership): it dies the moment the number changes
hands. A national-ID session is bound to the person's `session_epoch`: bumping it ends
every session of the cartable at once (password change or reset).
"""
from __future__ import annotations

import secrets as random_source
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from chalicelib import clock, settings
from chalicelib.errors import HamtaError
from chalicelib.secrets import token_hash
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
    token = random_source.token_urlsafe(32)
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
