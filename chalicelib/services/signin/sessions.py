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
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import clock, settings
from chalicelib.errors import HamtaError
from chalicelib.keys import secret_key, token_hash
from chalicelib.services.signin import callers
# Caller, SIM, NATIONAL_ID: named here too, where the routes and services have met them.
from chalicelib.services.signin.callers import NATIONAL_ID, SIM, Caller  # noqa: F401
from chalicelib.store.batch_read import read_together
from chalicelib.store.challenges import SessionItem
from chalicelib.store.read_ahead import NOTHING, ReadAhead, Wanted, read_with
# Ending sessions is bumping an epoch: store/session_epochs.py (named here for accounts).
from chalicelib.store.session_epochs import end_cartable_sessions, end_sim_sessions  # noqa: F401
from chalicelib.store.sims import SimModel

# The cartable a session opens, by the kind its item stores (callers.py: the two types).
KINDS = callers.KINDS


def open_session(kind: str, **fields: Any) -> tuple[str, int]:
    """Store a new session (`fields` as `new_session` takes them); return (token, seconds
    it lives)."""
    token, ttl, item = new_session(kind, **fields)
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
    now = clock.now()
    ttl = settings.SESSION_TTL_SECONDS
    item = SessionItem(
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
    nonce = secrets.token_urlsafe(32)
    token = f"{nonce}.{_seal(nonce, _ROUTES[kind] + KINDS[kind].bound_key(item))}"
    item.pk = "session#" + token_hash(token)
    return token, ttl, item


# A token's route: which kind of record it is bound to ("s": a SIM, "n": a person).
_ROUTES = {callers.SIM: "s", callers.NATIONAL_ID: "n"}
_KIND_OF_ROUTE = {route.encode(): kind for kind, route in _ROUTES.items()}


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
    kind, key = _KIND_OF_ROUTE.get(route[:1]), route[1:]
    if kind is None or not key.isdigit():
        raise HamtaError("unauthorized")
    return kind, key.decode()


def resolve(token: str | None) -> Caller:
    """The caller behind a bearer token, or 401 unauthorized."""
    return resolve_with(token)[0]


def resolve_with(token: str | None, also: Wanted = ()) -> tuple[Caller, ReadAhead]:
    """`resolve`, with `also` [(model, keys)] a route will read fetched in the same
    BatchGetItem (tables other than the session's, the SIMs' and the people's): (the
    caller, what was read ahead for the service's `ahead=`)."""
    if not token or len(token) > 200:
        raise HamtaError("unauthorized")
    hashed = token_hash(token)
    route = _unseal(token)
    if route is None:  # a token from before routes: two reads
        try:
            item = SessionItem.get("session#" + hashed, consistent_read=True)
        except DoesNotExist:
            raise HamtaError("unauthorized") from None
        cartable = KINDS.get(item.kind)
        if cartable is None:
            raise HamtaError("unauthorized")
        try:
            record = cartable.bound_model.get(cartable.bound_key(item), consistent_read=True)
        except DoesNotExist:
            raise HamtaError("unauthorized") from None
        ahead = ReadAhead(also, read_together(also)) if also else NOTHING
    else:
        kind, key = route
        cartable = KINDS[kind]
        bound_model = cartable.bound_model
        first, ahead = read_with([(SessionItem, ["session#" + hashed]), (bound_model, [key])], also)
        sessions, records = first[SessionItem], first[bound_model]
        if not sessions or not records:
            raise HamtaError("unauthorized")
        item, record = sessions[0], records[0]
        if item.kind != kind or cartable.bound_key(item) != key:
            raise HamtaError("unauthorized")
    if item.expires_at is None or item.expires_at <= clock.now():
        raise HamtaError("unauthorized")
    # The SIM or person as read now must still hold the session (ownership, epoch): the
    # type checks that and is built whole, so nothing changes a Caller afterwards.
    return cartable.opened(item, hashed, record), ahead


def dialled(sim: SimModel) -> callers.SimCartable:
    """The cartable a SIM's own dialling opens (USSD *7777#, which the operator's gateway
    vouches for): its current ownership, opened as a SIM session over it is, with no token."""
    item = SessionItem(kind=SIM, msisdn=sim.msisdn, ownership=int(sim.ownership),
                       epoch=sim.session_epoch, must_change_password=False)
    return callers.SimCartable.opened(item, "", sim)


def end_session(caller: Caller) -> None:
    SessionItem(pk="session#" + caller.token_hash).delete()


def keep_only_this_session(caller: Caller, new_epoch: int) -> None:
    """After `new_epoch` was written to the person, carry this session over to it."""
    SessionItem(pk="session#" + caller.token_hash).update(
        actions=[SessionItem.epoch.set(new_epoch), SessionItem.must_change_password.set(False)],
        condition=SessionItem.pk.exists(),
    )
