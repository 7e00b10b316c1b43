"""Password hashing (argon2id), the weak-password rule, and system-made temporary passwords.

argon2id at m = 19 MiB, t = 2, p = 1: the OWASP Password Storage Cheat Sheet's minimum.
The hasher is built on first use so a cold start that checks no password pays nothing.
"""
from __future__ import annotations

import secrets
import string
from functools import lru_cache
from typing import Any, Iterable

from chalicelib.identifiers import normalize_digits

MIN_LENGTH = 8
MAX_LENGTH = 128  # argon2 takes any length; a cap keeps one request's work bounded
TEMP_LENGTH = 12
_TEMP_ALPHABET = string.ascii_letters + string.digits


@lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # A real hash of a throwaway secret: verifying against it costs what a real check costs.
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; any malformed or missing hash is simply no match."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    if not stored_hash:
        dummy_verify()
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def dummy_verify() -> None:
    """Spend one verification's time on nothing (an unknown national ID, no temp password),
    so timing does not tell which national IDs have a cartable."""
    from argon2.exceptions import VerifyMismatchError

    try:
        _hasher().verify(_dummy_hash(), "not the password")
    except VerifyMismatchError:
        pass


def _number_forms(msisdn: str) -> set[str]:
    """Every way a person might write their own number: 0912..., 912..., 98912..., 0098912..."""
    bare = msisdn[1:] if msisdn.startswith("0") else msisdn
    return {msisdn, bare, "98" + bare, "0098" + bare}


def is_weak(password: str, national_id: str, msisdns: Iterable[str] = ()) -> bool:
    """Shorter than 8, or nothing but the digits of the national ID or a SIM's number.

    Strict but simple: weak if the password's digits alone spell the national ID or a
    number, or if it is all digits and a piece of one of them (e.g. "0912123456").
    """
    if len(password) < MIN_LENGTH:
        return True
    forbidden = {national_id}
    for msisdn in msisdns:
        forbidden |= _number_forms(msisdn)
    normalized = normalize_digits(password)
    digits = "".join(ch for ch in normalized if ch.isdigit())
    if digits in forbidden:
        return True
    if normalized.isdigit() and any(normalized in whole for whole in forbidden):
        return True
    return False


def new_temp_password() -> str:
    """12 ASCII letters and digits from `secrets`, with at least one of each."""
    while True:
        word = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(TEMP_LENGTH))
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
            return word
