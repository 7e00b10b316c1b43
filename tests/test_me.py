"""GET /me and POST /auth/logout, for both kinds of cartable."""
from __future__ import annotations

from chalicelib import clock, settings
from testkit import ids
from tests.flows import new_nid_cartable, new_sim_cartable, nid_login, sim_login


def test_me_of_a_sim_cartable(api):
    msisdn, _, token = new_sim_cartable(api)
    status, data, _ = api.get("/me", token=token)
    assert status == 200
    # in_national_id_cartable: the page offers a national-ID cartable only to a SIM in none.
    assert data == {"cartable": {"kind": "sim", "msisdn": msisdn, "in_national_id_cartable": False},
                    "sims": [{"msisdn": msisdn, "status": "active"}]}


def test_me_of_a_sim_cartable_whose_sim_expired(api):
    msisdn, nid, token = new_sim_cartable(api)
    api.operator_sim(msisdn, nid, status="expired")
    status, data, _ = api.get("/me", token=token)
    assert status == 200 and data["sims"] == [{"msisdn": msisdn, "status": "expired"}]


def test_me_of_an_unknown_sim(api):
    msisdn = ids.msisdn()
    status, data, _ = api.get("/me", token=sim_login(api, msisdn))
    assert status == 200 and data["sims"] == [{"msisdn": msisdn, "status": "active"}]


def test_me_of_a_national_id_cartable_lists_every_sim_with_its_status(api):
    nid, first, token = new_nid_cartable(api)
    from tests.flows import add_sim

    second = ids.msisdn()
    api.operator_sim(second, nid)
    add_sim(api, token, second)
    api.operator_sim(second, ids.national_id())  # the second number changes hands
    status, data, _ = api.get("/me", token=token)
    assert status == 200
    assert data["cartable"] == {"kind": "national_id", "national_id": nid}
    assert data["sims"] == [{"msisdn": first, "status": "active"},
                            {"msisdn": second, "status": "transferred"}]


def test_me_without_or_with_a_bad_token_is_401(api):
    assert api.get("/me")[1]["error"]["code"] == "unauthorized"
    assert api.get("/me", token="made-up")[1]["error"]["code"] == "unauthorized"
    assert api.get("/me", headers={"Authorization": "Basic abc"})[0] == 401


def test_session_expires(api):
    _, _, token = new_sim_cartable(api)
    clock.advance(settings.SESSION_TTL_SECONDS + 1)
    assert api.get("/me", token=token)[0] == 401


def test_logout_kills_the_token_at_once(api):
    _, _, token = new_sim_cartable(api)
    status, body, _ = api.post("/auth/logout", token=token)
    assert status == 204
    assert api.get("/me", token=token)[0] == 401
    assert api.post("/auth/logout", token=token)[0] == 401


def test_logout_of_a_national_id_session_leaves_the_others(api):
    nid, _, token = new_nid_cartable(api)
    other = nid_login(api, nid)
    assert api.post("/auth/logout", token=token)[0] == 204
    assert api.get("/me", token=token)[0] == 401
    assert api.get("/me", token=other)[0] == 200


def test_logout_without_token_is_401(api):
    assert api.post("/auth/logout")[0] == 401


def test_wrong_kind_of_cartable_is_403_forbidden(api):
    _, _, sim_token = new_sim_cartable(api)
    for method, path, body in [
        ("GET", "/sims", None),
        ("POST", "/sims", {"msisdn": ids.msisdn()}),
        ("POST", "/sims/verify", {"msisdn": ids.msisdn(), "code": "123456"}),
        ("DELETE", f"/sims/{ids.msisdn()}", None),
        ("PUT", "/me/password", {"old_password": "a-Strong-pass-1", "new_password": "x-New-pass-2"}),
    ]:
        status, data, _ = api.call(method, path, body=body, token=sim_token)
        assert status == 403 and data["error"]["code"] == "forbidden", (path, data)


def test_me_of_a_sim_says_when_it_is_in_a_national_id_cartable(api):
    from tests.flows import register_cartable

    msisdn, national_id, token = new_sim_cartable(api)
    register_cartable(api, token, national_id)
    status, data, _ = api.get("/me", token=token)
    assert status == 200 and data["cartable"]["in_national_id_cartable"] is True
