"""USSD sale (API.md "USSD"): the web sale's rules hold: the reset hold, and a device already on sale answered with its code and no new SMS."""
from __future__ import annotations

from chalicelib import clock, settings
from chalicelib.store.devices import find_device
from tests.flows import PASSWORD, activated_device, latest_code, login, messages_to, new_nid_cartable
from tests.flows import forgot
from tests.ussd_flows import codes_in, conversation


def test_a_device_already_on_sale_is_answered_with_its_code_and_no_new_sms(api):
    nid, msisdn, token = new_nid_cartable(api)
    imei = activated_device(api, token)
    (first,) = conversation(api, msisdn, "3*1*" + PASSWORD)
    (code,) = codes_in(first["reply"])
    sent = len(messages_to(msisdn))
    clock.advance(30)
    (again,) = conversation(api, msisdn, "3*1*" + PASSWORD)
    assert codes_in(again["reply"]) == [code]
    assert len(messages_to(msisdn)) == sent
    # The web answers the same offer alike.
    status, data, _ = api.post(f"/devices/{imei}/transfer", token=token)
    assert (status, data["activation_code"]) == (201, code)
    assert len(messages_to(msisdn)) == sent


def test_no_ussd_sale_during_a_reset_hold(api):
    nid, msisdn, token = new_nid_cartable(api)
    imei = activated_device(api, token)
    forgot(api, nid, msisdn)
    assert login(api, nid, latest_code(msisdn))[0] == 200  # the hold begins
    sent = len(messages_to(msisdn))
    (reply,) = conversation(api, msisdn, "3*1*" + PASSWORD)
    assert "بازیابی رمز عبور" in reply["reply"] and not codes_in(reply["reply"])
    assert find_device(imei).state == "active" and len(messages_to(msisdn)) == sent
    # The right password was not a failure: the login lock has nothing counted.
    assert login(api, nid, PASSWORD)[0] == 200
    clock.advance(settings.RESET_HOLD_SECONDS + 1)
    (sold,) = conversation(api, msisdn, "3*1*" + PASSWORD)
    assert len(codes_in(sold["reply"])) == 1
