"""Operators and registrars: their keys, the SIM feed, device registration."""
from __future__ import annotations

import pytest

from chalicelib.services.registry.partners import provision_key
from testkit import ids
from tests.conftest import OPERATOR_KEY, REGISTRAR_KEY
from tests.flows import own_device, sim_login

SIM_BODY = {"national_id": "0012345679", "status": "active"}


def sim_cartable_devices(api, token):
    return [d["imeis"][0] for d in api.get("/devices", token=token)[1]["devices"]]


@pytest.mark.parametrize("key,status,code", [
    (None, 401, "unauthorized"),
    ("not-a-key", 401, "unauthorized"),
    (REGISTRAR_KEY, 403, "forbidden"),
])
def test_operator_route_takes_only_the_operators_key(api, key, status, code):
    got, data, _ = api.put(f"/operator/sims/{ids.msisdn()}", SIM_BODY, token=key)
    assert (got, data["error"]["code"]) == (status, code)


@pytest.mark.parametrize("key,status,code", [
    (None, 401, "unauthorized"),
    ("not-a-key", 401, "unauthorized"),
    (OPERATOR_KEY, 403, "forbidden"),
])
def test_registrar_route_takes_only_the_registrars_key(api, key, status, code):
    got, data, _ = api.post("/registrar/devices", {"imei": ids.imei(), "source": "import"}, token=key)
    assert (got, data["error"]["code"]) == (status, code)


def test_a_provisioned_key_works_and_is_stored_hashed(api):
    from scripts.provision_partner import main

    assert main(["registrar", "--key", "customs-key-1", "--name", "customs"]) == 0
    status, _, _ = api.post("/registrar/devices", {"imei": ids.imei(), "source": "passenger"},
                            token="customs-key-1")
    assert status == 201
    from chalicelib.store.challenges import ChallengeModel

    assert not any("customs-key-1" in str(item.attribute_values)
                   for item in ChallengeModel.scan())
    generated = provision_key("operator")
    assert len(generated) >= 40
    assert api.put(f"/operator/sims/{ids.msisdn()}", SIM_BODY, token=generated)[0] == 200


def test_operator_feed_and_ownership_changes(api):
    msisdn, first, second = ids.msisdn(), ids.national_id(), ids.national_id()
    status, data, _ = api.operator_sim(msisdn, first, expires_at="2030-01-01T00:00:00Z")
    assert status == 200 and data["ownership"] == 1 and data["msisdn"] == msisdn
    # The same holder again (a renewal) keeps the ownership.
    assert api.operator_sim(msisdn, first)[1]["ownership"] == 1

    token = sim_login(api, msisdn)
    own_device(api, token)

    # A new holder: a new ownership, at once. The old session dies, the new cartable is empty.
    assert api.operator_sim(msisdn, second)[1]["ownership"] == 2
    assert api.get("/devices", token=token)[0] == 401
    new_token = sim_login(api, msisdn)
    assert sim_cartable_devices(api, new_token) == []
    assert api.get("/me", token=new_token)[1]["sims"] == [{"msisdn": msisdn, "status": "active"}]

    # Expired, then active again for the same person: a reissued number, a new ownership.
    assert api.operator_sim(msisdn, second, status="expired")[1]["ownership"] == 2
    assert api.operator_sim(msisdn, second)[1]["ownership"] == 3


@pytest.mark.parametrize("path_msisdn,body", [
    ("02112345678", SIM_BODY),
    ("09121234567", {**SIM_BODY, "national_id": "1111111111"}),
    ("09121234567", {**SIM_BODY, "status": "suspended"}),
    ("09121234567", {**SIM_BODY, "expires_at": "tomorrow"}),
    ("09121234567", {**SIM_BODY, "expires_at": "2030-01-01"}),  # no time, no zone
    ("09121234567", {"status": "active"}),
])
def test_operator_feed_bad_input(api, path_msisdn, body):
    status, data, _ = api.put(f"/operator/sims/{path_msisdn}", body, token=OPERATOR_KEY)
    assert status == 400
    assert data["error"]["code"] in ("invalid_msisdn", "invalid_national_id", "invalid_request")


