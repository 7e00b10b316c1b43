"""Sessions the owner can end (API.md "National-ID cartable", issue 10 item 5)."""
from __future__ import annotations

from testkit import ids
from tests.flows import (
    PASSWORD,
    activate_new_device,
    add_sim,
    new_nid_cartable,
    new_sim_cartable,
    nid_login,
    register_cartable,
    sim_login,
)


def test_delete_me_sessions_ends_every_session_of_a_national_id_cartable(api):
    msisdn, nid, sim_token = new_sim_cartable(api)
    register_cartable(api, sim_token, nid)
    first, second = nid_login(api, nid), nid_login(api, nid)
    assert api.delete("/me/sessions", token=first)[0] == 204
    for token in (first, second, sim_token):
        status, data, _ = api.get("/me", token=token)
        assert (status, data["error"]["code"]) == (401, "unauthorized")
    # The cartable itself is fine: new sessions open.
    assert api.get("/me", token=nid_login(api, nid))[0] == 200
    assert api.get("/me", token=sim_login(api, msisdn))[0] == 200


def test_delete_me_sessions_from_a_sim_session_ends_that_sims_sessions_only(api):
    msisdn, _, token = new_sim_cartable(api)
    other = sim_login(api, msisdn)
    _, _, stranger = new_sim_cartable(api)
    assert api.delete("/me/sessions", token=token)[0] == 204
    assert api.get("/me", token=token)[0] == 401
    assert api.get("/me", token=other)[0] == 401
    assert api.get("/me", token=stranger)[0] == 200


def test_a_temporary_password_session_cannot_end_sessions(api):
    from tests.flows import forgot_and_login_with_temp

    token = forgot_and_login_with_temp(api)
    status, data, _ = api.delete("/me/sessions", token=token)
    assert (status, data["error"]["code"]) == (403, "password_change_required")


def test_removing_a_sim_ends_its_sim_login_sessions(api):
    """The reported case: after DELETE /sims/{msisdn}, an older SIM-login session of that
    SIM still offered a device of the national-ID cartable for sale."""
    nid, first, nid_token = new_nid_cartable(api)
    second, _, _ = new_sim_cartable(api, national_id=nid)
    add_sim(api, nid_token, second)
    old_session = sim_login(api, second)
    status, imei = activate_new_device(api, nid_token, second)
    assert status == 201
    assert api.delete(f"/sims/{second}", token=nid_token)[0] == 204
    status, _, _ = api.post(f"/devices/{imei}/transfer", token=old_session)
    assert status == 401
    # The SIM's holder signs in again: an ordinary SIM cartable, without the device.
    fresh = sim_login(api, second)
    status, data, _ = api.get("/devices", token=fresh)
    assert status == 200 and data["devices"] == []
    assert api.get("/me", token=nid_token)[0] == 200


def test_a_password_change_ends_other_sessions_but_not_strangers(api):
    nid, msisdn, token = new_nid_cartable(api)
    other_nid, other_msisdn, other_token = new_nid_cartable(api)
    old_sim_session = sim_login(api, msisdn)
    status, _, _ = api.put(
        "/me/password", {"old_password": PASSWORD, "new_password": "new-Strong-pass-2"}, token=token
    )
    assert status == 204
    assert api.get("/me", token=token)[0] == 200
    assert api.get("/me", token=old_sim_session)[0] == 401
    assert api.get("/me", token=other_token)[0] == 200
    assert ids.msisdn()  # keeps the id counter moving like the other tests
