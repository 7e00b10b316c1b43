"""GET /devices (مدیریت دستگاه‌ها): the cartable's devices, in the order they joined it."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from botocore.client import BaseClient

from chalicelib import clock
from testkit import ids
from tests import flows
from tests.flows import activate



def devices_of(api, token):
    status, data, _ = api.get("/devices", token=token)
    assert status == 200, data
    return data["devices"]


def test_a_new_sim_cartable_is_empty(api):
    _, _, token = flows.new_sim_cartable(api)
    assert devices_of(api, token) == []


def test_devices_in_registration_order_with_every_field(api):
    msisdn, _, token = flows.new_sim_cartable(api)
    dual, dual2, single = ids.imei(), ids.imei(), ids.imei()
    code_dual = api.register_device(dual, imei2=dual2, brand="HUAWEI", model="HUAWEI nova 3i")
    code_single = api.register_device(single, brand="Apple", model="Apple iPhone X")
    # Activated in the other order than registered: the cartable's order is joining order.
    activate(api, token, single, code_single)
    clock.advance(5)
    activate(api, token, dual2, code_dual)

    listed = devices_of(api, token)

    assert [d["imeis"] for d in listed] == [[single], [dual, dual2]]
    first, second = listed
    assert first == {
        "imeis": [single],
        "brand": "Apple",
        "model": "Apple iPhone X",
        "activation_code": code_single,
        "msisdn": msisdn,
        "status": "active",
        "registered_at": first["registered_at"],
    }
    assert (second["brand"], second["activation_code"]) == ("HUAWEI", code_dual)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["registered_at"])
    joined = [datetime.strptime(d["registered_at"], "%Y-%m-%dT%H:%M:%SZ") for d in listed]
    assert joined[0] < joined[1]
    assert abs(joined[1].replace(tzinfo=timezone.utc).timestamp() - clock.now()) < 5


def test_a_sale_in_progress_shows_as_transfer_pending(api):
    _, _, token = flows.linked_sim_cartable(api)
    imei = ids.imei()
    activate(api, token, imei, api.register_device(imei))
    status, offer, _ = api.post(f"/devices/{imei}/transfer", flows.SALE, token=token)
    assert status == 201, offer

    (device,) = devices_of(api, token)

    assert device["status"] == "transfer_pending"
    assert device["activation_code"] == offer["activation_code"]
    # Its expiry too, so the page shows the sale's code and expiry again (issue 23).
    assert device["transfer_expires_at"] == offer["expires_at"]


def test_a_sim_cartable_holds_only_its_current_ownership(api):
    msisdn, _, token = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, token, imei, api.register_device(imei))

    api.operator_sim(msisdn, ids.national_id())  # the number changes hands; no job runs
    next_holder = flows.sim_login(api, msisdn)

    assert devices_of(api, next_holder) == []
    assert api.get("/devices", token=token)[0] == 401  # the old ownership's session died


def test_an_expired_sim_shows_an_empty_cartable_before_any_job(api):
    msisdn, person, token = flows.new_sim_cartable(api, expires_in=300)
    imei = ids.imei()
    activate(api, token, imei, api.register_device(imei))
    assert len(devices_of(api, token)) == 1

    clock.advance(301)

    assert devices_of(api, token) == []


def test_a_national_id_cartable_lists_the_devices_of_all_its_sims(api):
    national_id, first, nid_token = flows.new_nid_cartable(api)
    second = ids.msisdn()
    api.operator_sim(second, national_id)
    flows.add_sim(api, nid_token, second)
    one, two, three = ids.imei(), ids.imei(), ids.imei()
    activate(api, flows.sim_login(api, first), one, api.register_device(one))
    activate(api, nid_token, two, api.register_device(two), msisdn=second)
    activate(api, flows.sim_login(api, second), three, api.register_device(three))

    listed = devices_of(api, nid_token)

    assert [d["imeis"][0] for d in listed] == [one, two, three]
    assert [d["msisdn"] for d in listed] == [first, second, second]
    # A SIM's own cartable still shows only that SIM's devices.
    assert [d["imeis"][0] for d in devices_of(api, flows.sim_login(api, second))] == [two, three]


def test_someone_elses_devices_never_show(api):
    _, _, mine = flows.new_sim_cartable(api)
    _, _, theirs = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, theirs, imei, api.register_device(imei))

    assert devices_of(api, mine) == []


def test_without_a_session_it_is_401(api):
    status, data, _ = api.get("/devices")
    assert (status, data["error"]["code"]) == (401, "unauthorized")
    assert api.get("/devices", token="x" * 43)[0] == 401


def test_listing_is_one_index_query(api, monkeypatch):
    _, _, token = flows.new_sim_cartable(api)
    for _ in range(3):
        imei = ids.imei()
        activate(api, token, imei, api.register_device(imei))
    calls = []
    real = BaseClient._make_api_call

    def counting(self, operation, params):
        calls.append((operation, params.get("IndexName")))
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    devices_of(api, token)

    assert [op for op, _ in calls].count("Query") == 1
    assert ("Query", "by_sim") in calls
    assert "Scan" not in [op for op, _ in calls]
    assert len(calls) <= 3
