"""Repaired phones (API.md "Repaired phone"): old IMEIs swapped for new, the same device."""
from __future__ import annotations

import pytest

from chalicelib.store import enforcement_log
from testkit import ids
from tests import flows
from tests.conftest import REGISTRAR_KEY


def tac_imei(tac: str) -> str:
    return ids.luhn_complete(tac + ids.imei()[8:14])


def put_model(api, tac, brand="Samsung", model="Galaxy A54", sim_slots=1):
    status, data, _ = api.put(f"/registrar/models/{tac}",
                              {"brand": brand, "model": model, "sim_slots": sim_slots}, token=REGISTRAR_KEY)
    assert status == 200, data


def repair(api, token, imei, new, new2=None):
    """POST /devices/{imei}/repair with the password, each new IMEI that nobody registered
    first registered as a repair part (its brand and model from its TAC)."""
    body = {"new_imei": new, "password": flows.PASSWORD}
    if new2 is not None:
        body["new_imei2"] = new2
    for typed in {new, new2} - {None}:
        if api.get(f"/imei/{typed}")[1].get("status") == "not_registered":
            status, data, _ = api.post("/registrar/devices", {"imei": typed, "source": "repair_part"},
                                       token=REGISTRAR_KEY)
            assert status == 201, data
    return api.post(f"/devices/{imei}/repair", body, token=token)


def test_a_repair_keeps_the_device_under_its_new_imei(api):
    put_model(api, "35777701")
    msisdn, _, token = flows.linked_sim_cartable(api)
    old, _, code = flows.own_device(api, token)
    new = tac_imei("35777701")

    status, data, _ = repair(api, token, old, new)

    assert status == 200, data
    device = data["device"]
    assert device["imeis"] == [new] and device["activation_code"] == code
    assert device["msisdn"] == msisdn and device["status"] == "active"
    listed = api.get("/devices", token=token)[1]["devices"]
    assert [d["imeis"] for d in listed] == [[new]]
    # The old IMEI is replaced for ever, the new one registered with the same source.
    assert api.get(f"/imei/{old}")[1]["status"] == "replaced"
    answer = api.get(f"/imei/{new}")[1]
    assert (answer["status"], answer["brand"], answer["source"]) == ("registered", "Samsung", "import")
    # History by either IMEI: everything from before, and the repair.
    for typed in (old, new):
        events = api.get(f"/devices/{typed}/history", token=token)[1]["events"]
        assert [e["type"] for e in events] == ["registered", "activated", "repaired"]
    entries = enforcement_log.page(None)[0]
    assert [(e["imei"], e["action"], e["reason"]) for e in entries] == [(old, "block", "replaced")]
    # The device works on under its new IMEI: it can be offered for sale.
    assert api.post(f"/devices/{new}/transfer", flows.SALE, token=token)[0] == 201


def test_a_dual_imei_phone_needs_both_new_imeis(api):
    put_model(api, "35777702", sim_slots=2)
    _, _, token = flows.linked_sim_cartable(api)
    old, old2, _ = flows.own_device(api, token, dual=True)
    new, new2 = tac_imei("35777702"), tac_imei("35777702")
    status, data, _ = repair(api, token, old, new)
    assert (status, data["error"]["code"]) == (400, "invalid_request")
    status, data, _ = repair(api, token, old, new, new)
    assert (status, data["error"]["code"]) == (400, "invalid_request")
    status, data, _ = repair(api, token, old2, new, new2)
    assert status == 200 and data["device"]["imeis"] == [new, new2]
    for gone in (old, old2):
        assert api.get(f"/imei/{gone}")[1]["status"] == "replaced"
    assert api.get(f"/imei/{new2}")[1]["status"] == "registered"
    assert [e["imei"] for e in enforcement_log.page(None)[0]] == [old, old2]
    events = api.get(f"/devices/{old2}/history", token=token)[1]["events"]
    assert events[-1]["type"] == "repaired"


def test_a_single_imei_phone_takes_one_new_imei(api):
    put_model(api, "35777703")
    _, _, token = flows.linked_sim_cartable(api)
    old, _, _ = flows.own_device(api, token)
    status, data, _ = repair(api, token, old, tac_imei("35777703"), tac_imei("35777703"))
    assert (status, data["error"]["code"]) == (400, "invalid_request")


