"""`scripts/local.py` as a newcomer runs it: a subprocess on free ports, spoken to over HTTP."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
import requests

from testkit import ids
from testkit.local_run import OPERATOR, REGISTRAR, ROOT, free_port
from tests.servers import moto_server


def stored_sim(endpoint: str, msisdn: str) -> bool:
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    item = dynamodb.get_item(TableName="hamta-local-sims", Key={"msisdn": {"S": msisdn}})
    return "Item" in item


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_every_flow_over_http_with_sms_on_console_and_in_the_emulator(run):
    # OTP_TTL_SECONDS from the caller's environment wins over the default.
    local = run("--demo", "--cleanup-interval", "1", env={"OTP_TTL_SECONDS": "77"})
    assert any("demo devices" in line for line in local.output)
    msisdn, nid, imei = ids.msisdn(), ids.national_id(), ids.imei()

    assert local.call("PUT", f"/operator/sims/{msisdn}", {"national_id": nid, "status": "active"},
                      token=OPERATOR)[0] == 200
    status, data = local.call("POST", "/registrar/devices", {"imei": imei, "source": "import"},
                              token=REGISTRAR)
    assert status == 201
    code = data["activation_code"]
    assert local.call("GET", f"/imei/{imei}")[1]["status"] == "registered"
    # The partner roles are the provisioned keys: the operator's key is no registrar's.
    assert local.call("POST", "/registrar/devices", {"imei": ids.imei(), "source": "import"},
                      token=OPERATOR)[0] == 403

    captcha = local.call("POST", "/captcha")[1]
    status, data = local.call("POST", "/auth/otp", {
        "msisdn": msisdn, "captcha_id": captcha["captcha_id"], "captcha_answer": "0"})
    assert (status, data["expires_in"]) == (202, 77)
    printed = local.wait_for(lambda line: line.startswith("SMS to +98" + msisdn[1:]), timeout=10)
    emulated = requests.get(local.aws + "/moto-api/data.json", timeout=10).json()["sns"]["SMS"]
    texts = [sms["message"] for sms in emulated if sms["phone_number"] == "+98" + msisdn[1:]]
    assert len(texts) == 1 and printed.split(": ", 1)[1] in texts[0]
    otp = next(word for word in texts[0].split() if word.isdigit() and len(word) == 6)

    status, data = local.call("POST", "/auth/otp/verify", {"msisdn": msisdn, "code": otp})
    assert status == 200 and data["cartable"] == {"kind": "sim", "msisdn": msisdn}
    token = data["token"]
    status, data = local.call("POST", "/devices/activate", {"imei": imei, "activation_code": code},
                              token=token)
    assert status == 201 and data["device"]["imeis"] == [imei]
    assert [d["imeis"] for d in local.call("GET", "/devices", token=token)[1]["devices"]] == [[imei]]

    # The scheduled job runs on the interval, as the hourly schedule would on AWS.
    local.wait_for(lambda line: line.startswith("expire_sims: "), timeout=10)
    assert local.stop() == 0
    assert local.output[-1] == "stopped" or local.wait_for(lambda line: line == "stopped", 5)


def test_an_emulator_already_running_is_used_and_none_is_started(run):
    with moto_server() as url:
        local = run("--aws-endpoint", url)
        assert not listening(local.aws_port)
        msisdn = ids.msisdn()
        assert local.call("PUT", f"/operator/sims/{msisdn}",
                          {"national_id": ids.national_id(), "status": "active"},
                          token=OPERATOR)[0] == 200
        # The record landed in the emulator the test started (the local stage's tables).
        assert stored_sim(url, msisdn)
        assert local.stop() == 0
        # Tables made by the first run are reused by the next one (no error, same data).
        again = run("--aws-endpoint", url)
        assert again.call("GET", "/imei/" + ids.imei())[0] == 200
        assert stored_sim(url, msisdn)
        assert json.dumps(again.call("GET", "/me")[1]).count("unauthorized") == 1


def test_the_customs_key_and_the_demo_model_table(run):
    customs = "local-customs-key"
    local = run("--demo", "--customs-key", customs)
    assert any(line.startswith("customs key:") and customs in line for line in local.output)
    # The demo's model table names an unregistered IMEI by its TAC.
    unregistered = ids.luhn_complete("35332811" + "424242")
    answer = local.call("GET", f"/imei/{unregistered}")[1]
    assert (answer["status"], answer["brand"], answer["model"]) == ("not_registered", "Samsung", "Galaxy A15")
    from datetime import date

    body = {"passport": "L12345678", "entry_date": date.today().isoformat(), "msisdn": ids.msisdn(),
            "imei": ids.imei(), "brand": "Apple", "model": "iPhone 15"}
    assert local.call("POST", "/customs/travellers", body, token=customs)[0] == 201
    assert local.call("POST", "/customs/travellers", body, token=REGISTRAR)[0] == 403
    assert local.stop() == 0


@pytest.mark.parametrize("flag", ["--port", "--aws-port"])
def test_a_busy_port_ends_with_one_clear_line_and_a_non_zero_exit(flag):
    """Issue 10 item 9: a busy API port was a traceback, a busy emulator port a hang."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        other = free_port()
        ports = {"--port": other, "--aws-port": other, flag: busy}
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HAMTA_"))}
        finished = subprocess.run(
            [sys.executable, "scripts/local.py", "--port", str(ports["--port"]),
             "--aws-port", str(ports["--aws-port"])],
            cwd=ROOT, env=child_env, capture_output=True, text=True, timeout=60,
        )
    assert finished.returncode != 0
    lines = [line for line in finished.stderr.splitlines() if line.strip()]
    assert lines == [f"local.py: port {busy} is already in use; free it or choose another with {flag}"]
    assert "ready" not in finished.stdout


