"""Lost or stolen (API.md "Lost or stolen"): block and unblock from the cartable."""
from __future__ import annotations

import pytest

from chalicelib.store import enforcement_log
from testkit import ids
from tests import flows
from tests.conftest import sms_sent


def block(api, token, imei, reason="lost"):
    return api.post(f"/devices/{imei}/block", {"reason": reason}, token=token)


def unblock(api, token, imei, password=None):
    body = {"password": password} if password is not None else None
    return api.call("DELETE", f"/devices/{imei}/block", body=body, token=token)


def texts_to(msisdn):
    from chalicelib.identifiers import to_e164

    return [text for number, text in sms_sent() if number == to_e164(msisdn)]


def log_entries():
    return enforcement_log.page(None)[0]


def test_a_sim_cartable_blocks_its_lost_phone(api):
    msisdn, _, token = flows.new_sim_cartable(api)
    imei, imei2, _ = flows.own_device(api, token, dual=True)
    before = len(texts_to(msisdn))

    status, data, _ = block(api, token, imei2, "stolen")  # either IMEI names the device

    assert status == 200, data
    assert data["device"]["status"] == "blocked" and data["device"]["block_reason"] == "stolen"
    assert data["device"]["imeis"] == [imei, imei2]
    listed = api.get("/devices", token=token)[1]["devices"]
    assert listed[0]["status"] == "blocked"
    for typed in (imei, imei2):
        assert api.get(f"/imei/{typed}")[1]["status"] == "blocked"
    entries = log_entries()
    assert [(e["imei"], e["action"], e["reason"]) for e in entries] == [
        (imei, "block", "stolen"), (imei2, "block", "stolen"),
    ]
    assert all("msisdn" not in e for e in entries)  # IMEI-wide
    notices = texts_to(msisdn)[before:]
    assert len(notices) == 1 and imei in notices[0] and "سرقت" in notices[0]
    history = api.get(f"/devices/{imei}/history", token=token)[1]["events"]
    assert history[-1]["type"] == "blocked"


def test_blocking_again_changes_nothing(api):
    _, _, token = flows.new_sim_cartable(api)
    imei, _, _ = flows.own_device(api, token)
    assert block(api, token, imei)[0] == 200
    status, data, _ = block(api, token, imei, "stolen")
    assert status == 200 and data["device"]["block_reason"] == "lost"
    assert len(log_entries()) == 1


def test_imeis_in_persian_digits_and_bad_input(api):
    _, _, token = flows.new_sim_cartable(api)
    imei, _, _ = flows.own_device(api, token)
    persian = imei.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    for reason in ("broken", "", 1, None):
        status, data, _ = api.post(f"/devices/{imei}/block", {"reason": reason}, token=token)
        assert (status, data["error"]["code"]) == (400, "invalid_request"), reason
    assert api.post(f"/devices/{imei}/block", {}, token=token)[0] == 400
    status, data, _ = block(api, token, "123456789012345")
    assert (status, data["error"]["code"]) == (400, "invalid_imei")
    assert block(api, token, persian)[0] == 200
    assert block(api, None, imei)[0] == 401


def test_nobody_else_can_block_or_unblock_it(api):
    _, _, owner = flows.new_sim_cartable(api)
    _, _, stranger = flows.new_sim_cartable(api)
    imei, _, _ = flows.own_device(api, owner)
    unknown = ids.imei()
    for typed in (imei, unknown):
        status, data, _ = block(api, stranger, typed)
        assert (status, data["error"]["code"]) == (404, "not_found")
    block(api, owner, imei)
    status, data, _ = unblock(api, stranger, imei)
    assert (status, data["error"]["code"]) == (404, "not_found")
    assert api.get(f"/imei/{imei}")[1]["status"] == "blocked"


