"""A SIM's life as people see it through the API: changing hands, expiring, being reissued,
with the expiry job (expire_sims) running in between, time moved by the clock.

User guide (بازیابی اطلاعات سیم کارت واگذار شده): a SIM cartable's devices leave when its SIM
expires or changes hands and await recovery with the old number; a national-ID cartable
with two SIMs keeps everything; one whose only SIM died is reached again through
forgot-password (فراموشی رمز کارتابل کد ملی), which may add a new SIM to it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib import clock
from testkit import ids
from tests.conftest import sms_sent
from tests.flows import (
    BIRTH_DATE,
    activated_device,
    add_sim,
    latest_code,
    login,
    new_nid_cartable,
    nid_login,
    sim_login,
)
from tests.expiry_flows import invoke, one_aws_call_at_a_time  # noqa: F401 (fixture)

HOUR = 3600
DAY = 24 * HOUR


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def operator(api, msisdn: str, nid: str, expires_in: float | None = 30 * DAY, status="active"):
    status_code, data, _ = api.operator_sim(
        msisdn, nid, status, iso(clock.now() + expires_in) if expires_in else None
    )
    assert status_code == 200, data



def devices(api, token: str) -> list[str]:
    status, data, _ = api.get("/devices", token=token)
    assert status == 200, data
    return [d["imeis"][0] for d in data["devices"]]


def sims(api, nid_token: str) -> dict[str, str]:
    status, data, _ = api.get("/sims", token=nid_token)
    assert status == 200, data
    return {row["msisdn"]: row["status"] for row in data["sims"]}


def history(api, token: str, imei: str) -> list[str]:
    status, data, _ = api.get(f"/devices/{imei}/history", token=token)
    assert status == 200, data
    return [event["type"] for event in data["events"]]


def test_a_number_that_changed_hands_opens_empty_for_its_new_holder_at_once(api):
    msisdn, old_nid, new_nid = ids.msisdn(), ids.national_id(), ids.national_id()
    operator(api, msisdn, old_nid)
    old_token = sim_login(api, msisdn)
    imei = activated_device(api, old_token)

    operator(api, msisdn, new_nid)  # the number changes hands; no job has run

    assert api.get("/devices", token=old_token)[0] == 401  # the old SIM session is over
    new_token = sim_login(api, msisdn)
    assert devices(api, new_token) == []
    # The old holder, on another number of theirs, is asked for the old number.
    other = ids.msisdn()
    operator(api, other, old_nid)
    other_token = sim_login(api, other)
    status, data, _ = api.post("/devices", {"imei": imei}, token=other_token)
    assert (status, data["error"]["code"]) == (409, "previous_msisdn_required")

    report = invoke(api.client)

    assert report["tidied"] == 1 and report["devices_awaiting_recovery"] == 1
    assert devices(api, new_token) == []
    # The new holder cannot take the device, even naming the number.
    status, _, _ = api.post("/devices", {"imei": imei, "previous_msisdn": msisdn}, token=new_token)
    assert status == 404
    status, data, _ = api.post(
        "/devices", {"imei": imei, "previous_msisdn": msisdn}, token=other_token
    )
    assert status == 201, data
    assert devices(api, other_token) == [imei]
    assert history(api, other_token, imei)[-2:] == ["detached", "recovered"]


def test_a_sim_expiring_and_reissued_to_a_new_holder_between_two_runs(api):
    msisdn, old_nid, new_nid = ids.msisdn(), ids.national_id(), ids.national_id()
    operator(api, msisdn, old_nid, expires_in=HOUR)
    old_token = sim_login(api, msisdn)
    imei = activated_device(api, old_token)
    invoke(api.client)  # the job has been running
    clock.advance(2 * HOUR)

    first = invoke(api.client)
    assert first["expired"] == 1 and first["devices_awaiting_recovery"] == 1

    clock.advance(HOUR)
    operator(api, msisdn, new_nid)  # the operator reissues the number
    new_token = sim_login(api, msisdn)
    assert devices(api, new_token) == []
    fresh = activated_device(api, new_token)

    second = invoke(api.client)

    assert second["expired"] == 0 and second["tidied"] == 0
    assert devices(api, new_token) == [fresh]
    other = ids.msisdn()
    operator(api, other, old_nid)
    other_token = sim_login(api, other)
    status, data, _ = api.post(
        "/devices", {"imei": imei, "previous_msisdn": msisdn}, token=other_token
    )
    assert status == 201, data
    assert history(api, other_token, imei).count("detached") == 1


def test_a_national_id_cartable_with_two_sims_keeps_everything_when_one_expires(api):
    nid, first, nid_token = new_nid_cartable(api)
    operator(api, first, nid, expires_in=HOUR)  # the first SIM will expire
    second = ids.msisdn()
    operator(api, second, nid)
    add_sim(api, nid_token, second)
    on_first = activated_device(api, nid_token, msisdn=first)
    on_second = activated_device(api, nid_token, msisdn=second)
    invoke(api.client)
    clock.advance(2 * HOUR)

    report = invoke(api.client)

    assert report["expired"] == 1 and report["devices_kept"] == 1
    nid_token = nid_login(api, nid)
    assert sorted(devices(api, nid_token)) == sorted([on_first, on_second])
    assert sims(api, nid_token) == {first: "expired", second: "active"}
    status, data, _ = api.post(
        "/devices/activate",
        {"imei": ids.imei(), "activation_code": "000000", "msisdn": first},
        token=nid_token,
    )
    assert status in (404, 409)  # never onto the expired SIM
    # Nothing to recover: the device never left the national-ID cartable.
    status, data, _ = api.post("/devices", {"imei": on_first}, token=nid_token)
    assert (status, data["error"]["code"]) == (409, "already_in_cartable")


def test_a_national_id_cartable_whose_only_sim_expired_comes_back_through_forgot_password(api):
    nid, only, nid_token = new_nid_cartable(api)
    operator(api, only, nid, expires_in=HOUR)
    imei = activated_device(api, nid_token)
    invoke(api.client)
    clock.advance(2 * HOUR)
    report = invoke(api.client)
    assert report["expired"] == 1 and report["devices_kept"] == 1

    # The password still opens the cartable, which still holds the device.
    nid_token = nid_login(api, nid)
    assert devices(api, nid_token) == [imei]
    assert sims(api, nid_token) == {only: "expired"}
    # A new SIM joins only through forgot-password, not through POST /sims.
    new = ids.msisdn()
    operator(api, new, nid)
    sent = len(sms_sent())
    status, data, _ = api.post("/sims", {"msisdn": new}, token=nid_token)
    assert (status, data["error"]["code"]) == (409, "no_active_sim")
    assert len(sms_sent()) == sent
    assert new not in sims(api, nid_token)

    status, _, _ = api.post(
        "/auth/password/forgot",
        {"national_id": nid, "msisdn": new, "birth_date": BIRTH_DATE, "channel": "sms"},
    )
    assert status == 202
    temporary = latest_code(new)
    status, data, _ = login(api, nid, temporary)
    assert status == 200 and data["must_change_password"] is True
    status, _, _ = api.put(
        "/me/password",
        {"old_password": temporary, "new_password": "another-Strong-2"},
        token=data["token"],
    )
    assert status == 204
    nid_token = nid_login(api, nid, "another-Strong-2")
    assert sims(api, nid_token) == {only: "expired", new: "active"}
    assert devices(api, nid_token) == [imei]
