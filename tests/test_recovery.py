"""POST /devices: recovery from an expired or transferred SIM (user guide steps 3 to 6)."""
from __future__ import annotations

from chalicelib import clock
from testkit import ids
from tests import flows
from tests.flows import activate



def recover(api, token, imei, previous=None, **extra):
    body = {"imei": imei, **extra}
    if previous is not None:
        body["previous_msisdn"] = previous
    return api.post("/devices", body, token=token)


def listed(api, token):
    status, data, _ = api.get("/devices", token=token)
    assert status == 200, data
    return [d["imeis"][0] for d in data["devices"]]


def lost_device(api):
    """A person's device on a SIM that then changed hands; the person has a new SIM.

    Returns (person, old msisdn, imei, activation code, token of the person's new SIM).
    """
    old, person, old_token = flows.new_sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    activate(api, old_token, imei, code)
    api.operator_sim(old, ids.national_id())  # the number changes hands; no job has run
    _, _, new_token = flows.new_sim_cartable(api, person)
    return person, old, imei, code, new_token


def test_recovery_asks_for_the_old_number_then_brings_the_device_back(api):
    _, old, imei, code, token = lost_device(api)

    status, data, _ = recover(api, token, imei)
    assert (status, data["error"]["code"]) == (409, "previous_msisdn_required")

    status, data, _ = recover(api, token, imei, old)

    assert status == 201, data
    assert data["device"]["imeis"] == [imei]
    assert data["device"]["activation_code"] == code  # the code comes along
    assert listed(api, token) == [imei]
    status, history, _ = api.get(f"/devices/{imei}/history", token=token)
    assert status == 200
    assert [e["type"] for e in history["events"]] == ["registered", "activated", "recovered"]


def test_the_old_number_in_any_written_form(api):
    _, old, imei, _, token = lost_device(api)
    persian = ("+98" + old[1:]).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert recover(api, token, imei, persian)[0] == 201


def test_a_sim_that_expired_by_time_frees_its_devices_before_any_job(api):
    old, person, old_token = flows.new_sim_cartable(api, expires_in=60)
    imei = ids.imei()
    activate(api, old_token, imei, api.register_device(imei))
    _, _, token = flows.new_sim_cartable(api, person)
    assert recover(api, token, imei, old)[0] == 404  # still on a live SIM: not awaiting

    clock.advance(61)

    assert recover(api, token, imei, old)[0] == 201
    assert listed(api, token) == [imei]


def test_the_same_number_given_back_to_its_holder_recovers_its_devices(api):
    old, person, old_token = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, old_token, imei, api.register_device(imei))
    api.operator_sim(old, person, status="expired")
    api.operator_sim(old, person, status="active")  # reissued: a new ownership, empty
    token = flows.sim_login(api, old)
    assert listed(api, token) == []

    assert recover(api, token, imei, old)[0] == 201
    assert listed(api, token) == [imei]


def test_a_wrong_number_is_404(api):
    _, _, imei, _, token = lost_device(api)
    status, data, _ = recover(api, token, imei, ids.msisdn())
    assert (status, data["error"]["code"]) == (404, "not_found")
    assert listed(api, token) == []


def test_only_the_holder_of_the_old_number_may_take_the_device(api):
    _, old, imei, _, owner_token = lost_device(api)
    _, _, stranger = flows.new_sim_cartable(api)
    new_holder = flows.sim_login(api, old)  # whoever holds the number now is not the owner

    assert recover(api, stranger, imei, old)[0] == 404
    assert recover(api, new_holder, imei, old)[0] == 404
    assert listed(api, stranger) == [] and listed(api, new_holder) == []
    assert recover(api, owner_token, imei, old)[0] == 201


def test_a_sim_the_operator_never_named_cannot_recover(api):
    _, old, imei, _, _ = lost_device(api)
    unheld = flows.sim_login(api, ids.msisdn())  # no operator record: no national ID
    assert recover(api, unheld, imei, old)[0] == 404


