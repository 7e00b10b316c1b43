"""POST /captcha and the captcha check of POST /auth/otp and POST /auth/login."""
from __future__ import annotations

import base64
import os

import pytest

from chalicelib import clock, settings
from testkit import ids
from tests.flows import KNOWN_ANSWER, captcha, known_captcha_answer


def otp_with(api, captcha_id, answer, msisdn=None):
    return api.post(
        "/auth/otp",
        {"msisdn": msisdn or ids.msisdn(), "captcha_id": captcha_id, "captcha_answer": answer},
    )


def test_captcha_is_a_png_data_uri_with_an_expiry(api):
    status, data, headers = api.post("/captcha")
    assert status == 201, data
    assert headers["Content-Type"] == "application/json"
    assert data["expires_in"] == settings.CAPTCHA_TTL_SECONDS
    assert data["captcha_id"]
    prefix = "data:image/png;base64,"
    assert data["image"].startswith(prefix)
    png = base64.b64decode(data["image"][len(prefix):])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_answers_are_random_five_digit_numbers(api):
    from chalicelib.captcha import new_answer

    answers = {new_answer() for _ in range(50)}
    assert all(len(a) == 5 and a.isdigit() for a in answers)
    assert len(answers) > 40


def test_right_answer_passes(api):
    captcha_id, answer = captcha(api)
    status, data, _ = otp_with(api, captcha_id, answer)
    assert status == 202, data


def test_persian_digits_in_the_answer_pass(api):
    captcha_id, _ = captcha(api)
    persian = KNOWN_ANSWER.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    status, data, _ = otp_with(api, captcha_id, persian)
    assert status == 202, data


def test_wrong_answer_is_refused_and_consumes_the_captcha(api):
    captcha_id, answer = captcha(api)
    status, data, _ = otp_with(api, captcha_id, "00000" if answer != "00000" else "11111")
    assert status == 400 and data["error"]["code"] == "captcha_invalid"
    # The right answer no longer helps: one attempt per picture.
    status, data, _ = otp_with(api, captcha_id, answer)
    assert status == 400 and data["error"]["code"] == "captcha_invalid"


def test_captcha_is_single_use(api):
    captcha_id, answer = captcha(api)
    assert otp_with(api, captcha_id, answer)[0] == 202
    status, data, _ = otp_with(api, captcha_id, answer)
    assert status == 400 and data["error"]["code"] == "captcha_invalid"


def test_captcha_expires(api):
    captcha_id, answer = captcha(api)
    clock.advance(settings.CAPTCHA_TTL_SECONDS + 1)
    status, data, _ = otp_with(api, captcha_id, answer)
    assert status == 400 and data["error"]["code"] == "captcha_invalid"


def test_captcha_still_good_just_before_expiry(api):
    captcha_id, answer = captcha(api)
    clock.advance(settings.CAPTCHA_TTL_SECONDS - 2)
    assert otp_with(api, captcha_id, answer)[0] == 202


@pytest.mark.parametrize("captcha_id", ["no-such-captcha", "x" * 500])
def test_unknown_captcha_is_refused(api, captcha_id):
    status, data, _ = otp_with(api, captcha_id, KNOWN_ANSWER)
    assert status == 400 and data["error"]["code"] == "captcha_invalid"


def test_login_checks_the_captcha_too(api):
    captcha_id, _ = captcha(api)
    status, data, _ = api.post(
        "/auth/login",
        {"national_id": ids.national_id(), "password": "whatever-1", "captcha_id": captcha_id,
         "captcha_answer": "99999" if KNOWN_ANSWER != "99999" else "88888"},
    )
    assert status == 400 and data["error"]["code"] == "captcha_invalid"


def test_english_message(api):
    status, data, _ = api.post(
        "/auth/otp",
        {"msisdn": ids.msisdn(), "captcha_id": "nope", "captcha_answer": "1"},
        headers={"Accept-Language": "en"},
    )
    assert status == 400 and data["error"]["code"] == "captcha_invalid"
    assert "security code" in data["error"]["message"]


