"""POST /auth/password/forgot: a temporary password by SMS that only lets one choose a new one."""
from __future__ import annotations

import re

import pytest

from chalicelib import clock, settings
from testkit import ids
from tests.flows import (
    BIRTH_DATE, PASSWORD, break_sns, forgot, latest_code, login, messages_to, new_nid_cartable,
    new_sim_cartable, nid_login, own_device,
)

NEW = "chosen-New-pass-5"


def the_answer(api):
    """The one body every well-formed request gets."""
    status, data, _ = forgot(api, ids.national_id(), ids.msisdn())
    assert status == 202
    return data


def test_temporary_password_by_sms_to_an_active_sim_of_the_cartable(api):
    nid, msisdn, _ = new_nid_cartable(api)
    status, data, _ = forgot(api, nid, msisdn)
    assert status == 202 and data == the_answer(api)
    texts = messages_to(msisdn)
    assert len(texts) == 2  # the login code, then the temporary password
    temp = latest_code(msisdn)
    assert re.fullmatch(r"[A-Za-z0-9]{10,}", temp)
    assert "رمز عبور موقت" in texts[-1]


def test_gregorian_birth_date_names_the_same_day(api):
    nid, msisdn, _ = new_nid_cartable(api)  # registered with 1370/05/12
    forgot(api, nid, msisdn, birth_date="1991-08-03")
    assert len(messages_to(msisdn)) == 2


def test_temporary_password_only_lets_one_choose_a_new_password(api):
    nid, msisdn, old_session = new_nid_cartable(api)
    forgot(api, nid, msisdn)
    temp = latest_code(msisdn)
    status, data, _ = login(api, nid, temp)
    assert status == 200 and data["must_change_password"] is True
    token = data["token"]
    for method, path, body in [
        ("GET", "/me", None),
        ("GET", "/sims", None),
        ("GET", "/devices", None),
        ("POST", "/sims", {"msisdn": ids.msisdn()}),
        ("POST", "/auth/logout", None),
    ]:
        status, data, _ = api.call(method, path, body=body, token=token)
        assert status == 403 and data["error"]["code"] == "password_change_required", path
    # The old password keeps working until the new one is set...
    assert login(api, nid, PASSWORD)[0] == 200
    assert api.get("/me", token=old_session)[0] == 200
    status, _, _ = api.put("/me/password", {"old_password": temp, "new_password": NEW},
                           token=token)
    assert status == 204
    # ...then the old password, the temporary one and every other session are dead.
    assert login(api, nid, PASSWORD)[0] == 401
    assert login(api, nid, temp)[0] == 401
    assert api.get("/me", token=old_session)[0] == 401
    # This session lives on as an ordinary one.
    assert api.get("/me", token=token)[0] == 200
    assert login(api, nid, NEW)[1]["must_change_password"] is False


def test_wrong_old_password_in_the_temporary_session(api):
    nid, msisdn, _ = new_nid_cartable(api)
    forgot(api, nid, msisdn)
    token = login(api, nid, latest_code(msisdn))[1]["token"]
    status, data, _ = api.put(
        "/me/password", {"old_password": "not-the-Temp-1", "new_password": NEW}, token=token)
    assert status == 401 and data["error"]["code"] == "invalid_credentials"


def test_weak_new_password_in_the_temporary_session(api):
    nid, msisdn, _ = new_nid_cartable(api)
    forgot(api, nid, msisdn)
    temp = latest_code(msisdn)
    token = login(api, nid, temp)[1]["token"]
    status, data, _ = api.put("/me/password", {"old_password": temp, "new_password": nid},
                              token=token)
    assert status == 400 and data["error"]["code"] == "weak_password"


def test_temporary_password_expires(api):
    nid, msisdn, _ = new_nid_cartable(api)
    forgot(api, nid, msisdn)
    temp = latest_code(msisdn)
    clock.advance(settings.TEMP_PASSWORD_TTL_SECONDS + 1)
    status, data, _ = login(api, nid, temp)
    assert status == 401 and data["error"]["code"] == "invalid_credentials"
    assert login(api, nid, PASSWORD)[0] == 200