def test_a_blocked_device_cannot_be_sold_activated_recovered_or_repaired(api):
    msisdn, nid, token = flows.linked_sim_cartable(api)
    imei, _, code = flows.own_device(api, token)
    block(api, token, imei)
    # Its holder hears why.
    status, data, _ = api.post(f"/devices/{imei}/transfer", flows.SALE, token=token)
    assert (status, data["error"]["code"]) == (409, "device_blocked")
    status, data, _ = api.post("/devices/activate", {"imei": imei, "activation_code": code}, token=token)
    assert (status, data["error"]["code"]) == (409, "device_blocked")
    status, data, _ = api.post(f"/devices/{imei}/repair", {"new_imei": ids.imei(), **flows.SALE}, token=token)
    assert (status, data["error"]["code"]) == (409, "device_blocked")
    status, data, _ = api.post("/devices", {"imei": imei}, token=token)
    assert (status, data["error"]["code"]) == (409, "device_blocked")
    # Anyone else hears nothing.
    _, _, other = flows.new_sim_cartable(api)
    status, data, _ = api.post("/devices/activate", {"imei": imei, "activation_code": code}, token=other)
    assert (status, data["error"]["code"]) == (404, "not_found")
    status, data, _ = api.post("/devices", {"imei": imei, "previous_msisdn": msisdn}, token=other)
    assert (status, data["error"]["code"]) == (404, "not_found")


def test_a_blocked_device_awaiting_recovery_is_not_recovered(api):
    msisdn, nid, token = flows.new_sim_cartable(api)
    imei, _, _ = flows.own_device(api, token)
    block(api, token, imei)
    # The number changes hands; the old holder comes back with a new SIM.
    api.operator_sim(msisdn, ids.national_id())
    new_msisdn, _, new_token = flows.new_sim_cartable(api, national_id=nid)
    status, data, _ = api.post("/devices", {"imei": imei, "previous_msisdn": msisdn}, token=new_token)
    assert (status, data["error"]["code"]) == (409, "device_blocked")
    _, _, stranger = flows.new_sim_cartable(api)
    status, data, _ = api.post("/devices", {"imei": imei, "previous_msisdn": msisdn}, token=stranger)
    assert (status, data["error"]["code"]) == (404, "not_found")


def test_a_block_kills_a_live_sale(api):
    _, _, seller = flows.new_nid_cartable(api)
    imei, _, code = flows.own_device(api, seller)
    offer = api.post(f"/devices/{imei}/transfer", token=seller)[1]
    status, data, _ = block(api, seller, imei)
    assert data["device"]["activation_code"] == code  # the code shown before the offer
    _, _, buyer = flows.new_sim_cartable(api)
    status, data, _ = api.post(
        "/devices/activate", {"imei": imei, "activation_code": offer["activation_code"]}, token=buyer
    )
    assert (status, data["error"]["code"]) == (404, "not_found")
    # Unblocked, it is simply active again: the dead sale does not come back.
    assert unblock(api, seller, imei, flows.PASSWORD)[1]["device"]["status"] == "active"
    status, _, _ = api.post(
        "/devices/activate", {"imei": imei, "activation_code": offer["activation_code"]}, token=buyer
    )
    assert status == 404


def test_a_sim_cartable_unblocks_without_a_password(api):
    msisdn, _, token = flows.new_sim_cartable(api)
    imei, imei2, _ = flows.own_device(api, token, dual=True)
    block(api, token, imei, "lost")
    before = len(texts_to(msisdn))
    status, data, _ = unblock(api, token, imei)
    assert status == 200 and data["device"]["status"] == "active"
    assert "block_reason" not in data["device"]
    assert api.get(f"/imei/{imei}")[1]["status"] == "registered"
    assert [(e["imei"], e["action"], e["reason"]) for e in log_entries()[2:]] == [
        (imei, "unblock", "lost"), (imei2, "unblock", "lost"),
    ]
    assert len(texts_to(msisdn)) == before + 1
    # Unblocked, it is active again (a sale needs a national-ID cartable's password).
    assert api.get("/devices", token=token)[1]["devices"][0]["status"] == "active"
    types = [e["type"] for e in api.get(f"/devices/{imei}/history", token=token)[1]["events"]]
    assert types[-2:] == ["blocked", "unblocked"]