def test_operator_feed_accepts_every_msisdn_form(api):
    nid = ids.national_id()
    status, data, _ = api.put("/operator/sims/+98%20912%20555%200101", {**SIM_BODY, "national_id": nid},
                              token=OPERATOR_KEY)
    assert (status, data["msisdn"]) == (200, "09125550101")


def test_registrar_registers_devices_with_six_digit_codes(api):
    imei, imei2 = ids.imei(), ids.imei()
    status, data, _ = api.post("/registrar/devices", {"imei": imei, "imei2": imei2, "brand": "Nokia",
                                                      "model": "G42", "source": "manufacture"},
                               token=REGISTRAR_KEY)
    assert status == 201 and len(data["activation_code"]) == 6 and data["activation_code"].isdigit()
    for known in (imei, imei2):
        assert api.get(f"/imei/{known}")[1]["status"] == "registered"
        status, data, _ = api.post("/registrar/devices", {"imei": known, "source": "import"},
                                   token=REGISTRAR_KEY)
        assert (status, data["error"]["code"]) == (409, "already_registered")
    # A new device naming a known IMEI as its second one is refused whole.
    fresh = ids.imei()
    status, _, _ = api.post("/registrar/devices", {"imei": fresh, "imei2": imei, "source": "import"},
                            token=REGISTRAR_KEY)
    assert status == 409
    assert api.get(f"/imei/{fresh}")[1]["status"] == "not_registered"


def test_activation_codes_differ(api):
    codes = {api.register_device(ids.imei()) for _ in range(12)}
    assert len(codes) > 6


@pytest.mark.parametrize("body,code", [
    ({"imei": "490154203237519", "source": "import"}, "invalid_imei"),
    ({"imei": "490154203237518", "source": "smuggled"}, "invalid_request"),
    ({"imei": "490154203237518", "imei2": "490154203237518", "source": "import"}, "invalid_request"),
    ({"imei": "490154203237518"}, "invalid_request"),
    ({"imei": "490154203237518", "source": "import", "brand": "x" * 500}, "invalid_request"),
])
def test_registrar_bad_input(api, body, code):
    status, data, _ = api.post("/registrar/devices", body, token=REGISTRAR_KEY)
    assert (status, data["error"]["code"]) == (400, code)


def test_the_same_registration_sent_again_gets_the_same_code_until_activated(api):
    """A registrar's retry after a lost answer (API.md "Partners", issue 10 item 8)."""
    from tests.flows import new_sim_cartable

    imei, imei2 = ids.imei(), ids.imei()
    body = {"imei": imei, "imei2": imei2, "brand": "Nokia", "model": "G42", "source": "import"}
    status, first, _ = api.post("/registrar/devices", body, token=REGISTRAR_KEY)
    assert status == 201
    status, again, _ = api.post("/registrar/devices", body, token=REGISTRAR_KEY)
    assert (status, again["activation_code"]) == (201, first["activation_code"])
    # Not the same registration: 409 as before.
    for other in ({**body, "model": "G60"}, {**body, "imei2": None}, {"imei": imei, "source": "import"}):
        status, data, _ = api.post("/registrar/devices", other, token=REGISTRAR_KEY)
        assert (status, data["error"]["code"]) == (409, "already_registered"), other
    # Once somebody activated it, the code is its owner's: 409.
    _, _, token = new_sim_cartable(api)
    assert api.post("/devices/activate", {"imei": imei, "activation_code": first["activation_code"]},
                    token=token)[0] == 201
    status, data, _ = api.post("/registrar/devices", body, token=REGISTRAR_KEY)
    assert (status, data["error"]["code"]) == (409, "already_registered")


def test_the_other_roles_key_is_not_told_about_a_cartable(api):
    status, data, _ = api.post("/registrar/devices", {"imei": ids.imei(), "source": "import"},
                               token=OPERATOR_KEY, headers={"Accept-Language": "en"})
    assert (status, data["error"]["code"]) == (403, "forbidden")
    assert "cartable" not in data["error"]["message"] and "role" in data["error"]["message"]
