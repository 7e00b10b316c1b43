"""GET /devices/{imei}/history (سوابق انتقال مالکیت): every move, for the current owner only."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import jdatetime

from chalicelib import clock
from chalicelib.identifiers import mask_msisdn
from chalicelib.store.history import new_event
from testkit import ids
from tests import flows
from tests.flows import activate



def history(api, token, imei):
    status, data, _ = api.get(f"/devices/{imei}/history", token=token)
    assert status == 200, data
    return data["events"]


def test_a_devices_life_in_order_with_iso_and_jalali_times(api):
    seller_msisdn, _, seller = flows.linked_sim_cartable(api)
    buyer_msisdn, _, buyer = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, seller, imei, api.register_device(imei))
    for path_method in ("post", "delete", "post"):
        clock.advance(1)
        status = getattr(api, path_method)(f"/devices/{imei}/transfer", body=flows.SALE, token=seller)[0]
        assert status in (201, 204)
    sale_code = api.get("/devices", token=seller)[1]["devices"][0]["activation_code"]
    clock.advance(1)
    activate(api, buyer, imei, sale_code)

    events = history(api, buyer, imei)

    assert [e["type"] for e in events] == [
        "registered", "activated", "transfer_offered", "transfer_cancelled",
        "transfer_offered", "transferred",
    ]
    for event in events:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["at"])
        at = datetime.strptime(event["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        tehran = at.astimezone(timezone(timedelta(hours=3, minutes=30)))
        expected = jdatetime.datetime.fromgregorian(datetime=tehran).strftime("%Y/%m/%d %H:%M:%S")
        assert event["at_jalali"] == expected
        assert re.fullmatch(r"14\d\d/\d\d/\d\d \d\d:\d\d:\d\d", event["at_jalali"])
    stamps = [e["at"] for e in events]
    assert stamps == sorted(stamps)
    sale = events[-1]
    # The buyer's own number is shown; the seller's only masked.
    assert sale["msisdn"] == buyer_msisdn
    assert sale["counterparty"] == mask_msisdn(seller_msisdn) != seller_msisdn
    assert events[1]["msisdn"] == mask_msisdn(seller_msisdn)
    assert seller_msisdn not in str(events)


def test_only_the_current_owner_may_read_it(api):
    _, _, seller = flows.linked_sim_cartable(api)
    _, _, buyer = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, seller, imei, api.register_device(imei))
    assert len(history(api, seller, imei)) == 2
    status, offer, _ = api.post(f"/devices/{imei}/transfer", flows.SALE, token=seller)
    activate(api, buyer, imei, offer["activation_code"])

    status, data, _ = api.get(f"/devices/{imei}/history", token=seller)
    unknown = api.get(f"/devices/{ids.imei()}/history", token=seller)

    assert (status, data["error"]["code"]) == (404, "not_found")
    assert (status, data) == unknown[:2]


def test_either_imei_names_the_same_history(api):
    _, _, token = flows.new_sim_cartable(api)
    first, second = ids.imei(), ids.imei()
    activate(api, token, second, api.register_device(first, imei2=second))
    assert history(api, token, first) == history(api, token, second)


def test_recovery_keeps_the_history_and_masks_the_old_number(api):
    old, person, old_token = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, old_token, imei, api.register_device(imei))
    api.operator_sim(old, ids.national_id())
    new, _, token = flows.new_sim_cartable(api, person)
    status, data, _ = api.post("/devices", {"imei": imei, "previous_msisdn": old}, token=token)
    assert status == 201, data

    events = history(api, token, imei)

    assert [e["type"] for e in events] == ["registered", "activated", "recovered"]
    assert events[-1]["msisdn"] == new
    assert events[-1]["counterparty"] == mask_msisdn(old)


def test_a_national_id_cartable_sees_its_own_numbers_unmasked(api):
    _, msisdn, nid_token = flows.new_nid_cartable(api)
    imei = ids.imei()
    activate(api, nid_token, imei, api.register_device(imei))
    assert history(api, nid_token, imei)[-1]["msisdn"] == msisdn


def test_a_detached_event_from_the_expiry_job_is_shown(api):
    old, person, old_token = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, old_token, imei, api.register_device(imei))
    api.operator_sim(old, ids.national_id())
    # What the expiry job writes when it tidies the dead ownership (its own tests cover it).
    clock.advance(1)
    new_event(imei, "detached", clock.now(), msisdn=old, detail="transferred").save()
    _, _, token = flows.new_sim_cartable(api, person)
    api.post("/devices", {"imei": imei, "previous_msisdn": old}, token=token)

    types = [e["type"] for e in history(api, token, imei)]

    assert types == ["registered", "activated", "detached", "recovered"]


def test_bad_imei_and_no_session(api):
    _, _, token = flows.new_sim_cartable(api)
    assert api.get("/devices/1234/history", token=token)[1]["error"]["code"] == "invalid_imei"
    assert api.get(f"/devices/{ids.imei()}/history")[0] == 401