@pytest.mark.parametrize("case", ["unknown_id", "birth_date", "foreign_sim", "expired_sim",
                                  "unknown_sim"])
def test_no_sms_and_the_same_answer_when_a_condition_fails(api, case):
    nid, msisdn, _ = new_nid_cartable(api)
    target, national_id, birth_date = msisdn, nid, BIRTH_DATE
    if case == "unknown_id":
        national_id = ids.national_id()
        api.operator_sim(target, national_id)  # even a SIM the operator says is theirs
    elif case == "birth_date":
        birth_date = "1370/05/13"
    elif case == "foreign_sim":
        target = ids.msisdn()
        api.operator_sim(target, ids.national_id())
    elif case == "expired_sim":
        api.operator_sim(target, nid, status="expired")
    elif case == "unknown_sim":
        target = ids.msisdn()
    before = len(messages_to(target))
    status, data, _ = forgot(api, national_id, target, birth_date=birth_date)
    assert status == 202 and data == the_answer(api)
    assert len(messages_to(target)) == before


def test_a_cartable_with_an_active_sim_never_gains_a_new_one(api):
    nid, first, token = new_nid_cartable(api)
    new = ids.msisdn()
    api.operator_sim(new, nid)
    status, data, _ = forgot(api, nid, new)
    assert status == 202 and data == the_answer(api)
    assert messages_to(new) == []
    assert [s["msisdn"] for s in api.get("/sims", token=token)[1]["sims"]] == [first]


def test_a_cartable_with_no_active_sim_left_gains_the_new_one(api):
    nid, first, _ = new_nid_cartable(api)
    new, _, new_sim_token = new_sim_cartable(api, national_id=nid)
    imei = own_device(api, new_sim_token).imei
    api.operator_sim(first, ids.national_id())  # the only SIM changes hands
    status, data, _ = forgot(api, nid, new)
    assert status == 202 and data == the_answer(api)
    temp = latest_code(new)
    token = login(api, nid, temp)[1]["token"]
    assert api.put("/me/password", {"old_password": temp, "new_password": NEW},
                   token=token)[0] == 204
    assert api.get("/sims", token=token)[1]["sims"] == [
        {"msisdn": first, "status": "transferred"}, {"msisdn": new, "status": "active"}]
    devices = api.get("/devices", token=token)[1]["devices"]
    assert imei in [d["imeis"][0] for d in devices]


def test_sms_failure_changes_nothing(api, monkeypatch):
    nid, first, _ = new_nid_cartable(api)
    new = ids.msisdn()
    api.operator_sim(new, nid)
    api.operator_sim(first, nid, status="expired")
    tried = break_sns(monkeypatch)
    status, data, _ = forgot(api, nid, new)
    assert status == 202 and data == the_answer(api)
    assert len(tried) == 1
    monkeypatch.undo()
    token = nid_login(api, nid)
    # The new SIM did not join, and the password is unchanged.
    assert api.get("/sims", token=token)[1]["sims"] == [{"msisdn": first, "status": "expired"}]
    from chalicelib.store.people import PersonModel

    assert PersonModel.get(nid).temp_password_hash is None


def test_silent_cap_per_national_id(api):
    nid, msisdn, _ = new_nid_cartable(api)
    for _ in range(5):
        assert forgot(api, nid, msisdn)[0] == 202
    before = len(messages_to(msisdn))
    status, data, _ = forgot(api, nid, msisdn)
    assert status == 202 and data == the_answer(api)
    assert len(messages_to(msisdn)) == before


@pytest.mark.parametrize("field,value,code", [
    ("channel", "email", "invalid_request"),
    ("national_id", "12345", "invalid_national_id"),
    ("msisdn", "0211234567", "invalid_msisdn"),
    ("birth_date", "1370-05", "invalid_birth_date"),
    ("birth_date", 13700512, "invalid_request"),
])
def test_malformed_requests(api, field, value, code):
    body = {"national_id": ids.national_id(), "msisdn": ids.msisdn(),
            "birth_date": BIRTH_DATE, "channel": "sms", field: value}
    status, data, _ = api.post("/auth/password/forgot", body)
    assert status == 400 and data["error"]["code"] == code


