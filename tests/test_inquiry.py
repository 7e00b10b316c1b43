"""The public IMEI inquiry: known or not, nothing about the owner, limited per address."""
from __future__ import annotations

from chalicelib import clock
from testkit import ids
from tests.flows import own_device, sim_login


def test_registered_and_unknown(api):
    imei, imei2 = ids.imei(), ids.imei()
    api.register_device(imei, imei2=imei2, brand="Samsung", model="Galaxy A54")
    status, data, headers = api.get(f"/imei/{imei2}")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert data == {"imei": imei2, "status": "registered", "brand": "Samsung",
                    "model": "Galaxy A54", "source": "import", "activated": False}
    unknown = ids.imei()
    assert api.get(f"/imei/{unknown}")[1] == {"imei": unknown, "status": "not_registered"}


def test_nothing_about_the_owner(api):
    msisdn = ids.msisdn()
    token = sim_login(api, msisdn)
    imei, _, code = own_device(api, token)
    data = api.get(f"/imei/{imei}")[1]
    assert set(data) == {"imei", "status", "brand", "model", "source", "activated"}
    assert msisdn[-4:] not in str(data) and code not in str(data)


def test_limited_per_client_address(api, set_env):
    set_env(IMEI_INQUIRY_MAX_PER_WINDOW=3, IMEI_INQUIRY_WINDOW_SECONDS=60)
    for _ in range(3):
        assert api.get(f"/imei/{ids.imei()}")[0] == 200
    status, data, headers = api.get(f"/imei/{ids.imei()}")
    assert (status, data["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(headers["Retry-After"]) <= 60
    assert data["retry_after"] == int(headers["Retry-After"])
    # Malformed guesses count too, and the window passes with time.
    assert api.get("/imei/123")[0] == 429
    clock.advance(61)
    assert api.get(f"/imei/{ids.imei()}")[0] == 200


def test_activated_says_whether_the_device_is_in_a_cartable_today(api):
    from tests import flows

    imei = ids.imei()
    code = api.register_device(imei)
    assert api.get(f"/imei/{imei}")[1]["activated"] is False
    msisdn, nid, token = flows.new_sim_cartable(api)
    flows.activate(api, token, imei, code)
    assert api.get(f"/imei/{imei}")[1]["activated"] is True
    api.operator_sim(msisdn, nid, status="expired")  # its SIM cartable is empty at once
    assert api.get(f"/imei/{imei}")[1]["activated"] is False
    assert "activated" not in api.get(f"/imei/{ids.imei()}")[1]
