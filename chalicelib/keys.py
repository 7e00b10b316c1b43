"""The server-side secret behind every HMAC (OTP codes, captcha answers).

Locally it comes from HAMTA_SECRET_KEY; on AWS from the SSM SecureString named by
HAMTA_SECRET_KEY_PARAMETER, fetched once per container and cached (so does an SMS
gateway's API key, sms_providers.py).
"""
from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from chalicelib import settings


@lru_cache(maxsize=1)
def secret_key() -> bytes:
    if settings.SECRET_KEY:
        return settings.SECRET_KEY.encode()
    if settings.SECRET_KEY_PARAMETER:
        return ssm_secret(settings.SECRET_KEY_PARAMETER).encode()
    raise RuntimeError("no secret key: set HAMTA_SECRET_KEY or HAMTA_SECRET_KEY_PARAMETER")


@lru_cache(maxsize=4)
def ssm_secret(name: str) -> str:
    """An SSM SecureString's value, fetched once per container (the HMAC key, an SMS
    gateway's API key)."""
    import boto3

    ssm = boto3.client("ssm", region_name=settings.REGION, endpoint_url=settings.AWS_ENDPOINT)
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 of a short secret (a code, an answer), bound to what it is for."""
    return hmac.new(secret_key(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def token_hash(token: str) -> str:
    """Sessions and partner keys are 256-bit random: a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()
