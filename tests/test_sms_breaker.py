"""The service-wide SMS circuit breaker (issue 10 item 3; docs/measurements.md "SMS spend")."""
from __future__ import annotations

from chalicelib import clock
from testkit import ids
from tests.flows import messages_to, new_nid_cartable, request_otp


def test_past_the_breaker_every_send_is_503_sms_unavailable_until_the_window_ends(api, set_env):
    set_env(SMS_MAX_PER_WINDOW=3, SMS_WINDOW_SECONDS=3600)
    numbers = [ids.msisdn() for _ in range(4)]
    for msisdn in numbers[:3]:
        assert request_otp(api, msisdn)[0] == 202
    status, data, headers = request_otp(api, numbers[3])
    assert (status, data["error"]["code"]) == (503, "sms_unavailable")
    assert 0 < int(headers["Retry-After"]) <= 3600
    assert messages_to(numbers[3]) == []
    # The refused send started no resend timer: the next window sends at once.
    clock.advance(3600)
    assert request_otp(api, numbers[3])[0] == 202
    assert len(messages_to(numbers[3])) == 1


def test_the_breaker_counts_every_kind_of_sms(api, set_env):
    # Set first: a budget's shards follow its size (sms_gate.SHARD_MIN_BUDGET).
    set_env(SMS_MAX_PER_WINDOW=2)
    nid, msisdn, token = new_nid_cartable(api)  # one login SMS so far
    second = ids.msisdn()
    api.operator_sim(second, nid)
    assert api.post("/sims", {"msisdn": second}, token=token)[0] == 202  # the second SMS
    before = len(messages_to(msisdn))
    status, _, _ = api.post(
        "/auth/password/forgot",
        {"national_id": nid, "msisdn": msisdn, "birth_date": "1370/05/12", "channel": "sms"},
    )
    assert status == 202  # the same answer whatever happened...
    assert len(messages_to(msisdn)) == before  # ...and no SMS past the breaker
    third = ids.msisdn()
    status, data, _ = request_otp(api, third)
    assert (status, data["error"]["code"]) == (503, "sms_unavailable")


def test_zero_turns_the_breaker_off(api, set_env):
    set_env(SMS_MAX_PER_WINDOW=0)
    for _ in range(3):
        assert request_otp(api, ids.msisdn())[0] == 202
