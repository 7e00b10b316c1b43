"""SIMs in your name (API.md "SIMs in your name"): the list, disputes and the operators' feed of them."""
from __future__ import annotations

from chalicelib import clock, settings
from testkit import ids
from tests import flows
from tests.conftest import OPERATOR_KEY
from tests.flows import messages_to
from tests.flows import forgot


def connections(api, token):
    status, data, _ = api.get("/me/connections", token=token)
    assert status == 200, data
    return data


def dispute(api, token, msisdn):
    return api.post(f"/me/connections/{msisdn}/dispute", token=token)


def feed(api, since=None):
    path = "/operator/disputes" + (f"?since={since}" if since is not None else "")
    status, data, _ = api.get(path, token=OPERATOR_KEY)
    assert status == 200, data
    return data


def test_every_active_sim_in_the_name_newest_first_in_the_cartable_or_not(api):
    nid, mine, token = flows.new_nid_cartable(api)
    clock.advance(10)
    outside = ids.msisdn()
    api.operator_sim(outside, nid)
    expired = ids.msisdn()
    api.operator_sim(expired, nid)
    api.operator_sim(expired, nid, status="expired")
    someone_elses = ids.msisdn()
    api.operator_sim(someone_elses, ids.national_id())

    data = connections(api, token)

    assert data["limit"] == settings.MAX_SIMS_PER_PERSON
    assert [(s["msisdn"], s["in_cartable"]) for s in data["sims"]] == [(outside, False), (mine, True)]


def test_only_a_national_id_session_sees_them(api):
    _, _, sim_token = flows.new_sim_cartable(api)
    assert api.get("/me/connections", token=sim_token)[0] == 403
    assert api.get("/me/connections")[0] == 401


def test_a_dispute_once_and_the_feed_with_stable_cursors(api):
    nid, _, token = flows.new_nid_cartable(api)
    start = feed(api)["next"]
    first, second = ids.msisdn(), ids.msisdn()
    for number in (first, second):
        api.operator_sim(number, nid)

    assert dispute(api, token, first)[0] == 202
    assert dispute(api, token, first)[0] == 202  # again: the same answer, one dispute
    page = feed(api, start)
    assert [(d["msisdn"], d["national_id"]) for d in page["disputes"]] == [(first, nid)]
    assert page["disputes"][0]["at"].endswith("Z")
    assert feed(api, start) == page  # the same cursor, the same entries
    assert feed(api, page["next"])["disputes"] == []
    assert feed(api, page["next"])["next"] == page["next"]

    assert dispute(api, token, second)[0] == 202
    assert feed(api, start)["disputes"][0] == page["disputes"][0]
    later = feed(api, page["next"])
    assert [d["msisdn"] for d in later["disputes"]] == [second]
    assert [d["msisdn"] for d in feed(api)["disputes"]][-2:] == [first, second]


def test_another_number_cannot_be_disputed(api):
    nid, _, token = flows.new_nid_cartable(api)
    stranger = ids.msisdn()
    api.operator_sim(stranger, ids.national_id())
    assert dispute(api, token, stranger)[1]["error"]["code"] == "not_found"
    assert dispute(api, token, ids.msisdn())[0] == 404
    assert dispute(api, token, "12345")[0] == 400


def test_a_bad_cursor_is_a_400(api):
    for bad in ("abc", "-1", "1" * 20, "۱۲"):
        status, data, _ = api.get(f"/operator/disputes?since={bad}", token=OPERATOR_KEY)
        assert (status, data["error"]["code"], data["error"].get("field")) == (400, "invalid_request", "since")


def test_a_disputed_sim_joins_no_cartable_until_its_operator_record_changes(api):
    nid, _, token = flows.new_nid_cartable(api)
    sim = ids.msisdn()
    api.operator_sim(sim, nid)
    assert dispute(api, token, sim)[0] == 202
    sent = len(messages_to(sim))
    status, data, _ = api.post("/sims", {"msisdn": sim}, token=token)
    assert status == 202 and len(messages_to(sim)) == sent  # the same 202, no SMS

    api.operator_sim(sim, nid)  # the operator's record for it changes
    assert [s["disputed"] for s in connections(api, token)["sims"] if s["msisdn"] == sim] == [False]
    flows.add_sim(api, token, sim)


def test_a_reset_does_not_add_a_disputed_sim(api):
    nid, only, token = flows.new_nid_cartable(api)
    spare = ids.msisdn()
    api.operator_sim(spare, nid)
    assert dispute(api, token, spare)[0] == 202
    api.operator_sim(only, nid, status="expired")  # the cartable has no active SIM left
    sent = len(messages_to(spare))
    forgot(api, nid, spare)
    assert len(messages_to(spare)) == sent
    assert spare not in [s["msisdn"] for s in api.get("/sims", token=token)[1]["sims"]]


def test_a_sim_already_in_the_cartable_may_be_disputed_and_stays_listed(api):
    _, mine, token = flows.new_nid_cartable(api)
    assert dispute(api, token, mine)[0] == 202
    assert [s["msisdn"] for s in api.get("/sims", token=token)[1]["sims"]] == [mine]
