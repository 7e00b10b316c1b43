"""Repair parts (API.md "Repaired phone", "Partners"): no session burns IMEIs it does not hold."""
from __future__ import annotations

from chalicelib import clock, settings
from chalicelib.services.devices import repair as repair_service
from chalicelib.store import devices as device_store
from testkit import ids
from tests import flows
from tests.conftest import REGISTRAR_KEY
from tests.flows import activated_device


def repair(api, token, imei, new, new2=None):
    body = {"new_imei": new, **({"new_imei2": new2} if new2 else {})}
    return api.post(f"/devices/{imei}/repair", body, token=token)


def code_of(response):
    return response[0], response[1]["error"]["code"]


def part(api, brand="Samsung", model="Galaxy A54"):
    imei = ids.imei()
    flows.register_part(api, imei, brand, model)
    return imei


def test_a_part_has_no_code_and_cannot_be_activated(api):
    imei = part(api)
    answer = api.get(f"/imei/{imei}")[1]
    assert (answer["status"], answer["source"], answer["activated"]) == ("registered", "repair_part", False)
    _, _, token = flows.new_sim_cartable(api)
    for guess in ("000000", "123456"):
        assert code_of(api.post("/devices/activate", {"imei": imei, "activation_code": guess}, token=token)) \
            == (404, "not_found")


def test_a_repair_onto_a_non_part_burns_nothing(api):
    _, _, token = flows.new_nid_cartable(api)
    imei = activated_device(api, token)
    unregistered = ids.imei()
    assert code_of(repair(api, token, imei, unregistered)) == (409, "not_a_repair_part")
    assert api.get(f"/imei/{unregistered}")[1]["status"] == "not_registered"
    assert api.get(f"/imei/{imei}")[1]["status"] == "registered"
    # An importer registers that IMEI later: it is still free.
    assert api.register_device(unregistered)
    # Another device's IMEI, or the device's own, is no part either.
    other = activated_device(api, token)
    assert code_of(repair(api, token, imei, other)) == (409, "not_a_repair_part")
    assert code_of(repair(api, token, imei, imei)) == (409, "not_a_repair_part")


def test_a_used_part_cannot_be_claimed_again(api):
    _, _, token = flows.new_nid_cartable(api)
    first, second = activated_device(api, token), activated_device(api, token)
    board = part(api)
    assert repair(api, token, first, board)[0] == 200
    assert code_of(repair(api, token, second, board)) == (409, "not_a_repair_part")


def test_a_part_of_another_model_is_refused(api):
    _, _, token = flows.new_nid_cartable(api)
    imei = activated_device(api, token)  # a Samsung Galaxy A54
    assert code_of(repair(api, token, imei, part(api, "Apple", "iPhone 13"))) == (409, "model_mismatch")


def test_a_dual_imei_phone_needs_two_parts(api):
    _, _, token = flows.new_nid_cartable(api)
    imei, imei2 = ids.imei(), ids.imei()
    flows.activate(api, token, imei, api.register_device(imei, imei2=imei2))
    first = part(api)
    status, data, _ = repair(api, token, imei, first)
    assert (status, data["error"]["code"], data["error"]["field"]) == (400, "invalid_request", "new_imei2")
    second = part(api)
    status, data, _ = repair(api, token, imei2, first, second)
    assert status == 200 and data["device"]["imeis"] == [first, second]
    assert api.get(f"/imei/{imei2}")[1]["status"] == "replaced"


def test_at_most_the_yearly_repairs_of_one_device(api):
    nid, _, token = flows.new_nid_cartable(api)
    imei = activated_device(api, token)
    for _ in range(settings.REPAIRS_PER_DEVICE_PER_YEAR):
        new = part(api)
        assert repair(api, token, imei, new)[0] == 200
        imei = new
    spare = part(api)
    status, data, headers = repair(api, token, imei, spare)
    assert (status, data["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(headers["Retry-After"]) <= 365 * 24 * 3600
    assert api.get(f"/imei/{spare}")[1]["source"] == "repair_part"  # not burned
    clock.advance(365 * 24 * 3600 + 1)
    token = flows.nid_login(api, nid)  # the old session has long ended
    assert repair(api, token, imei, spare)[0] == 200


def test_history_by_the_first_imei_after_many_repairs_costs_no_more_reads(api, set_env, monkeypatch):
    set_env(REPAIRS_PER_DEVICE_PER_YEAR=40)
    _, _, token = flows.new_nid_cartable(api)
    first = imei = activated_device(api, token)
    chain = [first]
    for _ in range(25):  # past the old 20 hops, where history answered 404
        new = part(api)
        assert repair(api, token, imei, new)[0] == 200
        imei = new
        chain.append(imei)
    events = api.get(f"/devices/{first}/history", token=token)[1]["events"]
    assert [e["type"] for e in events].count("repaired") == 25
    for typed in (chain[1], chain[12], imei):
        assert api.get(f"/devices/{typed}/history", token=token)[1]["events"] == events

    reads = []
    real = device_store.find_device

    def counted(typed, consistent=True):
        reads.append(typed)
        return real(typed, consistent)

    monkeypatch.setattr(repair_service, "find_device", counted)
    for typed in (first, chain[1]):  # the chain's first IMEI, and one 24 repairs back
        reads.clear()
        assert repair_service.current_device(typed).imei == imei
        assert len(reads) <= 3


def test_a_registrars_retry_gets_its_code_and_another_registrar_a_409(api):
    from chalicelib.services.registry.partners import provision_key

    other_key = "registrar-b-test-key"
    provision_key("registrar", other_key)
    imei = ids.imei()
    body = {"imei": imei, "source": "import", "brand": "Samsung", "model": "Galaxy A54"}
    status, data, _ = api.post("/registrar/devices", body, token=REGISTRAR_KEY)
    assert status == 201
    assert api.post("/registrar/devices", body, token=REGISTRAR_KEY)[1]["activation_code"] == data["activation_code"]
    status, replayed, _ = api.post("/registrar/devices", body, token=other_key)
    assert (status, replayed["error"]["code"]) == (409, "already_registered")
    # The same for a repair part: its registrar's retry 201 {}, anyone else 409.
    board = part(api)
    again = {"imei": board, "source": "repair_part", "brand": "Samsung", "model": "Galaxy A54"}
    assert api.post("/registrar/devices", again, token=REGISTRAR_KEY)[:2] == (201, {})
    assert api.post("/registrar/devices", again, token=other_key)[0] == 409


def test_the_stored_registrar_is_the_keys_partner(api):
    from chalicelib.store.challenges import RegistrationItem

    imei = ids.imei()
    api.register_device(imei)
    assert RegistrationItem.get("registration#" + imei).registrar not in ("model", "brand")
