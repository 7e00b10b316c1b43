"""The phone's channels through `scripts/local.py` as a newcomer runs it: an SMS to 7777
published on the emulated topic is answered by SMS within seconds, and USSD over HTTP."""
from __future__ import annotations

import json
import time

import boto3
import requests

from testkit import ids
from testkit.local_run import OPERATOR, REGISTRAR


def sms_to(local, msisdn: str) -> list[str]:
    emulated = requests.get(local.aws + "/moto-api/data.json", timeout=10).json()["sns"]["SMS"]
    return [sms["message"] for sms in emulated if sms["phone_number"] == "+98" + msisdn[1:]]


def test_an_sms_published_on_the_topic_is_answered_by_sms(run):  # noqa: F811
    local = run()
    imei = ids.imei()
    assert local.call("POST", "/registrar/devices",
                      {"imei": imei, "source": "import", "brand": "Xiaomi", "model": "Redmi 13"},
                      token=REGISTRAR)[0] == 201
    sns = boto3.client("sns", endpoint_url=local.aws, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x")
    (topic,) = [t["TopicArn"] for t in sns.list_topics()["Topics"]
                if t["TopicArn"].endswith(":hamta-inbound-sms")]
    msisdn = ids.msisdn()
    persian = imei.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    for body in (persian, "سلام"):
        sns.publish(TopicArn=topic, Message=json.dumps(
            {"originationNumber": "+98" + msisdn[1:], "destinationNumber": "+987777",
             "messageBody": body}, ensure_ascii=False))
    deadline = time.monotonic() + 10
    while len(sms_to(local, msisdn)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    answer, help_text = sorted(sms_to(local, msisdn), key=lambda text: "IMEI" in text)
    assert imei in answer and "ثبت شده" in answer and "Redmi 13" in answer
    assert "IMEI" in help_text
    # And USSD over HTTP with the operator's key.
    response = requests.post(local.url + "/ussd", timeout=10,
                             headers={"Authorization": f"Bearer {OPERATOR}"},
                             json={"session_id": "e2e", "msisdn": msisdn, "text": "1*" + imei})
    assert response.status_code == 200 and imei in response.json()["reply"]
    assert local.stop() == 0


def test_the_demo_prints_channels_and_recovery_commands_that_work(run):  # noqa: F811
    """`--demo` prints a USSD body, an inbound SMS and a command that expires the recovery
    SIM at once; each, run as printed, does what it says."""
    import re
    import shlex
    import subprocess
    import sys

    from scripts import demo

    local = run("--demo")
    printed = [line.strip() for line in local.output]
    ussd = [line for line in printed if line.startswith("curl") and "/ussd" in line]
    assert len(ussd) >= 4, printed
    menu = json.loads(re.search(r"-d '(\{.*?\})'", ussd[0])[1])
    key = re.search(r"Bearer ([^']+)'", ussd[0])[1]
    response = requests.post(local.url + "/ussd", json=menu, timeout=10,
                             headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200 and "استعلام اصالت" in response.json()["reply"]
    # The recovery SIM lives long enough for a newcomer, and one command expires it now.
    expiring = demo.SIMS[3][0]
    assert demo.SIMS[3][2] >= 15 * 60
    (expire,) = [line for line in printed if f"/operator/sims/{expiring}" in line and "expired" in line]
    body = json.loads(re.search(r"-d '(\{.*?\})'", expire)[1])
    assert local.call("PUT", f"/operator/sims/{expiring}", body, token=key)[0] == 200
    # The inbound SMS, run as printed: its answer reaches the sender by SMS.
    (inbound,) = [line for line in printed if "hamta-inbound-sms" in line and line.startswith(".venv")]
    sender = re.search(r"originationNumber\\\": \\\"\+98(\d+)", inbound) or re.search(r"\+98(9\d{9})", inbound)
    msisdn = "0" + sender[1]
    argv = shlex.split(inbound)
    subprocess.run([sys.executable, *argv[1:]], check=True, timeout=60)
    deadline = time.monotonic() + 15
    while not any("ثبت شده" in text for text in sms_to(local, msisdn)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert any("ثبت شده" in text for text in sms_to(local, msisdn)), sms_to(local, msisdn)
