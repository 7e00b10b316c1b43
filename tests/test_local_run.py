"""`scripts/local.py` as a newcomer runs it: a subprocess on free ports, spoken to over HTTP."""
from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests import ids
from tests.servers import free_port, moto_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATOR = "local-operator-key"
REGISTRAR = "local-registrar-key"


class LocalRun:
    """scripts/local.py in a subprocess; its stdout lines collected as they come."""

    def __init__(self, *flags: str, env: dict | None = None) -> None:
        self.port, self.aws_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.aws = f"http://127.0.0.1:{self.aws_port}"
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HAMTA_"))}
        child_env.update({"CAPTCHA_MODE": "off", **(env or {})})
        self.process = subprocess.Popen(
            [sys.executable, "scripts/local.py", "--port", str(self.port),
             "--aws-port", str(self.aws_port), "--operator-key", OPERATOR,
             "--registrar-key", REGISTRAR, *flags],
            cwd=ROOT, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, predicate, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    raise AssertionError(f"local.py exited: {self.output[-20:]}")
                continue
            self.output.append(line)
            if predicate(line):
                return line
        raise AssertionError(f"not seen in time; output so far: {self.output[-20:]}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()

    def call(self, method: str, path: str, body=None, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.request(method, self.url + path, json=body, headers=headers, timeout=10)
        return response.status_code, response.json() if response.content else None


def stored_sim(endpoint: str, msisdn: str) -> bool:
    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    item = dynamodb.get_item(TableName="hamta-local-sims", Key={"msisdn": {"S": msisdn}})
    return "Item" in item


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def run():
    started: list[LocalRun] = []

    def start(*flags, env=None) -> LocalRun:
        local = LocalRun(*flags, env=env)
        started.append(local)
        local.wait_for(lambda line: line == "ready")
        return local

    yield start
    for local in started:
        local.stop()


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
