"""Every SIM is told (API.md "Acts that cannot be undone"): which SIMs get which SMS, with no code and no number."""
from __future__ import annotations

import re

from chalicelib import clock, settings
from chalicelib.services.channels import notices
from testkit import ids
from tests import flows
from tests.flows import PASSWORD, activated_device, latest_code, login, messages_to
from tests.flows import forgot


def two_sim_cartable(api):
    """A national-ID cartable with two active SIMs: (nid, first, second, token)."""
    nid, first, token = flows.new_nid_cartable(api)
    second = ids.msisdn()
    api.operator_sim(second, nid)
    flows.add_sim(api, token, second)
    return nid, first, second, token


def told(msisdn, since):
    return messages_to(msisdn)[since:]


def counts(*numbers):
    return [len(messages_to(n)) for n in numbers]


def assert_clean(text, *secrets):
    """A notice: no code, no phone number, no IMEI (no run of 6+ digits at all)."""
    for secret in secrets:
        assert secret not in text
    assert not re.search(r"[0-9۰-۹]{6,}", text)


def test_a_sale_offer_and_the_sale_tell_every_active_sim(api):
    nid, first, second, token = two_sim_cartable(api)
    imei = activated_device(api, token)
    gone = ids.msisdn()  # a SIM of the cartable that has expired: told nothing
    api.operator_sim(gone, nid)
    flows.add_sim(api, token, gone)
    api.operator_sim(gone, nid, status="expired")
    before = counts(first, second, gone)

    offer = flows.offer_sale(api, token, imei)

    for number, n in zip((first, second), before):
        texts = told(number, n)
        assert len(texts) == 1 and texts[0] == notices.sale_offered_text("Samsung", "Galaxy A54")
        assert_clean(texts[0], offer["activation_code"], imei, first, second)
    assert counts(gone) == [before[2]]

    before = counts(first, second)
    _, _, buyer = flows.new_sim_cartable(api)
    flows.activate(api, buyer, imei, offer["activation_code"])
    for number, n in zip((first, second), before):
        assert told(number, n) == [notices.sold_text("Samsung", "Galaxy A54")]


def test_a_sim_cartables_own_sim_is_told_of_its_sale(api):
    msisdn, _, sim_token = flows.linked_sim_cartable(api)
    imei = activated_device(api, sim_token)
    n = len(messages_to(msisdn))
    offer = flows.offer_sale(api, sim_token, imei)
    texts = told(msisdn, n)
    assert texts == [notices.sale_offered_text("Samsung", "Galaxy A54")]
    assert_clean(texts[0], offer["activation_code"], msisdn)


def test_a_repair_tells_every_sim(api):
    _, first, second, token = two_sim_cartable(api)
    imei = activated_device(api, token)
    board = ids.imei()
    flows.register_part(api, board)
    before = counts(first, second)
    assert api.post(f"/devices/{imei}/repair", {"new_imei": board}, token=token)[0] == 200
    for number, n in zip((first, second), before):
        texts = told(number, n)
        assert texts == [notices.repaired_text("Samsung", "Galaxy A54")]
        assert_clean(texts[0], imei, board)


def test_a_sim_joining_tells_every_sim_the_joining_one_included(api):
    nid, first, token = flows.new_nid_cartable(api)
    second = ids.msisdn()
    api.operator_sim(second, nid)
    n_first = len(messages_to(first))
    flows.add_sim(api, token, second)
    assert told(first, n_first) == [notices.sim_joined_text()]
    assert messages_to(second)[-1] == notices.sim_joined_text()  # after its own code
    assert_clean(notices.sim_joined_text(), first, second)


def test_a_password_change_and_a_reset_tell_every_sim(api):
    nid, first, second, token = two_sim_cartable(api)
    before = counts(first, second)
    assert api.put("/me/password", {"old_password": PASSWORD, "new_password": "a-New-pass-22"},
                   token=token)[0] == 204
    for number, n in zip((first, second), before):
        assert told(number, n) == [notices.password_changed_text()]

    forgot(api, nid, first)
    temp = latest_code(first)
    before = counts(first, second)
    assert login(api, nid, temp)[0] == 200
    for number, n in zip((first, second), before):
        texts = told(number, n)
        assert len(texts) == 1 and texts[0].startswith(notices.reset_used_text(clock.now() + settings.RESET_HOLD_SECONDS)[:40])
        assert_clean(texts[0], temp, first, second)


def test_a_failed_notice_never_fails_the_act(api, monkeypatch):
    _, _, token = flows.new_nid_cartable(api)
    imei = activated_device(api, token)
    tried = flows.break_sns(monkeypatch)
    status, data, _ = api.post(f"/devices/{imei}/transfer", token=token)
    assert status == 201 and data["activation_code"]
    assert tried  # it was tried, and failed
