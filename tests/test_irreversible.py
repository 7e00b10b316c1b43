"""Acts that cannot be undone (API.md): the password for a sale and a repair, and the reset hold."""
from __future__ import annotations

from chalicelib import clock, settings
from chalicelib.services.devices import devices as devices_service
from testkit import ids
from tests import flows
from tests.flows import PASSWORD, activated_device, latest_code, login, messages_to
from tests.flows import forgot


def sell(api, token, imei, password=None):
    body = {"password": password} if password is not None else None
    return api.post(f"/devices/{imei}/transfer", body, token=token)


def repair(api, token, imei, new, password=None):
    body = {"new_imei": new}
    if password is not None:
        body["password"] = password
    return api.post(f"/devices/{imei}/repair", body, token=token)


def error(response):
    status, data, _ = response
    return status, data["error"]["code"]


# --- The attack: a SIM code alone must not sell or repair away a national-ID cartable's phone.

def test_a_sim_session_cannot_sell_the_cartables_phone_without_its_password(api):
    msisdn, nid, sim_token = flows.linked_sim_cartable(api)
    imei = activated_device(api, sim_token)
    before = len(messages_to(msisdn))

    status, data, _ = sell(api, sim_token, imei)
    assert (status, data["error"]["code"], data["error"]["field"]) == (400, "invalid_request", "password")
    assert error(sell(api, sim_token, imei, "not-the-password")) == (401, "invalid_credentials")

    listed = api.get("/devices", token=sim_token)[1]["devices"]
    assert listed[0]["status"] == "active"  # nothing offered
    assert len(messages_to(msisdn)) == before  # and nothing sent
    status, data, _ = sell(api, sim_token, imei, PASSWORD)
    assert status == 201 and len(data["activation_code"]) == 6


def test_wrong_sale_and_repair_passwords_count_toward_the_login_lock(api):
    _, nid, sim_token = flows.linked_sim_cartable(api)
    imei = activated_device(api, sim_token)
    part = ids.imei()
    flows.register_part(api, part)
    for n in range(settings.LOGIN_MAX_FAILURES):
        if n % 2:
            assert error(sell(api, sim_token, imei, "wrong-guess-1")) == (401, "invalid_credentials")
        else:
            assert error(repair(api, sim_token, imei, part, "wrong-guess-2")) == (401, "invalid_credentials")
    # Locked: the right password too, here and at login.
    assert error(sell(api, sim_token, imei, PASSWORD)) == (429, "rate_limited")
    assert login(api, nid, PASSWORD)[0] == 429
    # Nothing was repaired: the part is still a part nobody used.
    assert api.get(f"/imei/{part}")[1]["source"] == "repair_part"
    assert api.get(f"/imei/{imei}")[1]["status"] == "registered"


def test_a_sim_session_repairs_only_with_the_password(api):
    _, _, sim_token = flows.linked_sim_cartable(api)
    imei = activated_device(api, sim_token)
    part = ids.imei()
    flows.register_part(api, part)
    status, data, _ = repair(api, sim_token, imei, part)
    assert (status, data["error"]["field"]) == (400, "password")
    assert error(repair(api, sim_token, imei, part, "wrong-password")) == (401, "invalid_credentials")
    assert api.get(f"/imei/{imei}")[1]["status"] == "registered"
    status, data, _ = repair(api, sim_token, imei, part, PASSWORD)
    assert status == 200 and data["device"]["imeis"] == [part]


def test_a_sim_in_no_national_id_cartable_is_told_to_make_one(api):
    _, _, token = flows.new_sim_cartable(api)
    imei = activated_device(api, token)
    part = ids.imei()
    flows.register_part(api, part)
    status, data, _ = sell(api, token, imei, PASSWORD)
    assert (status, data["error"]["code"]) == (409, "password_required")
    assert "کارتابل کد ملی" in data["error"]["message"]
    assert error(repair(api, token, imei, part, PASSWORD)) == (409, "password_required")


def test_a_national_id_session_has_proved_its_password(api):
    _, _, nid_token = flows.new_nid_cartable(api)
    imei = activated_device(api, nid_token)
    assert sell(api, nid_token, imei)[0] == 201
    other = activated_device(api, nid_token)
    assert sell(api, nid_token, other, "ignored, even wrong")[0] == 201


def test_the_checks_go_in_api_order(api):
    _, _, sim_token = flows.linked_sim_cartable(api)
    _, _, stranger = flows.linked_sim_cartable(api)
    imei = activated_device(api, sim_token)
    # Not the caller's: 404 before anything about a password.
    assert error(sell(api, stranger, imei)) == (404, "not_found")
    assert api.post(f"/devices/{imei}/block", {"reason": "lost"}, token=sim_token)[0] == 200
    # The password before device_blocked.
    assert error(sell(api, sim_token, imei, "wrong-password")) == (401, "invalid_credentials")
    assert error(sell(api, sim_token, imei, PASSWORD)) == (409, "device_blocked")


