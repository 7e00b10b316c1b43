"""The ownership transfer record (GET /transfers): sales and purchases, kept after the
device has left the seller."""
from __future__ import annotations

from chalicelib import clock
from chalicelib.identifiers import mask_msisdn
from testkit import ids
from tests import flows


def sell(api, seller, buyer, imei):
    offer = api.post(f"/devices/{imei}/transfer", flows.SALE, token=seller)[1]
    status, data, _ = api.post(
        "/devices/activate", {"imei": imei, "activation_code": offer["activation_code"]}, token=buyer
    )
    assert status == 201, data


def transfers(api, token):
    status, data, _ = api.get("/transfers", token=token)
    assert status == 200, data
    return data["transfers"]


def test_the_seller_keeps_the_record_after_the_device_left(api):
    seller_msisdn, _, seller = flows.linked_sim_cartable(api)
    buyer_msisdn, _, buyer = flows.new_sim_cartable(api)
    imei, imei2, _ = flows.own_device(api, seller, dual=True)
    assert transfers(api, seller) == []
    sell(api, seller, buyer, imei)

    assert api.get(f"/devices/{imei}/history", token=seller)[0] == 404  # the device left
    (record,) = transfers(api, seller)
    assert record["direction"] == "out" and record["imeis"] == [imei, imei2]
    assert (record["brand"], record["model"]) == ("Samsung", "Galaxy A54")
    assert record["counterparty"] == mask_msisdn(buyer_msisdn) != buyer_msisdn
    assert record["at"].endswith("Z") and record["at_jalali"].count("/") == 2
    (bought,) = transfers(api, buyer)
    assert bought["direction"] == "in" and bought["counterparty"] == mask_msisdn(seller_msisdn)


def test_newest_first_sales_and_purchases_alike(api):
    _, _, first = flows.linked_sim_cartable(api)
    _, _, second = flows.linked_sim_cartable(api)
    one = flows.own_device(api, first).imei
    two = flows.own_device(api, second).imei
    sell(api, first, second, one)
    clock.advance(60)
    sell(api, second, first, two)
    clock.advance(60)
    sell(api, second, first, one)
    rows = transfers(api, first)
    assert [(r["direction"], r["imeis"][0]) for r in rows] == [("in", one), ("in", two), ("out", one)]


def test_a_national_id_cartable_keeps_its_record(api):
    nid, msisdn, token = flows.new_nid_cartable(api)
    _, _, buyer = flows.new_sim_cartable(api)
    imei = flows.own_device(api, token).imei
    sell(api, token, buyer, imei)
    assert [r["direction"] for r in transfers(api, token)] == ["out"]
    # The SIM's own cartable saw the device too, and keeps the record as well.
    assert [r["direction"] for r in transfers(api, flows.sim_login(api, msisdn))] == ["out"]


def test_nobody_else_sees_it_and_a_new_holder_starts_empty(api):
    seller_msisdn, _, seller = flows.linked_sim_cartable(api)
    _, _, buyer = flows.new_sim_cartable(api)
    _, _, stranger = flows.new_sim_cartable(api)
    imei = flows.own_device(api, seller).imei
    sell(api, seller, buyer, imei)
    assert transfers(api, stranger) == []
    api.operator_sim(seller_msisdn, ids.national_id())
    assert transfers(api, flows.sim_login(api, seller_msisdn)) == []
    assert api.get("/transfers")[0] == 401


def test_a_withdrawn_offer_and_a_first_activation_are_no_transfers(api):
    _, _, token = flows.linked_sim_cartable(api)
    imei = flows.own_device(api, token).imei
    api.post(f"/devices/{imei}/transfer", flows.SALE, token=token)
    api.delete(f"/devices/{imei}/transfer", token=token)
    assert transfers(api, token) == []
