"""The edge every route shares: bad bodies are 400 invalid_request, errors in fa or en, never a 500."""
from __future__ import annotations

import json

import pytest

from chalicelib.errors import MESSAGES
from testkit import ids

OTP_BODY = {"msisdn": "09121234567", "captcha_id": "x", "captcha_answer": "1"}


@pytest.mark.parametrize("raw", [
    "{not json",                                   # malformed
    "[1, 2]", '"text"', "42", "null",               # JSON, but not an object
    json.dumps({**OTP_BODY, "extra": 1}),           # an unknown field
    json.dumps({"msisdn": "09121234567"}),          # missing fields
    json.dumps({**OTP_BODY, "msisdn": 9121234567}),  # a number where a string goes
    json.dumps({**OTP_BODY, "captcha_answer": ["1"]}),
    json.dumps({**OTP_BODY, "captcha_id": "x" * 17000}),  # over 16 KiB
    "\udcff", b"\xff\xfe{}",                       # no UTF-8 text
])
def test_bad_bodies_are_invalid_request(api, raw):
    status, data, headers = api.post("/auth/otp", raw=raw)
    assert status == 400
    assert data["error"]["code"] == "invalid_request"
    assert headers["Content-Type"] == "application/json"


def test_a_body_just_under_16_kib_is_read(api):
    padding = "x" * (16 * 1024 - 200)
    status, data, _ = api.post("/auth/otp", {**OTP_BODY, "captcha_id": padding})
    assert (status, data["error"]["code"]) == (400, "captcha_invalid")


def test_persian_by_default_english_on_request(api):
    status, data, _ = api.post("/auth/otp", raw="{")
    assert data["error"]["message"] == MESSAGES["invalid_request"][1]
    status, data, _ = api.post("/auth/otp", raw="{", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert data["error"]["message"] == MESSAGES["invalid_request"][2]


def test_every_code_has_both_messages():
    for code, (status, fa, en) in MESSAGES.items():
        assert 400 <= status <= 599 and fa and en and fa != en, code
        assert any("\u0600" <= ch <= "\u06ff" for ch in fa), code


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic abc", "bearer " + "x" * 5000])
def test_missing_malformed_or_unknown_tokens_are_401(api, header):
    headers = {"Authorization": header} if header else {}
    for method, path in [("GET", "/me"), ("GET", "/devices"), ("GET", "/sims"),
                         ("POST", "/auth/logout")]:
        status, data, _ = api.call(method, path, headers=headers)
        assert (status, data["error"]["code"]) == (401, "unauthorized"), (method, path)


def test_a_sim_token_on_a_national_id_route_is_403(api):
    from tests.flows import sim_login

    token = sim_login(api, ids.msisdn())
    status, data, _ = api.get("/sims", token=token)
    assert (status, data["error"]["code"]) == (403, "forbidden")


def test_odd_paths_and_methods_are_4xx_never_500(api):
    for method, path in [("GET", "/imei/%00"), ("GET", "/imei/" + "9" * 500),
                         ("DELETE", "/sims/not-a-number"), ("GET", "/devices/123/history"),
                         ("POST", "/devices/۴۹۰۱۵۴۲۰۳۲۳۷۵۱۸/transfer")]:
        status, data, _ = api.call(method, path)
        assert 400 <= status < 500, (method, path, status)
        assert "error" in data


def test_a_throttled_table_is_503_and_changes_nothing(api, monkeypatch):
    from botocore.exceptions import ClientError
    from pynamodb.connection.base import Connection

    msisdn, nid = ids.msisdn(), ids.national_id()
    assert api.operator_sim(msisdn, nid)[0] == 200
    real = Connection._make_api_call

    def throttled(self, operation, params, *args, **kwargs):
        if operation in ("PutItem", "UpdateItem", "TransactWriteItems"):
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                         "Message": "slow down"}}, operation)
        return real(self, operation, params, *args, **kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", throttled)
    status, data, headers = api.operator_sim(msisdn, ids.national_id())
    assert (status, data["error"]["code"]) == (503, "service_unavailable")
    assert headers["Retry-After"] == "1"
    monkeypatch.setattr(Connection, "_make_api_call", real)
    # The number did not change hands.
    assert api.operator_sim(msisdn, nid)[1]["ownership"] == 1


def test_a_mistyped_imei_or_number_is_told_after_the_credential_and_the_body(api):
    """Routes that read ahead with the session or key parse the IMEI or number early (to
    name what to read), yet answer in the same order: 401, then the body's 400
    invalid_request, then invalid_imei or invalid_msisdn."""
    from tests.conftest import OPERATOR_KEY
    from tests.flows import new_nid_cartable

    _, _, token = new_nid_cartable(api)
    # (method, path, credential, a good body, a bad body, the code the field earns)
    routes = [
        ("POST", "/devices/123/block", token, {"reason": "lost"}, {}, "invalid_imei"),
        ("DELETE", "/devices/123/block", token, {}, {"extra": 1}, "invalid_imei"),
        ("POST", "/devices/123/repair", token, {"new_imei": ids.imei()}, {}, "invalid_imei"),
        ("POST", "/devices/123/transfer", token, {}, {"extra": 1}, "invalid_imei"),
        ("POST", "/devices/activate", token, {"imei": "123", "activation_code": "123456"},
         {"imei": "123"}, "invalid_imei"),
        ("POST", "/devices", token, {"imei": "123"}, {"imei": "123", "extra": 1}, "invalid_imei"),
        ("POST", "/me/connections/123/dispute", token, {}, {"extra": 1}, "invalid_msisdn"),
        ("POST", "/ussd", OPERATOR_KEY, {"session_id": "s1", "msisdn": "123", "text": "2*123*1"},
         {"msisdn": "123", "text": "2*123*1"}, "invalid_msisdn"),
    ]
    for method, path, credential, good, bad, code in routes:
        status, data, _ = api.call(method, path, body=good)
        assert (status, data["error"]["code"]) == (401, "unauthorized"), (method, path)
        status, data, _ = api.call(method, path, body=bad, token=credential)
        assert (status, data["error"]["code"]) == (400, "invalid_request"), (method, path)
        status, data, _ = api.call(method, path, body=good, token=credential)
        assert (status, data["error"]["code"]) == (400, code), (method, path)
