"""Sessions: opaque 256-bit tokens, stored only as their hash, that open a cartable.

A SIM session is bound to (msisdn, ownership) and the SIM's `session_epoch`: it dies the
moment the number changes hands, or the epoch is bumped. A national-ID session is bound to
the person's `session_epoch`: bumping it ends every session of the cartable at once
(password change or reset, DELETE /me/sessions), and the SIM-login sessions of its SIMs
end with it (their epochs are bumped in the same transaction).

A token is `<nonce>.<route>`: 256 random bits, then the SIM's number or the national ID
sealed with a keystream drawn from the server key and the nonce (HMAC-SHA256 as a PRF), so
the token names its cartable to us and to no one else. That lets `resolve` read the session
and the SIM or person it is bound to in ONE BatchGetItem: the liveness checks (ownership,
epoch, the SIM's expiry by the clock) stay on the records as they are now, so whatever ends
a session by changing the SIM or the person still ends it at once. The route needs no
integrity of its own: the session is found by the hash of the whole token, so a token
whose route was altered finds no session. Tokens without a route (issued before) are
resolved with two reads, as they were.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib import clock, settings
from chalicelib.errors import HamtaError
from chalicelib.keys import secret_key, token_hash
from chalicelib.store.base import RaceLost, lost_race, plain_map, retry_on_race, transact_write
from chalicelib.store.batch_read import read_together
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
    # Items a route asked `resolve` to read in the same BatchGetItem: {model: {key: item
    # or None}}, taken once by `read_with` (a retry reads afresh).
    read: dict = field(default_factory=dict)

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
    token, ttl, item = new_session(kind, msisdn=msisdn, ownership=ownership, national_id=national_id,
                                   epoch=epoch, must_change_password=must_change_password)
    item.save()
    return token, ttl


def new_session(
    kind: str,
    *,
    msisdn: str | None = None,
    ownership: int | None = None,
    national_id: str | None = None,
    epoch: int | None = None,
    must_change_password: bool = False,
) -> tuple[str, int, SessionItem]:
    """(token, seconds it lives, the unsaved item): for a caller that saves the session in
    the same transaction as its other writes."""
    nonce = secrets.token_urlsafe(32)
    token = f"{nonce}.{_seal(nonce, (_SIM_ROUTE + msisdn) if kind == SIM else (_NID_ROUTE + national_id))}"
    now = clock.now()
    ttl = settings.SESSION_TTL_SECONDS
    item = SessionItem(
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
    )
    return token, ttl, item


_SIM_ROUTE, _NID_ROUTE = "s", "n"


def _keystream(nonce: str, size: int) -> bytes:
    return hmac.new(secret_key(), f"session-route:{nonce}".encode(), hashlib.sha256).digest()[:size]


def _seal(nonce: str, route: str) -> str:
    data = route.encode()  # "s" + 11 digits or "n" + 10: within the 32 bytes of one HMAC
    sealed = bytes(a ^ b for a, b in zip(data, _keystream(nonce, len(data))))
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def _unseal(token: str) -> tuple[str, str] | None:
    """(kind, msisdn or national ID) a routed token names; None for a token without one."""
    nonce, dot, sealed = token.partition(".")
    if not dot:
        return None
    try:
        data = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    except ValueError:
        raise HamtaError("unauthorized") from None
    if not 2 <= len(data) <= 32:
        raise HamtaError("unauthorized")
    route = bytes(a ^ b for a, b in zip(data, _keystream(nonce, len(data))))
    kind, key = route[:1], route[1:]
    if not key.isdigit():
        raise HamtaError("unauthorized")
    if kind == _SIM_ROUTE.encode():
        return SIM, key.decode()
    if kind == _NID_ROUTE.encode():
        return NATIONAL_ID, key.decode()
    raise HamtaError("unauthorized")


def resolve(token: str | None, also: list[tuple[type, list[Any]]] | None = None) -> Caller:
    """The caller behind a bearer token, or 401 unauthorized. `also`: (model, keys) a route
    needs whatever the caller, read in the same BatchGetItem (tables other than the
    session's, the SIMs' and the people's); found in `caller.read`."""
    if not token or len(token) > 200:
        raise HamtaError("unauthorized")
    hashed = token_hash(token)
    route = _unseal(token)
    if route is None:  # a token from before routes: two reads
        try:
            item = SessionItem.get("session#" + hashed, consistent_read=True)
        except DoesNotExist:
            raise HamtaError("unauthorized") from None
        bound = SimModel.get if item.kind == SIM else PersonModel.get
        key = item.msisdn if item.kind == SIM else item.national_id
        try:
            record = bound(key, consistent_read=True)
        except DoesNotExist:
            raise HamtaError("unauthorized") from None
        read = index_read(also or [], read_together(also or []))
    else:
        kind, key = route
        bound_model = SimModel if kind == SIM else PersonModel
        found = read_together([(SessionItem, ["session#" + hashed]), (bound_model, [key]), *(also or [])])
        sessions, records = found.pop(SessionItem, []), found.pop(bound_model, [])
        read = index_read(also or [], found)
        if not sessions or not records:
            raise HamtaError("unauthorized")
        item, record = sessions[0], records[0]
        if item.kind != kind or (item.msisdn if kind == SIM else item.national_id) != key:
            raise HamtaError("unauthorized")
    return _check(item, hashed, record, read)


def _check(item: SessionItem, hashed: str, record: Any, read: dict) -> Caller:
    """The session and its SIM or person, both as read now: live, or 401."""
    if item.expires_at is None or item.expires_at <= clock.now():
        raise HamtaError("unauthorized")
    caller = Caller(
        token_hash=hashed,
        kind=item.kind,
        msisdn=item.msisdn,
        ownership=int(item.ownership) if item.ownership is not None else None,
        national_id=item.national_id,
        must_change_password=bool(item.must_change_password),
        read=read,
    )
    if item.kind == SIM:
        sim = record
        if int(sim.ownership) != caller.ownership:
            raise HamtaError("unauthorized")  # the number changed hands
        if int(sim.session_epoch or 0) != int(item.epoch or 0):
            raise HamtaError("unauthorized")  # its sessions were ended since
        caller.sim = sim
        caller.national_id = sim.national_id
    else:
        person = record
        if int(person.session_epoch or 0) != int(item.epoch or 0):
            raise HamtaError("unauthorized")  # password changed or reset since
        caller.person = person
    return caller


def _key_of(model: type, item: Any) -> Any:
    hash_name = model._hash_keyname
    range_name = getattr(model, "_range_keyname", None)
    if range_name:
        return (getattr(item, hash_name), getattr(item, range_name))
    return getattr(item, hash_name)


def index_read(wanted: list[tuple[type, list[Any]]], found: dict) -> dict:
    """{model: {key: item or None}} for every key asked: a Caller's `read`."""
    index: dict = {}
    for model, keys in wanted:
        by_key = {_key_of(model, item): item for item in found.get(model, [])}
        index.setdefault(model, {}).update({key: by_key.get(key) for key in keys})
    return index


def read_with(caller: Caller, wanted: list[tuple[type, list[Any]]]) -> dict[type, list]:
    """`read_together(wanted)`, minus what `resolve` already read for this request (taken
    once): a route that named its items up front pays no second call for them."""
    have: dict[type, list] = {}
    rest: list[tuple[type, list[Any]]] = []
    for model, keys in wanted:
        held = caller.read.get(model, {})
        have.setdefault(model, [])
        missing = []
        for key in keys:
            if key in held:
                item = held.pop(key)
                if item is not None:
                    have[model].append(item)
            else:
                missing.append(key)
        if missing:
            rest.append((model, missing))
    for model, items in read_together(rest).items():
        have.setdefault(model, []).extend(items)
    return have


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
