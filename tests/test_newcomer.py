"""What a newcomer stumbled on (issue 10 item 9): answers that say what to do."""
from __future__ import annotations

import pytest

from chalicelib import settings
from testkit import ids
from tests.flows import captcha, new_sim_cartable, request_otp


def test_otp_resend_too_soon_says_how_many_seconds_are_left(api):
    msisdn = ids.msisdn()
    assert request_otp(api, msisdn)[0] == 202
    captcha_id, answer = captcha(api)
    for language, digits in (("en", "0123456789"), ("fa", "۰۱۲۳۴۵۶۷۸۹")):
        status, data, headers = api.post(
            "/auth/otp", {"msisdn": msisdn, "captcha_id": captcha_id, "captcha_answer": answer},
            headers={"Accept-Language": language},
        )
        if status == 400:  # the captcha was spent by the first language's try
            captcha_id, answer = captcha(api)
            status, data, headers = api.post(
                "/auth/otp", {"msisdn": msisdn, "captcha_id": captcha_id, "captcha_answer": answer},
                headers={"Accept-Language": language},
            )
        assert status == 429 and data["error"]["code"] == "otp_resend_too_soon"
        seconds = headers["Retry-After"]
        assert 0 < int(seconds) <= settings.OTP_RESEND_SECONDS
        assert seconds.translate(str.maketrans("0123456789", digits)) in data["error"]["message"]


def test_post_sims_from_a_sim_session_says_to_make_a_national_id_cartable(api):
    _, _, token = new_sim_cartable(api)
    status, data, _ = api.post("/sims", {"msisdn": ids.msisdn()}, token=token,
                               headers={"Accept-Language": "en"})
    assert (status, data["error"]["code"]) == (403, "forbidden")
    assert "national-ID cartable" in data["error"]["message"]
    assert "/auth/register" in data["error"]["message"]


@pytest.mark.parametrize("method,path", [("PATCH", "/devices"), ("PUT", "/auth/otp"),
                                         ("DELETE", "/captcha")])
def test_unsupported_methods_answer_405_in_the_error_shape(api, method, path):
    status, data, headers = api.call(method, path, headers={"Accept-Language": "en"})
    assert status == 405
    assert data["error"]["code"] == "method_not_allowed" and data["error"]["message"]
    assert headers["Content-Type"] == "application/json"


def test_unsupported_media_types_answer_415_in_the_error_shape(api):
    status, data, headers = api.call(
        "POST", "/auth/otp", headers={"Content-Type": "application/xml"}, raw="<otp/>"
    )
    assert status == 415
    assert data["error"]["code"] == "unsupported_media_type"
    assert any("\u0600" <= ch <= "\u06ff" for ch in data["error"]["message"])