def test_an_attempt_budget_holds_over_http_on_the_local_run(run):
    """20 wrong logins fired at once at scripts/local.py: at most LOGIN_MAX_FAILURES are
    checked (API.md "Conventions"). On the local run this also needs chalice local's
    request to be per thread and moto's writes to be atomic (scripts/local.py)."""
    from concurrent.futures import ThreadPoolExecutor

    local = run()
    msisdn, nid = ids.msisdn(), ids.national_id()
    local.call("PUT", f"/operator/sims/{msisdn}", {"national_id": nid, "status": "active"},
               token=OPERATOR)
    captcha = local.call("POST", "/captcha")[1]["captcha_id"]
    local.call("POST", "/auth/otp", {"msisdn": msisdn, "captcha_id": captcha, "captcha_answer": "0"})
    local.wait_for(lambda line: line.startswith("SMS to +98" + msisdn[1:]), timeout=10)
    emulated = requests.get(local.aws + "/moto-api/data.json", timeout=10).json()["sns"]["SMS"]
    text = [sms["message"] for sms in emulated if sms["phone_number"] == "+98" + msisdn[1:]][-1]
    otp = next(word for word in text.split() if word.isdigit() and len(word) == 6)
    token = local.call("POST", "/auth/otp/verify", {"msisdn": msisdn, "code": otp})[1]["token"]
    assert local.call("POST", "/auth/register", {"national_id": nid, "birth_date": "1370/05/12",
                                                 "password": "a-Strong-pass-1"}, token=token)[0] == 201
    captchas = [local.call("POST", "/captcha")[1]["captcha_id"] for _ in range(20)]

    def wrong_login(captcha_id):
        return local.call("POST", "/auth/login", {"national_id": nid, "password": "wrong-Pass-9",
                                                  "captcha_id": captcha_id, "captcha_answer": "0"})

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = [status_and_body for status_and_body in pool.map(wrong_login, captchas)]
    codes = [body["error"]["code"] for _, body in answers]
    assert set(codes) <= {"invalid_credentials", "rate_limited"}, codes
    assert len([c for c in codes if c == "invalid_credentials"]) <= 5, codes


def test_the_emulators_dump_does_not_grow_with_dynamodb_calls(run):
    """moto keeps every object it makes for /moto-api/data.json, and each DynamoDB
    transaction copies the whole table: kept, those copies made data.json (where the SMS
    are read) slower after every request until the local run stalled (bench/latency.py
    with 200 requests). The local run keeps none of DynamoDB's; the SMS are all there."""
    local = run()
    msisdn = ids.msisdn()

    def sign_in_attempt() -> None:
        captcha = local.call("POST", "/captcha")[1]["captcha_id"]
        local.call("POST", "/auth/otp", {"msisdn": msisdn, "captcha_id": captcha,
                                         "captcha_answer": "0"})

    sign_in_attempt()  # the number's items exist; later sends are refused (resend timer)
    before = requests.get(local.aws + "/moto-api/data.json", timeout=30).content
    for _ in range(15):
        sign_in_attempt()
    after = requests.get(local.aws + "/moto-api/data.json", timeout=30).content
    assert len(after) == len(before)
    emulated = json.loads(after)["sns"]["SMS"]
    assert [sms["phone_number"] for sms in emulated] == ["+98" + msisdn[1:]]