def test_wrong_numbers_lock_the_imei(api, set_env):
    set_env(RECOVERY_MAX_ATTEMPTS=3, RECOVERY_LOCK_SECONDS=900)
    _, old, imei, _, token = lost_device(api)
    for _ in range(3):
        assert recover(api, token, imei, ids.msisdn())[0] == 404

    status, data, headers = recover(api, token, imei, old)  # even the right number

    assert (status, data["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(headers["Retry-After"]) <= 900
    assert listed(api, token) == []
    clock.advance(901)
    assert recover(api, token, imei, old)[0] == 201


def test_both_imeis_of_a_phone_share_one_budget_of_wrong_numbers(api, set_env):
    set_env(RECOVERY_MAX_ATTEMPTS=2)
    old, person, old_token = flows.new_sim_cartable(api)
    imei, imei2 = ids.imei(), ids.imei()
    activate(api, old_token, imei, api.register_device(imei, imei2=imei2))
    api.operator_sim(old, ids.national_id())  # the number changes hands
    _, _, token = flows.new_sim_cartable(api, person)

    assert recover(api, token, imei, ids.msisdn())[0] == 404
    assert recover(api, token, imei2, ids.msisdn())[0] == 404
    assert recover(api, token, imei2, old)[0] == 429
    assert recover(api, token, imei, old)[0] == 429


def test_a_device_in_someone_elses_live_cartable_is_like_an_unknown_imei(api):
    _, _, owner = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, owner, imei, api.register_device(imei))
    _, _, stranger = flows.new_sim_cartable(api)
    unknown = ids.imei()

    for previous in (None, ids.msisdn()):
        theirs = recover(api, stranger, imei, previous)
        nobodys = recover(api, stranger, unknown, previous)
        assert theirs[0] == nobodys[0] == 404
        assert theirs[1] == nobodys[1]


def test_a_device_in_a_national_id_cartable_is_not_awaiting_recovery(api):
    national_id, msisdn, nid_token = flows.new_nid_cartable(api)
    imei = ids.imei()
    activate(api, nid_token, imei, api.register_device(imei))
    api.operator_sim(msisdn, ids.national_id())  # its SIM changes hands
    # The same person on a new SIM, outside the national-ID cartable, cannot pull it out.
    _, _, token = flows.new_sim_cartable(api, national_id)

    assert recover(api, token, imei)[0] == 404
    assert recover(api, token, imei, msisdn)[0] == 404
    assert listed(api, nid_token) == [imei]


def test_a_registered_device_nobody_activated_is_not_found(api):
    _, _, token = flows.new_sim_cartable(api)
    imei = ids.imei()
    api.register_device(imei)
    assert recover(api, token, imei)[0] == 404


def test_a_device_already_in_this_cartable_is_409(api):
    _, _, token = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, token, imei, api.register_device(imei))

    status, data, _ = recover(api, token, imei)

    assert (status, data["error"]["code"]) == (409, "already_in_cartable")


def test_recovered_twice_is_409_the_second_time(api):
    _, old, imei, _, token = lost_device(api)
    assert recover(api, token, imei, old)[0] == 201
    assert recover(api, token, imei, old)[1]["error"]["code"] == "already_in_cartable"


def test_an_expired_sim_session_cannot_recover(api):
    _, old, imei, _, _ = lost_device(api)
    _, _, token = flows.new_sim_cartable(api, expires_in=60)
    clock.advance(61)

    status, data, _ = recover(api, token, imei, old)

    assert (status, data["error"]["code"]) == (409, "sim_inactive")


def test_a_national_id_cartable_recovers_onto_its_active_sim(api):
    old, person, old_token = flows.new_sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    activate(api, old_token, imei, code)
    api.operator_sim(old, ids.national_id())
    # Later the person makes a national-ID cartable from a new SIM.
    new_sim, _, new_token = flows.new_sim_cartable(api, person)
    flows.register_cartable(api, new_token, person)
    nid_token = flows.nid_login(api, person)

    status, data, _ = recover(api, nid_token, imei, old)

    assert status == 201, data
    assert (data["device"]["msisdn"], data["device"]["activation_code"]) == (new_sim, code)
    assert listed(api, nid_token) == [imei]
    assert listed(api, flows.sim_login(api, new_sim)) == [imei]


def lost_to_a_national_id_cartable(api):
    """A person's device on a SIM that then changed hands; the person now has a new SIM
    and a national-ID cartable. Returns (person, old msisdn, imei, new SIM, national-ID
    session)."""
    old, person, old_token = flows.new_sim_cartable(api)
    imei = ids.imei()
    activate(api, old_token, imei, api.register_device(imei))
    api.operator_sim(old, ids.national_id())
    cartable_sim, _, sim_token = flows.new_sim_cartable(api, person)
    flows.register_cartable(api, sim_token, person)
    return person, old, imei, cartable_sim, flows.nid_login(api, person)


def test_a_national_id_session_naming_a_sim_not_its_own_is_refused(api):
    _, old, imei, _, nid_token = lost_to_a_national_id_cartable(api)

    status, data, _ = recover(api, nid_token, imei, old, msisdn=ids.msisdn())

    assert (status, data["error"]["code"]) == (409, "sim_inactive")


def test_bad_input_is_400(api):
    _, _, imei, _, token = lost_device(api)
    assert recover(api, token, "12345")[1]["error"]["code"] == "invalid_imei"
    assert recover(api, token, imei, "12345")[1]["error"]["code"] == "invalid_msisdn"
    status, data, _ = api.post("/devices", {"imei": imei, "owner": "me"}, token=token)
    assert (status, data["error"]["code"]) == (400, "invalid_request")
    assert api.post("/devices", {}, token=token)[0] == 400
    assert recover(api, None, imei)[0] == 401


def test_a_national_id_cartable_without_an_active_sim_still_takes_its_device(api):
    person, old, imei, cartable_sim, nid_token = lost_to_a_national_id_cartable(api)
    api.operator_sim(cartable_sim, person, status="expired")  # its only SIM expires too

    status, data, _ = recover(api, nid_token, imei, old)

    assert status == 201, data
    assert listed(api, nid_token) == [imei]
