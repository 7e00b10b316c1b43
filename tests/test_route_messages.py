"""Refusals that say what to check (issue 23): one `not_found` or `invalid_credentials`
reads per route, the same words whichever of the two things was wrong (API.md's
equal-answer rule), and a gateway without a partner key is not told to "sign in again"."""
from __future__ import annotations

from testkit import ids
from tests.conftest import REGISTRAR_KEY
from tests.flows import PASSWORD, activated_device, new_nid_cartable, new_sim_cartable, try_activate


def message(data: dict) -> str:
    return data["error"]["message"]


def test_activation_names_both_fields_and_says_the_same_for_either(api):
    _, _, token = new_sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    wrong_code = try_activate(api, token, imei, "000000" if code != "000000" else "111111")
    unknown_imei = try_activate(api, token, ids.imei(), code)
    for status, data, _ in (wrong_code, unknown_imei):
        assert status == 404 and data["error"]["code"] == "not_found"
        assert "شناسه دستگاه" in message(data) and "کد فعالسازی" in message(data)
    assert wrong_code[1] == unknown_imei[1]


def test_a_device_route_says_the_device_is_not_in_the_cartable(api):
    _, _, token = new_sim_cartable(api)
    for method, path in (("POST", "/transfer"), ("GET", "/history"), ("POST", "/block")):
        body = {"reason": "lost"} if path == "/block" else None
        status, data, _ = api.call(method, f"/devices/{ids.imei()}{path}", body, token=token)
        assert status == 404 and data["error"]["code"] == "not_found", path
        assert "در کارتابل شما نیست" in message(data), path


def test_a_wrong_unblock_password_speaks_of_the_password_only(api):
    national_id, _, token = new_nid_cartable(api)
    imei = activated_device(api, token)
    assert api.post(f"/devices/{imei}/block", {"reason": "lost"}, token=token)[0] == 200
    status, data, _ = api.call("DELETE", f"/devices/{imei}/block", {"password": "not-" + PASSWORD}, token=token)
    assert status == 401 and data["error"]["code"] == "invalid_credentials"
    assert "رمز عبور" in message(data) and "کد ملی یا" not in message(data)
    # The sign-in form still says "national ID or password": there either may be wrong.
    status, data, _ = api.post("/auth/login", {"national_id": national_id, "password": "x" * 9,
                                               "captcha_id": "x", "captcha_answer": "1"})
    assert data["error"]["code"] in ("captcha_invalid", "invalid_credentials")


def test_the_english_message_follows_the_route_too(api):
    _, _, token = new_sim_cartable(api)
    status, data, _ = api.post("/devices/activate", {"imei": ids.imei(), "activation_code": "123456"},
                               token=token, headers={"Accept-Language": "en"})
    assert status == 404 and "IMEI or the activation code" in message(data)


def test_a_gateway_without_a_key_gets_a_plain_401_and_another_roles_key_a_403(api):
    body = {"session_id": "s1", "msisdn": ids.msisdn(), "text": ""}
    for token in (None, "not-a-key"):
        status, data, _ = api.post("/ussd", body, token=token)
        assert status == 401 and data["error"]["code"] == "unauthorized"
        assert "کلید همکار" in message(data) and "وارد شوید" not in message(data)
    status, data, _ = api.post("/ussd", body, token=REGISTRAR_KEY)
    assert status == 403 and data["error"]["code"] == "forbidden"
