"""POST /auth/login: national ID + password + captcha, the failure lock, no enumeration."""
from __future__ import annotations

import pytest

from chalicelib import clock, passwords, settings
from testkit import ids
from tests.flows import PASSWORD, captcha, login, new_nid_cartable


def test_right_password_opens_the_cartable(api):
    nid, msisdn, _ = new_nid_cartable(api)
    status, data, _ = login(api, nid)
    assert status == 200, data
    assert data["cartable"] == {"kind": "national_id", "national_id": nid}
    assert data["must_change_password"] is False
    assert data["expires_in"] == settings.SESSION_TTL_SECONDS
    status, me, _ = api.get("/me", token=data["token"])
    assert status == 200 and me["cartable"]["national_id"] == nid


def test_unknown_id_and_wrong_password_answer_the_same(api):
    nid, _, _ = new_nid_cartable(api)
    s1, wrong_pw, h1 = login(api, nid, "not-the-Password-9")
    s2, unknown, h2 = login(api, ids.national_id(), "not-the-Password-9")
    assert s1 == s2 == 401
    assert wrong_pw == unknown
    assert wrong_pw["error"]["code"] == "invalid_credentials"


def test_unknown_id_spends_the_same_argon2_work(api, monkeypatch):
    """Timing class: an unknown ID runs the same number of argon2 verifications."""
    nid, _, _ = new_nid_cartable(api)
    hasher = passwords._hasher()
    counted = []
    real_verify = type(hasher).verify

    def counting(self, *a, **kw):
        counted.append(1)
        return real_verify(self, *a, **kw)

    monkeypatch.setattr(type(hasher), "verify", counting)
    login(api, nid, "not-the-Password-9")
    known = len(counted)
    counted.clear()
    login(api, ids.national_id(), "not-the-Password-9")
    assert known >= 1 and len(counted) == known


def test_lock_after_max_failures_even_for_the_right_password(api):
    nid, _, _ = new_nid_cartable(api)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert login(api, nid, "wrong-Password-1")[0] == 401
    status, data, headers = login(api, nid)
    assert status == 429 and data["error"]["code"] == "rate_limited"
    retry = int(headers["Retry-After"])
    assert 0 < retry <= settings.LOGIN_LOCK_SECONDS and data["retry_after"] == retry
    clock.advance(settings.LOGIN_LOCK_SECONDS - 10)
    assert login(api, nid)[0] == 429
    clock.advance(11)
    assert login(api, nid)[0] == 200


def test_unknown_ids_lock_too(api, set_env):
    set_env(LOGIN_MAX_FAILURES=3)
    nid = ids.national_id()
    for _ in range(3):
        assert login(api, nid, "whatever-Pass-1")[0] == 401
    status, data, _ = login(api, nid, "whatever-Pass-1")
    assert status == 429 and data["error"]["code"] == "rate_limited"


def test_success_resets_the_failure_count(api):
    nid, _, _ = new_nid_cartable(api)
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        login(api, nid, "wrong-Password-1")
    assert login(api, nid)[0] == 200
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        assert login(api, nid, "wrong-Password-1")[0] == 401
    assert login(api, nid)[0] == 200


def test_lock_is_per_national_id(api):
    a, _, _ = new_nid_cartable(api)
    b, _, _ = new_nid_cartable(api)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        login(api, a, "wrong-Password-1")
    assert login(api, a)[0] == 429
    assert login(api, b)[0] == 200


def test_captcha_is_checked_before_the_password(api):
    nid, _, _ = new_nid_cartable(api)
    captcha_id, answer = captcha(api)
    status, data, _ = api.post(
        "/auth/login",
        {"national_id": nid, "password": PASSWORD, "captcha_id": captcha_id,
         "captcha_answer": str(int(answer) + 1)},
    )
    assert status == 400 and data["error"]["code"] == "captcha_invalid"
    # A bad captcha is no failed login: the lock is untouched.
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        login(api, nid, "wrong-Password-1")
    assert login(api, nid)[0] == 200


def test_login_needs_a_captcha(api):
    nid, _, _ = new_nid_cartable(api)
    status, data, _ = api.post("/auth/login", {"national_id": nid, "password": PASSWORD})
    assert status == 400 and data["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("nid", ["123", "1111111111", "0010000001"])
def test_malformed_national_id(api, nid):
    captcha_id, answer = captcha(api)
    status, data, _ = api.post(
        "/auth/login",
        {"national_id": nid, "password": PASSWORD, "captcha_id": captcha_id,
         "captcha_answer": answer},
    )
    assert status == 400 and data["error"]["code"] == "invalid_national_id"


def test_oversized_password_is_invalid_request(api):
    nid, _, _ = new_nid_cartable(api)
    status, data, _ = login(api, nid, "x" * 1000)
    assert status == 400 and data["error"]["code"] == "invalid_request"


def test_password_hashes_are_argon2id_with_owasp_parameters(api):
    from chalicelib.store.people import PersonModel

    nid, _, _ = new_nid_cartable(api)
    stored = PersonModel.get(nid).password_hash
    assert stored.startswith("$argon2id$")
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and int(params["p"]) == 1
    assert PASSWORD not in stored
