"""Typed callers (issue 11): a session resolves to one of two types, built whole, that the
services ask instead of testing its kind; and the routes hand the services parsed input."""
from __future__ import annotations

import dataclasses

import pytest

from testkit.calls import count_calls
from testkit import ids
from tests.flows import activate_new_device, new_nid_cartable, new_sim_cartable, try_activate

def test_a_sim_token_opens_a_sim_cartable_that_nothing_changes_afterwards(api, aws):
    from chalicelib.services.signin import sessions
    from chalicelib.services.signin.callers import SimCartable

    msisdn, national_id, token = new_sim_cartable(api)
    caller = sessions.resolve(token)
    assert isinstance(caller, SimCartable)
    assert caller.cartable() == {"kind": "sim", "msisdn": msisdn}
    assert caller.national_id == national_id and caller.sim.msisdn == msisdn
    with pytest.raises(dataclasses.FrozenInstanceError):
        caller.national_id = None  # type: ignore[misc]


def test_a_national_id_token_opens_a_national_id_cartable(api, aws):
    from chalicelib.services.signin import sessions
    from chalicelib.services.signin.callers import NationalIdCartable

    national_id, msisdn, token = new_nid_cartable(api)
    caller = sessions.resolve(token)
    assert isinstance(caller, NationalIdCartable)
    assert caller.cartable() == {"kind": "national_id", "national_id": national_id}
    assert caller.sims_to_read() == {msisdn} and caller.sims_held() == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        caller.person = None  # type: ignore[misc]


def test_a_sim_session_naming_another_number_is_refused_before_anything_is_read(api):
    _, _, token = new_sim_cartable(api)
    with count_calls() as counts:
        status, data, _ = try_activate(api, token, ids.imei(), "123456", msisdn=ids.msisdn())
    assert (status, data["error"]["code"]) == (409, "sim_inactive")
    assert counts.ops == ["dynamodb:BatchGetItem"]  # the session (and its SIM), nothing more


def test_persian_digits_reach_the_services_canonical(api):
    """The route parses: an IMEI and an activation code typed in Persian digits activate."""
    _, _, token = new_sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    status, data, _ = try_activate(api, token, imei.translate(persian), code.translate(persian))
    assert status == 201, data
    assert data["device"]["imeis"] == [imei]
    status, data, _ = api.get(f"/devices/{imei.translate(persian)}/history", token=token)
    assert status == 200 and [e["type"] for e in data["events"]][-1] == "activated"
    assert activate_new_device(api, token)[0] == 201