def test_an_offer_already_pending_answers_its_code_and_sends_nothing(api):
    msisdn, _, sim_token = flows.linked_sim_cartable(api)
    imei = activated_device(api, sim_token)
    first = flows.offer_sale(api, sim_token, imei)
    sent = len(messages_to(msisdn))
    clock.advance(60)
    again = flows.offer_sale(api, sim_token, imei)
    assert again == first
    assert len(messages_to(msisdn)) == sent
    # Cancelled, a new offer gets a new code.
    assert api.delete(f"/devices/{imei}/transfer", token=sim_token)[0] == 204
    assert flows.offer_sale(api, sim_token, imei)["expires_at"] != first["expires_at"]


# --- The reset hold.

def reset_and_sign_in(api, nid, msisdn):
    """Forgot-password, then the temporary password's first login: the hold starts."""
    forgot(api, nid, msisdn)
    status, data, _ = login(api, nid, latest_code(msisdn))
    assert status == 200 and data["must_change_password"]
    return data["token"]


def test_after_a_reset_no_sale_and_no_repair_for_the_hold(api):
    nid, msisdn, nid_token = flows.new_nid_cartable(api)
    imei, pending = activated_device(api, nid_token), activated_device(api, nid_token)
    assert sell(api, nid_token, pending)[0] == 201
    part = ids.imei()
    flows.register_part(api, part)
    temp_token = reset_and_sign_in(api, nid, msisdn)
    assert api.put("/me/password", {"old_password": latest_code(msisdn), "new_password": "a-New-pass-22"},
                   token=temp_token)[0] == 204
    token = flows.nid_login(api, nid, "a-New-pass-22")

    status, data, headers = sell(api, token, imei)
    assert (status, data["error"]["code"]) == (409, "reset_hold")
    assert 0 < data["retry_after"] <= settings.RESET_HOLD_SECONDS
    assert headers["Retry-After"] == str(data["retry_after"])
    assert error(repair(api, token, imei, part)) == (409, "reset_hold")
    # Cancelling a sale, blocking and unblocking stay open.
    assert api.delete(f"/devices/{pending}/transfer", token=token)[0] == 204
    assert api.post(f"/devices/{imei}/block", {"reason": "lost"}, token=token)[0] == 200
    assert api.call("DELETE", f"/devices/{imei}/block", body={"password": "a-New-pass-22"}, token=token)[0] == 200

    clock.advance(settings.RESET_HOLD_SECONDS + 1)
    token = flows.nid_login(api, nid, "a-New-pass-22")  # the session has ended meanwhile
    assert sell(api, token, imei)[0] == 201


def test_a_reset_only_asked_for_freezes_nothing(api):
    nid, msisdn, nid_token = flows.new_nid_cartable(api)
    imei = activated_device(api, nid_token)
    forgot(api, nid, msisdn)  # a stranger who knows the birth date, with no SIM of the cartable
    assert sell(api, nid_token, imei)[0] == 201


def test_a_reset_that_adds_a_sim_holds_at_once(api):
    nid, msisdn, nid_token = flows.new_nid_cartable(api)
    imei = activated_device(api, nid_token)
    api.operator_sim(msisdn, nid, status="expired")  # the cartable's only SIM is gone
    new = ids.msisdn()
    api.operator_sim(new, nid)
    forgot(api, nid, new)
    assert [s["msisdn"] for s in api.get("/sims", token=nid_token)[1]["sims"]].count(new) == 1
    assert error(sell(api, nid_token, imei)) == (409, "reset_hold")


def test_a_reset_landing_between_a_sales_read_and_its_write_stops_the_sale(api, monkeypatch):
    """The race, made certain: the hold begins after the sale has read the person."""
    nid, msisdn, nid_token = flows.new_nid_cartable(api)
    imei = activated_device(api, nid_token)
    forgot(api, nid, msisdn)
    temp = latest_code(msisdn)
    real_commit = devices_service.commit_move
    landed = []

    def reset_first(*args, **kwargs):
        if not landed:
            landed.append(login(api, nid, temp)[0])  # the temporary password's first use
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(devices_service, "commit_move", reset_first)
    assert error(sell(api, nid_token, imei)) == (409, "reset_hold")
    assert landed == [200]
    assert api.get("/devices", token=nid_token)[1]["devices"][0]["status"] == "active"
