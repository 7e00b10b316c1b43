"""Sale (انتقال مالکیت/فروش، تولید کد فعال سازی): POST/DELETE /devices/{imei}/transfer."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from chalicelib import clock, settings
from chalicelib.store.devices import DeviceModel
from testkit import ids
from tests import flows
from tests.flows import try_activate



def owned_device(api):
    """A fresh SIM cartable (its SIM in a national-ID cartable, so it may sell with the
    password) with one activated device: (token, imei, activation code)."""
    _, _, token = flows.linked_sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    assert try_activate(api, token, imei, code)[0] == 201
    return token, imei, code


def offer(api, token, imei):
    return flows.offer_sale(api, token, imei)


def listed(api, token):
    status, data, _ = api.get("/devices", token=token)
    assert status == 200, data
    return data["devices"]


def test_an_offer_is_a_fresh_six_digit_code_with_an_expiry(api):
    token, imei, code = owned_device(api)

    data = offer(api, token, imei)

    assert re.fullmatch(r"\d{6}", data["activation_code"])
    expires = datetime.strptime(data["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert abs(expires.timestamp() - (clock.now() + settings.TRANSFER_CODE_TTL_SECONDS)) < 5
    (device,) = listed(api, token)
    assert device["status"] == "transfer_pending"


def test_the_buyers_activation_moves_the_device_out_of_the_sellers_cartable(api):
    seller, imei, _ = owned_device(api)
    buyer_msisdn, _, buyer = flows.new_sim_cartable(api)
    sale_code = offer(api, seller, imei)["activation_code"]

    status, data, _ = try_activate(api, buyer, imei, sale_code)

    assert status == 201, data
    assert data["device"]["msisdn"] == buyer_msisdn
    assert data["device"]["status"] == "active"
    assert data["device"]["activation_code"] == sale_code
    assert listed(api, seller) == []
    assert [d["imeis"][0] for d in listed(api, buyer)] == [imei]
    # The seller has nothing left to do with it.
    assert api.post(f"/devices/{imei}/transfer", token=seller)[0] == 404


def test_a_sale_code_works_once(api):
    seller, imei, _ = owned_device(api)
    _, _, buyer = flows.new_sim_cartable(api)
    _, _, second_buyer = flows.new_sim_cartable(api)
    sale_code = offer(api, seller, imei)["activation_code"]
    assert try_activate(api, buyer, imei, sale_code)[0] == 201

    status, data, _ = try_activate(api, second_buyer, imei, sale_code)

    assert (status, data["error"]["code"]) == (404, "not_found")
    assert listed(api, second_buyer) == []


def test_the_registrars_code_does_not_buy_an_offered_device(api):
    seller, imei, code = owned_device(api)
    _, _, buyer = flows.new_sim_cartable(api)
    sale_code = offer(api, seller, imei)["activation_code"]
    while sale_code == code:  # one chance in a million: cancel and ask for a different one
        assert api.delete(f"/devices/{imei}/transfer", token=seller)[0] == 204
        sale_code = offer(api, seller, imei)["activation_code"]

    assert try_activate(api, buyer, imei, code)[0] == 404


def test_asking_again_answers_the_same_code_and_a_new_one_kills_it(api):
    seller, imei, _ = owned_device(api)
    _, _, buyer = flows.new_sim_cartable(api)
    first = offer(api, seller, imei)
    assert offer(api, seller, imei) == first  # already on sale: the same code, nothing sent
    first = first["activation_code"]
    assert api.delete(f"/devices/{imei}/transfer", token=seller)[0] == 204
    second = offer(api, seller, imei)["activation_code"]
    while second == first:  # one chance in a million
        assert api.delete(f"/devices/{imei}/transfer", token=seller)[0] == 204
        second = offer(api, seller, imei)["activation_code"]

    assert try_activate(api, buyer, imei, first)[0] == 404
    assert try_activate(api, buyer, imei, second)[0] == 201


def test_withdrawing_kills_the_code_and_restores_the_old_one(api):
    seller, imei, code = owned_device(api)
    _, _, buyer = flows.new_sim_cartable(api)
    sale_code = offer(api, seller, imei)["activation_code"]

    status, data, _ = api.delete(f"/devices/{imei}/transfer", token=seller)

    assert (status, data) == (204, None)
    assert try_activate(api, buyer, imei, sale_code)[0] == 404
    (device,) = listed(api, seller)
    assert (device["status"], device["activation_code"]) == ("active", code)


def test_withdrawing_with_nothing_offered_is_harmless(api):
    seller, imei, code = owned_device(api)

    assert api.delete(f"/devices/{imei}/transfer", token=seller)[0] == 204
    (device,) = listed(api, seller)
    assert (device["status"], device["activation_code"]) == ("active", code)


def test_a_sale_code_expires(api, set_env):
    set_env(TRANSFER_CODE_TTL_SECONDS=600)  # shorter than a session lives
    seller, imei, code = owned_device(api)
    _, _, buyer = flows.new_sim_cartable(api)
    sale_code = offer(api, seller, imei)["activation_code"]

    clock.advance(settings.TRANSFER_CODE_TTL_SECONDS + 1)

    assert try_activate(api, buyer, imei, sale_code)[0] == 404
    (device,) = listed(api, seller)
    assert (device["status"], device["activation_code"]) == ("active", code)
    # The owner may offer it again.
    assert try_activate(api, buyer, imei, offer(api, seller, imei)["activation_code"])[0] == 201


def test_someone_elses_device_is_not_found_like_an_unknown_one(api):
    _, imei, _ = owned_device(api)
    _, _, stranger = flows.new_sim_cartable(api)
    unknown = ids.imei()

    for method in ("post", "delete"):
        theirs = getattr(api, method)(f"/devices/{imei}/transfer", token=stranger)
        nobodys = getattr(api, method)(f"/devices/{unknown}/transfer", token=stranger)
        assert theirs[0] == nobodys[0] == 404
        assert theirs[1] == nobodys[1] and theirs[1]["error"]["code"] == "not_found"


def test_a_registered_but_unclaimed_device_cannot_be_offered(api):
    _, _, token = flows.new_sim_cartable(api)
    imei = ids.imei()
    api.register_device(imei)
    assert api.post(f"/devices/{imei}/transfer", token=token)[0] == 404


def test_either_imei_of_a_dual_imei_phone_names_it(api):
    _, _, token = flows.linked_sim_cartable(api)
    first, second = ids.imei(), ids.imei()
    try_activate(api, token, first, api.register_device(first, imei2=second))

    assert api.post(f"/devices/{second}/transfer", flows.SALE, token=token)[0] == 201
    assert api.delete(f"/devices/{second}/transfer", token=token)[0] == 204


def test_a_blocked_device_cannot_be_offered(api):
    token, imei, _ = owned_device(api)
    device = DeviceModel.get(imei)
    device.state = "blocked"  # no route blocks a device yet; the store stands in for it
    device.save()

    status, data, _ = api.post(f"/devices/{imei}/transfer", flows.SALE, token=token)

    assert (status, data["error"]["code"]) == (409, "device_blocked")
    assert listed(api, token)[0]["status"] == "blocked"


def test_a_national_id_cartable_sells_to_a_sim_cartable(api):
    _, msisdn, nid_token = flows.new_nid_cartable(api)
    imei = ids.imei()
    assert try_activate(api, nid_token, imei, api.register_device(imei))[0] == 201
    _, _, buyer = flows.new_sim_cartable(api)

    assert try_activate(api, buyer, imei, offer(api, nid_token, imei)["activation_code"])[0] == 201

    assert listed(api, nid_token) == []
    assert listed(api, flows.sim_login(api, msisdn)) == []
    assert len(listed(api, buyer)) == 1


def test_bad_imei_and_no_session(api):
    token, imei, _ = owned_device(api)
    status, data, _ = api.post("/devices/123/transfer", token=token)
    assert (status, data["error"]["code"]) == (400, "invalid_imei")
    assert api.post(f"/devices/{imei}/transfer")[0] == 401
    assert api.delete(f"/devices/{imei}/transfer")[0] == 401
