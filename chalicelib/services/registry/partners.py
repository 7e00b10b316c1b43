"""Partner API keys (operators, registrars, customs offices): stored only as their SHA-256, with a role; checked here."""
from __future__ import annotations

import secrets

from pynamodb.exceptions import DoesNotExist

from chalicelib import clock
from chalicelib.keys import token_hash
from chalicelib.store.challenges import PartnerKeyItem
from chalicelib.store.read_ahead import NOTHING, ReadAhead, Wanted, read_with

ROLES = ("operator", "registrar", "customs")


def provision_key(role: str, key: str | None = None, name: str | None = None) -> str:
    """Store a partner key for `role` and return it (a new random one unless given)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    key = key or secrets.token_urlsafe(32)
    PartnerKeyItem(
        "partner#" + token_hash(key), role=role, name=name or role, created_at=clock.now()
    ).save()
    return key


def check_key(key: str | None, also: Wanted = ()) -> tuple[PartnerKeyItem | None, ReadAhead]:
    """The stored partner key a bearer key names (None: no such key), with `also` [(model,
    keys)] a route will read fetched in the same BatchGetItem, as a ReadAhead for the
    service. The edge (web.partner_with) turns None or the wrong role into its 401 or 403."""
    if not key or len(key) > 200:
        return None, NOTHING
    pk = "partner#" + token_hash(key)
    if not also:
        try:
            return PartnerKeyItem.get(pk), NOTHING
        except DoesNotExist:
            return None, NOTHING
    first, ahead = read_with([(PartnerKeyItem, [pk])], also)
    return (first[PartnerKeyItem] or [None])[0], ahead
