"""POST /devices/activate (فعال سازی تلفن همراه): a registrar's device joins the caller's cartable."""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib import clock
from testkit import ids
from tests import flows
from tests.flows import try_activate


def sim_cartable(api, national_id=None):
    """A fresh SIM (held by `national_id` or a fresh person) and its session's token."""
    msisdn, _, token = flows.new_sim_cartable(api, national_id)
    return msisdn, token


def nid_cartable(api, extra_sims=0):
    """A fresh national-ID cartable with 1 + extra_sims SIMs: (national_id, [msisdn...], token)."""
    national_id, msisdn, token = flows.new_nid_cartable(api)
    numbers = [msisdn]
    for _ in range(extra_sims):
        number = ids.msisdn()
        api.operator_sim(number, national_id)
        flows.add_sim(api, token, number)
        numbers.append(number)
    return national_id, numbers, token



def listed(api, token):
    status, data, _ = api.get("/devices", token=token)
    assert status == 200, data
    return [d["imeis"][0] for d in data["devices"]]


def test_registrars_device_joins_the_sim_cartable(api):
    msisdn, token = sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei, brand="Apple", model="iPhone X")

    status, data, headers = try_activate(api, token, imei, code)

    assert status == 201, data
    assert headers["Content-Type"] == "application/json"
    device = data["device"]
    assert device["imeis"] == [imei]
    assert (device["brand"], device["model"]) == ("Apple", "iPhone X")
    assert device["activation_code"] == code
    assert device["msisdn"] == msisdn
    assert device["status"] == "active"
    assert device["registered_at"].endswith("Z")
    assert listed(api, token) == [imei]


def test_either_imei_of_a_dual_imei_phone_activates_the_whole_device(api):
    _, token = sim_cartable(api)
    first, second = ids.imei(), ids.imei()
    code = api.register_device(first, imei2=second)

    status, data, _ = try_activate(api, token, second, code)

    assert status == 201, data
    assert data["device"]["imeis"] == [first, second]
    assert listed(api, token) == [first]
    # Either IMEI now names a device already in this cartable.
    assert try_activate(api, token, first, code)[1]["error"]["code"] == "already_in_cartable"


def test_persian_digits_are_accepted(api):
    _, token = sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

    status, data, _ = try_activate(api, token, imei.translate(persian), code.translate(persian))

    assert status == 201, data


def test_wrong_code_and_unknown_imei_answer_alike(api):
    _, token = sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    wrong_code = try_activate(api, token, imei, wrong)
    unknown = try_activate(api, token, ids.imei(), code)
    wrong_en = try_activate(api, token, imei, wrong, headers={"Accept-Language": "en"})
    unknown_en = try_activate(api, token, ids.imei(), code, headers={"Accept-Language": "en"})

    assert wrong_code[0] == unknown[0] == 404
    assert wrong_code[1] == unknown[1]
    assert wrong_code[1]["error"]["code"] == "not_found"
    # The route's own words name both fields and blame neither (errors.ROUTE_REASONS).
    assert wrong_en[1] == unknown_en[1]
    assert wrong_en[1]["error"]["message"] == "The IMEI or the activation code is wrong. Check both."
    assert listed(api, token) == []


def test_a_device_already_activated_is_not_offered(api):
    _, owner = sim_cartable(api)
    _, other = sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    assert try_activate(api, owner, imei, code)[0] == 201

    status, data, _ = try_activate(api, other, imei, code)

    assert (status, data["error"]["code"]) == (404, "not_found")
    assert listed(api, owner) == [imei] and listed(api, other) == []


def test_activating_again_in_the_same_cartable_is_409(api):
    _, token = sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    try_activate(api, token, imei, code)

    status, data, _ = try_activate(api, token, imei, code)

    assert (status, data["error"]["code"]) == (409, "already_in_cartable")


