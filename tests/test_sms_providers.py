"""SMS_PROVIDER=kavenegar against a local stand-in of Kavenegar's REST API (issue 21):
success, the provider's error codes, slow answers and dropped connections."""
from __future__ import annotations

import json

import pytest

from chalicelib import keys
from testkit import ids
from tests.flows import activated_device, messages_to, request_otp, secret_in, sim_login
from tests.kavenegar_standin import kavenegar_standin

API_KEY = "test-kavenegar-key"


@pytest.fixture
def standin(api, set_env):
    with kavenegar_standin() as server:
        set_env(SMS_PROVIDER="kavenegar", KAVENEGAR_URL=server.url, KAVENEGAR_API_KEY=API_KEY,
                SMS_PROVIDER_TIMEOUT_SECONDS=1)
        yield server


def metrics(out: str) -> list[dict]:
    """The EMF lines Powertools Metrics printed."""
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def test_a_code_goes_through_kavenegar_as_its_documentation_says(api, standin):
    msisdn = ids.msisdn()
    status, data, _ = request_otp(api, msisdn)
    assert status == 202, data
    (request,) = standin.requests
    assert request["path"] == f"/v1/{API_KEY}/sms/send.json"
    assert request["form"]["receptor"] == msisdn
    assert len(secret_in(request["form"]["message"])) == 6
    assert request["form"]["localid"]
    assert messages_to(msisdn) == []  # nothing through SNS


@pytest.mark.parametrize("code", [401, 403, 409, 411, 412, 413, 418, 422, 451])
def test_a_refusal_is_no_sms_sent_and_is_not_retried(api, standin, code, capsys):
    standin.answers = [code]
    msisdn = ids.msisdn()
    status, data, headers = request_otp(api, msisdn)
    assert (status, data["error"]["code"]) == (503, "sms_unavailable")
    assert int(headers["Retry-After"]) > 0
    assert len(standin.requests) == 1
    refused = [m for m in metrics(capsys.readouterr().out) if "SmsRefused" in m]
    assert refused and refused[-1]["Class"] == "code"
    # The refused send started no resend timer: asking again sends at once.
    assert request_otp(api, msisdn)[0] == 202
    assert len(standin.requests) == 2


def test_no_credit_and_a_wrong_number_are_told_apart_in_the_metrics(api, standin, capsys):
    standin.answers = [418, 411]
    request_otp(api, ids.msisdn())
    request_otp(api, ids.msisdn())
    causes = [m["Cause"] for m in metrics(capsys.readouterr().out) if "SmsRefused" in m]
    assert causes == ["no_credit", "bad_number"]


def test_a_slow_answer_is_tried_once_more_with_the_same_localid(api, standin):
    standin.answers = ["slow"]
    msisdn = ids.msisdn()
    assert request_otp(api, msisdn)[0] == 202
    first, second = standin.requests
    assert first["form"] == second["form"]  # the same localid: Kavenegar sends it once


def test_two_slow_answers_are_a_503_after_two_tries(api, standin):
    standin.answers = ["slow", "slow"]
    status, data, headers = request_otp(api, ids.msisdn())
    assert (status, data["error"]["code"]) == (503, "sms_unavailable")
    assert "Retry-After" in headers
    assert len(standin.requests) == 2


def test_a_dropped_connection_is_tried_once_more(api, standin):
    standin.answers = ["drop"]
    assert request_otp(api, ids.msisdn())[0] == 202
    assert len(standin.requests) == 2


def test_dropped_twice_is_a_503_and_never_a_500(api, standin):
    standin.answers = ["drop", "drop"]
    status, data, _ = request_otp(api, ids.msisdn())
    assert (status, data["error"]["code"]) == (503, "sms_unavailable")
    assert len(standin.requests) == 2


def test_a_refused_notice_leaves_the_block_standing(api, set_env):
    msisdn = ids.msisdn()
    token = sim_login(api, msisdn)  # through SNS, to read the code
    imei = activated_device(api, token, msisdn)
    with kavenegar_standin() as server:
        set_env(SMS_PROVIDER="kavenegar", KAVENEGAR_URL=server.url, KAVENEGAR_API_KEY=API_KEY)
        server.answers = [418]
        status, data, _ = api.post(f"/devices/{imei}/block", {"reason": "lost"}, token=token)
        assert (status, data["device"]["status"]) == (200, "blocked")
        assert [r["form"]["receptor"] for r in server.requests] == [msisdn]


def test_the_key_comes_from_ssm_like_the_hmac_key(api, set_env):
    import boto3

    from chalicelib import settings

    boto3.client("ssm", region_name=settings.REGION).put_parameter(
        Name="/hamta/test/kavenegar-api-key", Value="from-ssm", Type="SecureString")
    keys.ssm_secret.cache_clear()
    with kavenegar_standin() as server:
        set_env(SMS_PROVIDER="kavenegar", KAVENEGAR_URL=server.url, KAVENEGAR_API_KEY="",
                KAVENEGAR_API_KEY_PARAMETER="/hamta/test/kavenegar-api-key")
        assert request_otp(api, ids.msisdn())[0] == 202
        assert server.requests[0]["path"] == "/v1/from-ssm/sms/send.json"
    keys.ssm_secret.cache_clear()