def test_a_national_id_cartable_unblocks_only_with_its_password(api, set_env):
    set_env(LOGIN_MAX_FAILURES=3)
    nid, first, token = flows.new_nid_cartable(api)
    second = ids.msisdn()
    api.operator_sim(second, nid)
    flows.add_sim(api, token, second)
    imei, _, _ = flows.own_device(api, token)
    status, data, _ = block(api, token, imei, "stolen")
    assert status == 200
    # Every active SIM of the cartable is told.
    assert any(imei in t for t in texts_to(first)) and any(imei in t for t in texts_to(second))
    # The SIM's own session sees the device but may not free it.
    sim_token = flows.sim_login(api, first)
    status, data, _ = unblock(api, sim_token, imei)
    assert (status, data["error"]["code"]) == (403, "forbidden")
    status, data, _ = unblock(api, token, imei)
    assert (status, data["error"]["code"]) == (401, "invalid_credentials")
    for _ in range(3):
        status, data, _ = unblock(api, token, imei, "wrong-password-1")
        assert (status, data["error"]["code"]) == (401, "invalid_credentials")
    # The wrong ones counted toward the login lock: login too is locked now.
    assert flows.login(api, nid)[0] == 429
    status, data, _ = unblock(api, token, imei, flows.PASSWORD)
    assert (status, data["error"]["code"]) == (429, "rate_limited")
    assert api.get(f"/imei/{imei}")[1]["status"] == "blocked"


def test_the_right_password_unblocks_and_tells_every_sim(api):
    nid, first, token = flows.new_nid_cartable(api)
    second = ids.msisdn()
    api.operator_sim(second, nid)
    flows.add_sim(api, token, second)
    imei, _, _ = flows.own_device(api, token)
    block(api, token, imei)
    counts = len(texts_to(first)), len(texts_to(second))
    status, data, _ = unblock(api, token, imei, flows.PASSWORD)
    assert status == 200 and data["device"]["status"] == "active"
    assert (len(texts_to(first)), len(texts_to(second))) == (counts[0] + 1, counts[1] + 1)


def test_blocked_from_a_sim_session_of_a_national_id_cartable_needs_the_password(api):
    nid, msisdn, token = flows.new_nid_cartable(api)
    imei, _, _ = flows.own_device(api, token)
    sim_token = flows.sim_login(api, msisdn)
    assert block(api, sim_token, imei)[0] == 200  # whoever holds the SIM may raise the alarm
    assert unblock(api, sim_token, imei)[0] == 403
    assert unblock(api, token, imei, flows.PASSWORD)[0] == 200


def test_sms_down_does_not_stop_a_block(api, monkeypatch):
    _, _, token = flows.new_sim_cartable(api)
    imei, _, _ = flows.own_device(api, token)
    tried = flows.break_sns(monkeypatch)
    status, data, _ = block(api, token, imei)
    assert status == 200 and data["device"]["status"] == "blocked" and tried
    assert api.get(f"/imei/{imei}")[1]["status"] == "blocked"
    assert len(log_entries()) == 1


def test_a_failed_transaction_leaves_the_device_and_the_log_whole(api, monkeypatch):
    from pynamodb.connection import Connection

    _, _, token = flows.new_sim_cartable(api)
    imei, _, _ = flows.own_device(api, token)

    def throttled(self, *args, **kwargs):
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}},
                          "TransactWriteItems")

    monkeypatch.setattr(Connection, "transact_write_items", throttled)
    status, data, _ = block(api, token, imei)
    assert (status, data["error"]["code"]) == (503, "service_unavailable")
    monkeypatch.undo()
    assert api.get(f"/imei/{imei}")[1]["status"] == "registered"
    assert log_entries() == []


@pytest.mark.parametrize("reason", ["lost", "stolen"])
def test_both_reasons_reach_the_log(api, reason):
    _, _, token = flows.new_sim_cartable(api)
    imei, _, _ = flows.own_device(api, token)
    block(api, token, imei, reason)
    assert log_entries()[-1]["reason"] == reason