def test_the_new_tac_must_be_the_same_model(api):
    put_model(api, "35777704", brand="Xiaomi", model="Redmi 13")
    put_model(api, "35777705", brand="Samsung", model="Galaxy S24")
    _, _, token = flows.linked_sim_cartable(api)
    old, _, _ = flows.own_device(api, token)
    for new in (tac_imei("35777704"), tac_imei("35777705"), tac_imei("12121212")):
        status, data, _ = repair(api, token, old, new)
        assert (status, data["error"]["code"]) == (409, "model_mismatch"), new
    assert api.get(f"/imei/{old}")[1]["status"] == "registered"


def test_a_new_imei_that_belongs_to_a_device_is_no_part(api):
    put_model(api, "35777706")
    _, _, token = flows.linked_sim_cartable(api)
    old, _, _ = flows.own_device(api, token)
    taken = tac_imei("35777706")
    api.register_device(taken, brand="Samsung", model="Galaxy A54")
    status, data, _ = repair(api, token, old, taken)
    assert (status, data["error"]["code"]) == (409, "not_a_repair_part")
    assert repair(api, token, old, old)[0] == 409
    assert enforcement_log.page(None)[0] == []


def test_old_imeis_can_never_be_registered_activated_or_recovered(api):
    put_model(api, "35777707")
    msisdn, nid, token = flows.linked_sim_cartable(api)
    old, _, code = flows.own_device(api, token)
    new = tac_imei("35777707")
    assert repair(api, token, old, new)[0] == 200
    status, data, _ = api.post("/registrar/devices", {"imei": old, "source": "import"}, token=REGISTRAR_KEY)
    assert (status, data["error"]["code"]) == (409, "already_registered")
    _, _, other = flows.linked_sim_cartable(api)
    status, data, _ = api.post("/devices/activate", {"imei": old, "activation_code": code}, token=other)
    assert (status, data["error"]["code"]) == (404, "not_found")
    status, data, _ = api.post("/devices", {"imei": old, "previous_msisdn": msisdn}, token=other)
    assert (status, data["error"]["code"]) == (404, "not_found")
    # Nor repaired onto again.
    _, _, third = flows.linked_sim_cartable(api)
    own_imei, _, _ = flows.own_device(api, third)
    status, data, _ = repair(api, third, own_imei, old)
    assert status == 409


def test_a_phone_repaired_twice_keeps_its_whole_history(api):
    put_model(api, "35777708")
    _, _, token = flows.linked_sim_cartable(api)
    first, _, _ = flows.own_device(api, token)
    second, third = tac_imei("35777708"), tac_imei("35777708")
    assert repair(api, token, first, second)[0] == 200
    assert repair(api, token, second, third)[0] == 200
    for typed in (first, second, third):
        events = api.get(f"/devices/{typed}/history", token=token)[1]["events"]
        assert [e["type"] for e in events] == ["registered", "activated", "repaired", "repaired"]
        assert api.get(f"/imei/{typed}")[1]["status"] == ("registered" if typed == third else "replaced")


def test_only_the_cartables_own_device_is_repaired(api):
    put_model(api, "35777709")
    _, _, owner = flows.linked_sim_cartable(api)
    _, _, stranger = flows.linked_sim_cartable(api)
    old, _, _ = flows.own_device(api, owner)
    for typed in (old, ids.imei()):
        status, data, _ = repair(api, stranger, typed, tac_imei("35777709"))
        assert (status, data["error"]["code"]) == (404, "not_found")
    # The old IMEI's history is the owner's alone after a repair too.
    new = tac_imei("35777709")
    assert repair(api, owner, old, new)[0] == 200
    assert api.get(f"/devices/{old}/history", token=stranger)[0] == 404


@pytest.mark.parametrize("body", [{}, {"new_imei": 1}, {"new_imei": "123"}, {"new_imei": "x", "y": 1}])
def test_bad_repair_requests(api, body):
    _, _, token = flows.linked_sim_cartable(api)
    old, _, _ = flows.own_device(api, token)
    status, data, _ = api.post(f"/devices/{old}/repair", body, token=token)
    assert status == 400 and data["error"]["code"] in ("invalid_request", "invalid_imei")


def test_new_imeis_in_persian_digits(api):
    put_model(api, "35777710")
    _, _, token = flows.linked_sim_cartable(api)
    old, _, _ = flows.own_device(api, token)
    new = tac_imei("35777710")
    persian = new.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    status, data, _ = repair(api, token, old, persian)
    assert status == 200 and data["device"]["imeis"] == [new]
