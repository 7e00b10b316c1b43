"""Image captcha (کد امنیتی): a random 5-digit answer drawn as a PNG, stored only as an HMAC.

A captcha is single use: any attempt, right or wrong, consumes it with one conditional
update (`used_at` not set and `expires_at` still ahead), so an answer cannot be guessed
twice on one picture. CAPTCHA_MODE=off (local tests only; refused on prod by
settings.check_startup) skips only the answer comparison: the id must still be real,
unused and unexpired.
"""
from __future__ import annotations

import base64
import secrets

from pynamodb.exceptions import UpdateError

from chalicelib import clock, keys, settings
from chalicelib.errors import HamtaError
from chalicelib.identifiers import normalize_digits
from chalicelib.store.base import condition_failed
from chalicelib.store.challenges import CaptchaItem

ANSWER_DIGITS = 5
_PURPOSE = "captcha"
_MAX_ID_LENGTH = 64
_MAX_ANSWER_LENGTH = 32


def new_answer() -> str:
    """A fresh answer (tests/flows.py swaps this to learn the answer of a captcha)."""
    return "".join(secrets.choice("0123456789") for _ in range(ANSWER_DIGITS))


def _png(answer: str) -> bytes:
    # Imported here: Pillow and the fonts cost a cold start only on POST /captcha.
    from captcha.image import ImageCaptcha

    return ImageCaptcha(width=160, height=60).generate(answer, format="png").getvalue()


def create_captcha() -> dict:
    """Store a new captcha; return the API's body {captcha_id, image, expires_in}."""
    answer = new_answer()
    captcha_id = secrets.token_urlsafe(16)
    now = clock.now()
    ttl = settings.CAPTCHA_TTL_SECONDS
    CaptchaItem(
        pk="captcha#" + captcha_id,
        answer_hmac=keys.keyed_hash(_PURPOSE, answer),
        expires_at=now + ttl,
        ttl=int(now + ttl) + 3600,
    ).save()
    image = "data:image/png;base64," + base64.b64encode(_png(answer)).decode("ascii")
    return {"captcha_id": captcha_id, "image": image, "expires_in": ttl}


def check_captcha(captcha_id: object, answer: object) -> None:
    """Consume the captcha and check its answer; 400 captcha_invalid unless both hold."""
    if (
        not isinstance(captcha_id, str)
        or not 0 < len(captcha_id) <= _MAX_ID_LENGTH
        or not isinstance(answer, str)
        or len(answer) > _MAX_ANSWER_LENGTH
    ):
        raise HamtaError("captcha_invalid")
    now = clock.now()
    item = CaptchaItem(pk="captcha#" + captcha_id)
    try:
        # One call: the update both consumes the captcha and returns its stored answer.
        item.update(
            actions=[CaptchaItem.used_at.set(now)],
            condition=CaptchaItem.answer_hmac.exists()
            & CaptchaItem.used_at.does_not_exist()
            & (CaptchaItem.expires_at > now),
        )
    except UpdateError as error:
        if condition_failed(error):
            raise HamtaError("captcha_invalid") from None
        raise
    if settings.CAPTCHA_MODE == "off":
        return
    given = keys.keyed_hash(_PURPOSE, normalize_digits(answer))
    if not keys.same(given, item.answer_hmac or ""):
        raise HamtaError("captcha_invalid")
