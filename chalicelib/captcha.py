"""Captcha (کد امنیتی): a random 5-digit answer drawn as a PNG, or spoken in Persian digits
over noise (the non-visual alternative of the same strength), stored only as an HMAC.

A captcha is single use: any attempt, right or wrong, consumes it with one conditional
update (`used_at` not set and `expires_at` still ahead), so an answer cannot be guessed
twice on one picture. CAPTCHA_MODE=off (local tests only; refused on prod by
settings.check_startup) skips only the answer comparison: the id must still be real,
unused and unexpired.
"""
from __future__ import annotations

import base64
import functools
import os
import secrets
from typing import Any

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


# The picture is drawn at twice the size the page shows (160x60), sharp on dense screens.
WIDTH, HEIGHT = 320, 120
# Persian digit clips made by scripts/voice_clips.py (espeak-ng), shipped with the code.
VOICE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "voice")


def _png(answer: str) -> bytes:
    # Imported here: Pillow and the fonts cost a cold start only on POST /captcha.
    from captcha.image import ImageCaptcha

    font_sizes = (84, 96, 108)  # the package's defaults (42, 50, 56) scaled to the size
    return ImageCaptcha(width=WIDTH, height=HEIGHT, font_sizes=font_sizes).generate(answer, format="png").getvalue()


@functools.lru_cache(maxsize=1)
def _voice() -> Any:
    from captcha.audio import AudioCaptcha

    voice = AudioCaptcha(voicedir=VOICE_DIR)
    voice.load()
    return voice


def _wav(answer: str) -> bytes:
    """The answer's digits in Persian, each clip's speed and loudness varied, over noise
    made of reversed clips (the `captcha` package's mixer)."""
    return bytes(_voice().generate(answer))


def create_captcha() -> dict:
    """Store a new captcha; return the API's body {captcha_id, image, expires_in}."""
    answer, captcha_id, ttl = _store()
    image = "data:image/png;base64," + base64.b64encode(_png(answer)).decode("ascii")
    return {"captcha_id": captcha_id, "image": image, "expires_in": ttl}


def create_audio_captcha() -> dict:
    """POST /captcha/audio: a captcha like the picture's (same answer length, single use and
    TTL, same check), heard instead of seen: {captcha_id, audio, expires_in}."""
    answer, captcha_id, ttl = _store()
    audio = "data:audio/wav;base64," + base64.b64encode(_wav(answer)).decode("ascii")
    return {"captcha_id": captcha_id, "audio": audio, "expires_in": ttl}


def _store() -> tuple[str, str, int]:
    """A new answer stored as its HMAC under a new id: (answer, id, TTL in seconds)."""
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
    return answer, captcha_id, ttl


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