def test_wrong_codes_lock_the_imei_then_it_unlocks(api, set_env):
    set_env(ACTIVATION_MAX_ATTEMPTS=3, ACTIVATION_LOCK_SECONDS=600)
    _, token = sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(3):
        assert try_activate(api, token, imei, wrong)[0] == 404

    status, data, headers = try_activate(api, token, imei, code)  # even the right code

    assert (status, data["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(headers["Retry-After"]) <= 600
    assert data["retry_after"] == int(headers["Retry-After"])
    assert listed(api, token) == []
    clock.advance(601)
    assert try_activate(api, token, imei, code)[0] == 201


def test_the_lock_is_per_imei(api, set_env):
    set_env(ACTIVATION_MAX_ATTEMPTS=2)
    _, token = sim_cartable(api)
    locked, other = ids.imei(), ids.imei()
    api.register_device(locked)
    code = api.register_device(other)
    for _ in range(2):
        try_activate(api, token, locked, "000000")
    assert try_activate(api, token, locked, "000000")[0] == 429

    assert try_activate(api, token, other, code)[0] == 201


def test_both_imeis_of_a_phone_share_one_budget_of_guesses(api, set_env):
    set_env(ACTIVATION_MAX_ATTEMPTS=3)
    _, token = sim_cartable(api)
    imei, imei2 = ids.imei(), ids.imei()
    code = api.register_device(imei, imei2=imei2)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for typed in (imei, imei2, imei):
        assert try_activate(api, token, typed, wrong)[0] == 404
    assert try_activate(api, token, imei2, code)[0] == 429
    assert try_activate(api, token, imei, code)[0] == 429


def test_unknown_imeis_are_limited_like_known_ones(api, set_env):
    set_env(ACTIVATION_MAX_ATTEMPTS=2)
    _, token = sim_cartable(api)
    unknown = ids.imei()
    assert [try_activate(api, token, unknown, "123456")[0] for _ in range(3)] == [404, 404, 429]


def test_a_right_code_resets_the_count_of_wrong_ones(api, set_env):
    set_env(ACTIVATION_MAX_ATTEMPTS=2)
    _, token = sim_cartable(api)
    first, second = ids.imei(), ids.imei()
    code = api.register_device(first)
    try_activate(api, token, first, "000000" if code != "000000" else "111111")
    assert try_activate(api, token, first, code)[0] == 201
    # One more failure on this IMEI is again the first of a new run, not the lock.
    assert try_activate(api, token, first, code)[0] == 409
    assert try_activate(api, token, second, "000000")[0] == 404


def test_bad_input_is_400(api):
    _, token = sim_cartable(api)
    imei = ids.imei()
    assert try_activate(api, token, "123456789012345", "123456")[1]["error"]["code"] == "invalid_imei"
    assert api.post("/devices/activate", {"imei": imei}, token=token)[0] == 400
    status, data, _ = api.post("/devices/activate", {"imei": imei, "activation_code": 123456},
                               token=token)
    assert (status, data["error"]["code"]) == (400, "invalid_request")
    status, data, _ = api.post("/devices/activate", raw="{not json", token=token)
    assert (status, data["error"]["code"]) == (400, "invalid_request")


def test_without_a_session_it_is_401(api):
    imei = ids.imei()
    code = api.register_device(imei)
    assert try_activate(api, None, imei, code)[0] == 401
    assert try_activate(api, "not-a-token", imei, code)[0] == 401


def test_an_expired_sim_cannot_take_devices(api):
    msisdn = ids.msisdn()
    person = ids.national_id()
    soon = datetime.fromtimestamp(clock.now() + 60, tz=timezone.utc).isoformat()
    api.operator_sim(msisdn, person, expires_at=soon)
    token = flows.sim_login(api, msisdn)
    imei = ids.imei()
    code = api.register_device(imei)
    clock.advance(120)  # the SIM expired by time; no job has run

    status, data, _ = try_activate(api, token, imei, code)

    assert (status, data["error"]["code"]) == (409, "sim_inactive")


def test_a_sim_session_naming_another_number_is_refused(api):
    _, token = sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)

    status, data, _ = try_activate(api, token, imei, code, msisdn=ids.msisdn())

    assert (status, data["error"]["code"]) == (409, "sim_inactive")


def test_national_id_session_uses_its_first_active_sim_or_the_one_it_names(api):
    _, (first, second), token = nid_cartable(api, extra_sims=1)
    one, two = ids.imei(), ids.imei()
    code_one, code_two = api.register_device(one), api.register_device(two)

    status, data, _ = try_activate(api, token, one, code_one)
    assert status == 201 and data["device"]["msisdn"] == first, data
    status, data, _ = try_activate(api, token, two, code_two, msisdn=second)
    assert status == 201 and data["device"]["msisdn"] == second, data

    assert listed(api, token) == [one, two]
    # Each SIM's own cartable shows the device on it too.
    assert listed(api, flows.sim_login(api, second)) == [two]


def test_national_id_session_naming_a_sim_it_does_not_hold_is_refused(api):
    _, _, token = nid_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)

    status, data, _ = try_activate(api, token, imei, code, msisdn=ids.msisdn())

    assert (status, data["error"]["code"]) == (409, "sim_inactive")


def test_national_id_session_without_an_active_sim_is_refused(api):
    person, (msisdn,), token = nid_cartable(api)
    api.operator_sim(msisdn, person, status="expired")
    imei = ids.imei()
    code = api.register_device(imei)

    status, data, _ = try_activate(api, token, imei, code)

    assert (status, data["error"]["code"]) == (409, "sim_inactive")


def test_a_sim_in_a_national_id_cartable_brings_its_new_device_there(api):
    _, (msisdn,), nid_token = nid_cartable(api)
    sim_token = flows.sim_login(api, msisdn)
    imei = ids.imei()
    code = api.register_device(imei)

    assert try_activate(api, sim_token, imei, code)[0] == 201

    assert listed(api, nid_token) == [imei]
    assert listed(api, sim_token) == [imei]