def test_mode_off_accepts_any_answer_but_only_a_real_captcha(api, set_env):
    set_env(CAPTCHA_MODE="off")
    captcha_id, _ = captcha(api)
    assert otp_with(api, captcha_id, "anything")[0] == 202
    # Used, unknown and expired captchas are still refused.
    assert otp_with(api, captcha_id, "anything")[1]["error"]["code"] == "captcha_invalid"
    assert otp_with(api, "invented-id", "1")[1]["error"]["code"] == "captcha_invalid"
    with known_captcha_answer():
        old_id = api.post("/captcha")[1]["captcha_id"]
    clock.advance(settings.CAPTCHA_TTL_SECONDS + 1)
    assert otp_with(api, old_id, "anything")[1]["error"]["code"] == "captcha_invalid"


def test_mode_off_is_refused_on_prod(set_env):
    set_env(CAPTCHA_MODE="off", HAMTA_STAGE="prod")
    with pytest.raises(RuntimeError, match="prod"):
        settings.check_startup()


def test_mode_off_is_allowed_off_prod_and_image_on_prod(set_env):
    set_env(CAPTCHA_MODE="off", HAMTA_STAGE="local")
    settings.check_startup()
    set_env(CAPTCHA_MODE="image", HAMTA_STAGE="prod")
    settings.check_startup()


def test_unknown_mode_is_refused(set_env):
    set_env(CAPTCHA_MODE="maybe")
    with pytest.raises(RuntimeError):
        settings.check_startup()


def test_body_on_captcha_is_refused(api):
    status, data, _ = api.post("/captcha", {"surprise": 1})
    assert status == 400 and data["error"]["code"] == "invalid_request"


# ---- the audio captcha: the picture's non-visual alternative, of the same strength ----------

def audio_captcha(api) -> tuple[str, bytes]:
    with known_captcha_answer():
        status, data, headers = api.post("/captcha/audio")
    assert status == 201, data
    assert headers["Content-Type"] == "application/json"
    assert data["expires_in"] == settings.CAPTCHA_TTL_SECONDS
    prefix = "data:audio/wav;base64,"
    assert data["audio"].startswith(prefix)
    return data["captcha_id"], base64.b64decode(data["audio"][len(prefix):])


def test_the_audio_captcha_is_a_wav_of_several_seconds(api):
    import io
    import wave

    _, wav = audio_captcha(api)
    with wave.open(io.BytesIO(wav)) as sound:
        seconds = sound.getnframes() / sound.getframerate()
    # Five spoken digits with pauses between them, plus the opening beeps.
    assert 5 < seconds < 30, seconds


def test_the_audio_captchas_answer_signs_in(api):
    from tests.flows import PASSWORD, new_nid_cartable

    national_id, password = new_nid_cartable(api)[0], PASSWORD
    captcha_id, _ = audio_captcha(api)
    status, data, _ = api.post("/auth/login", {"national_id": national_id, "password": password,
                                               "captcha_id": captcha_id, "captcha_answer": KNOWN_ANSWER})
    assert status == 200, data
    # Single use, as the picture: the same answer again is refused.
    status, data, _ = api.post("/auth/login", {"national_id": national_id, "password": password,
                                               "captcha_id": captcha_id, "captcha_answer": KNOWN_ANSWER})
    assert status == 400 and data["error"]["code"] == "captcha_invalid"


def test_the_audio_captcha_refuses_a_wrong_answer_and_expires(api):
    captcha_id, _ = audio_captcha(api)
    status, data, _ = otp_with(api, captcha_id, "13579")
    assert status == 400 and data["error"]["code"] == "captcha_invalid"
    captcha_id, _ = audio_captcha(api)
    clock.advance(settings.CAPTCHA_TTL_SECONDS + 1)
    status, data, _ = otp_with(api, captcha_id, KNOWN_ANSWER)
    assert status == 400 and data["error"]["code"] == "captcha_invalid"


def test_every_digit_has_its_persian_clip():
    from chalicelib.captcha import VOICE_DIR

    for digit in "0123456789":
        assert any(name.endswith(".wav") for name in os.listdir(os.path.join(VOICE_DIR, digit))), digit