def test_missing_channel_is_invalid_request(api):
    body = {"national_id": ids.national_id(), "msisdn": ids.msisdn(), "birth_date": BIRTH_DATE}
    assert api.post("/auth/password/forgot", body)[1]["error"]["code"] == "invalid_request"


def test_the_temporary_password_opens_one_session_only(api):
    nid, msisdn, _ = new_nid_cartable(api)
    forgot(api, nid, msisdn)
    temp = latest_code(msisdn)
    assert login(api, nid, temp)[0] == 200
    status, data, _ = login(api, nid, temp)
    assert (status, data["error"]["code"]) == (401, "invalid_credentials")
    # The old password still works until a new one is set.
    assert login(api, nid, PASSWORD)[0] == 200
    # A new reset gives a new temporary password, good for one session again.
    clock.advance(settings.OTP_RESEND_SECONDS)
    forgot(api, nid, msisdn)
    assert login(api, nid, latest_code(msisdn))[0] == 200


def test_only_sends_count_toward_the_daily_cap(api):
    """A stranger who knows a national ID cannot use up its owner's resets with wrong
    birth dates (issue 10 item 7)."""
    nid, msisdn, _ = new_nid_cartable(api)
    for _ in range(settings.FORGOT_MAX_PER_DAY * 3):
        assert forgot(api, nid, msisdn, birth_date="1360/01/01")[0] == 202
        assert forgot(api, nid, ids.msisdn())[0] == 202
    before = len(messages_to(msisdn))
    assert forgot(api, nid, msisdn)[0] == 202
    assert len(messages_to(msisdn)) == before + 1


def test_a_failed_sms_does_not_count_toward_the_cap(api, monkeypatch):
    nid, msisdn, _ = new_nid_cartable(api)
    break_sns(monkeypatch)
    for _ in range(settings.FORGOT_MAX_PER_DAY):
        forgot(api, nid, msisdn)
    monkeypatch.undo()
    before = len(messages_to(msisdn))
    forgot(api, nid, msisdn)
    assert len(messages_to(msisdn)) == before + 1


def test_the_password_is_stored_before_the_sms_leaves(api, monkeypatch):
    """A store that fails sends nothing: nobody holds a temporary password that does not
    work (issue 10 item 7). The fault is DynamoDB refusing the write."""
    from pynamodb.exceptions import PutError

    from chalicelib.store.people import PersonModel

    nid, msisdn, _ = new_nid_cartable(api)
    before = len(messages_to(msisdn))

    def refuse(self, *args, **kwargs):
        raise PutError("throttled")

    monkeypatch.setattr(PersonModel, "save", refuse)
    status, data, _ = forgot(api, nid, msisdn)
    monkeypatch.undo()
    assert status == 503 and data["error"]["code"] == "service_unavailable"
    assert len(messages_to(msisdn)) == before
    assert PersonModel.get(nid).temp_password_hash is None


def test_the_answer_follows_accept_language(api):
    nid, msisdn, _ = new_nid_cartable(api)
    for national_id in (nid, ids.national_id()):
        status, data, _ = api.post(
            "/auth/password/forgot",
            {"national_id": national_id, "msisdn": msisdn, "birth_date": BIRTH_DATE,
             "channel": "sms"},
            headers={"Accept-Language": "en-US,en;q=0.8"},
        )
        assert status == 202 and data["status"] == "accepted"
        assert data["message"].startswith("If the details are right")
    assert any("\u0600" <= ch <= "\u06ff" for ch in the_answer(api)["message"])


def test_a_jalali_birth_date_typed_with_dashes_works(api):
    nid, msisdn, _ = new_nid_cartable(api)  # registered with 1370/05/12
    forgot(api, nid, msisdn, birth_date="1370-05-12")
    assert len(messages_to(msisdn)) == 2
