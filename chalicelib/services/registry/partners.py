"""Partner API keys (operators, registrars, customs offices): stored only as their SHA-256, with a role."""
from __future__ import annotations

import secrets

from chalicelib import clock
from chalicelib.keys import token_hash
from chalicelib.store.challenges import PartnerKeyItem

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
