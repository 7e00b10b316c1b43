"""PUT /me/password: a new password ends every other session of the cartable."""
from __future__ import annotations

import pytest

from chalicelib import settings
from tests.flows import PASSWORD, login, new_nid_cartable, nid_login, new_sim_cartable

NEW = "brand-New-pass-7"


def change(api, token, old, new):
    return api.put("/me/password", {"old_password": old, "new_password": new}, token=token)


def test_change_password(api):
    nid, _, token = new_nid_cartable(api)
    status, body, _ = change(api, token, PASSWORD, NEW)
    assert status == 204
    assert login(api, nid, PASSWORD)[0] == 401
    assert login(api, nid, NEW)[0] == 200


def test_every_other_session_ends_this_one_lives(api):
    nid, _, token = new_nid_cartable(api)
    other = nid_login(api, nid)
    assert change(api, token, PASSWORD, NEW)[0] == 204
    assert api.get("/me", token=other)[0] == 401
    assert api.get("/me", token=token)[0] == 200
    # And sessions opened afterwards work.
    assert api.get("/me", token=nid_login(api, nid, NEW))[0] == 200


def test_a_password_change_ends_the_sim_login_sessions_of_its_sims(api):
    """API.md (issue 10 item 5): an older SIM-login session of the cartable's SIM no longer
    reaches the cartable's devices after a password change; a new SIM login works.
    (This test asserted the opposite before API.md changed.)"""
    msisdn, nid, sim_token = new_sim_cartable(api)
    from tests.flows import register_cartable, sim_login

    register_cartable(api, sim_token, nid)
    token = nid_login(api, nid)
    assert change(api, token, PASSWORD, NEW)[0] == 204
    assert api.get("/me", token=sim_token)[0] == 401
    assert api.get("/devices", token=sim_token)[0] == 401
    assert api.get("/me", token=sim_login(api, msisdn))[0] == 200


def test_wrong_old_password_is_401(api):
    nid, _, token = new_nid_cartable(api)
    status, data, _ = change(api, token, "not-the-Old-one-1", NEW)
    assert status == 401 and data["error"]["code"] == "invalid_credentials"
    assert login(api, nid, PASSWORD)[0] == 200
    assert api.get("/me", token=token)[0] == 200


def test_wrong_old_passwords_count_toward_the_lock(api):
    nid, _, token = new_nid_cartable(api)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert change(api, token, "not-the-Old-one-1", NEW)[0] == 401
    status, data, _ = change(api, token, PASSWORD, NEW)
    assert status == 429 and data["error"]["code"] == "rate_limited"


@pytest.mark.parametrize("weak", ["short", "{nid}", "{msisdn}"])
def test_weak_new_password(api, weak):
    nid, msisdn, token = new_nid_cartable(api)
    status, data, _ = change(api, token, PASSWORD, weak.format(nid=nid, msisdn=msisdn))
    assert status == 400 and data["error"]["code"] == "weak_password"
    assert login(api, nid, PASSWORD)[0] == 200


def test_missing_field_is_invalid_request(api):
    _, _, token = new_nid_cartable(api)
    status, data, _ = api.put("/me/password", {"new_password": NEW}, token=token)
    assert status == 400 and data["error"]["code"] == "invalid_request"


def test_needs_a_token(api):
    assert change(api, None, PASSWORD, NEW)[0] == 401
