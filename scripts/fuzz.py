"""`make fuzz`: schemathesis over docs/openapi.yaml against scripts/local.py on free ports.

Starts the local run (CAPTCHA_MODE=off), signs in over HTTP like a front end (operator
record, captcha, SMS code read from the emulated SNS, national-ID cartable), then runs
schemathesis four times: the public and cartable routes with a national-ID token, the
operator route with the operator's key, the registrar routes with the registrar's key,
the customs route with the customs office's key.
Fails on any 5xx, or any status, content type, header or body the document does not allow.

    python scripts/fuzz.py [--max-examples N] [--seed S]
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
OPERATOR_KEY = "fuzz-operator-key"
REGISTRAR_KEY = "fuzz-registrar-key"
CUSTOMS_KEY = "fuzz-customs-key"
NATIONAL_ID = "0012345679"
MSISDN = "09121119999"
PASSWORD = "fuzzing-Pass-2026"
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_local(port: int, aws_port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HAMTA_"))}
    env["CAPTCHA_MODE"] = "off"
    process = subprocess.Popen(
        [sys.executable, "scripts/local.py", "--port", str(port), "--aws-port", str(aws_port),
         "--operator-key", OPERATOR_KEY, "--registrar-key", REGISTRAR_KEY,
         "--customs-key", CUSTOMS_KEY],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    deadline = time.monotonic() + 60
    for line in process.stdout:  # type: ignore[union-attr]
        if line.strip() == "ready":
            return process
        if time.monotonic() > deadline:
            break
    process.kill()
    raise SystemExit("scripts/local.py did not become ready")


def national_id_token(api: str, aws: str) -> str:
    """A real national-ID session, obtained the way a person gets one."""
    def post(path: str, body: dict, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.post(api + path, json=body, headers=headers, timeout=10)
        if response.status_code >= 300:
            raise SystemExit(f"{path}: {response.status_code} {response.text}")
        return response.json()

    requests.put(f"{api}/operator/sims/{MSISDN}", json={"national_id": NATIONAL_ID,
                 "status": "active"}, headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
                 timeout=10).raise_for_status()
    captcha = post("/captcha", {})
    post("/auth/otp", {"msisdn": MSISDN, "captcha_id": captcha["captcha_id"], "captcha_answer": "0"})
    sms = requests.get(aws + "/moto-api/data.json", timeout=10).json()["sns"]["SMS"][-1]["message"]
    code = next(word for word in sms.split() if word.isdigit() and len(word) == 6)
    sim_token = post("/auth/otp/verify", {"msisdn": MSISDN, "code": code})["token"]
    post("/auth/register", {"national_id": NATIONAL_ID, "birth_date": "1370/05/12",
                            "password": PASSWORD}, token=sim_token)
    captcha = post("/captcha", {})
    return post("/auth/login", {"national_id": NATIONAL_ID, "password": PASSWORD,
                                "captcha_id": captcha["captcha_id"], "captcha_answer": "0"})["token"]


def schemathesis(api: str, token: str, filters: list[str], args: argparse.Namespace) -> int:
    command = [
        os.path.join(BIN, "st"), "run", os.path.join(ROOT, "docs", "openapi.yaml"),
        "--url", api, "--checks", CHECKS, "--max-examples", str(args.max_examples),
        "--seed", str(args.seed), "--header", f"Authorization: Bearer {token}",
        "--generation-database", "none", "--no-color", "--workers", "1",
        "--phases", "examples,coverage,fuzzing", *filters,
    ]
    return subprocess.run(command, cwd=ROOT).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args(argv)
    port, aws_port = free_port(), free_port()
    api, aws = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}"
    process = start_local(port, aws_port)
    started = time.monotonic()
    try:
        token = national_id_token(api, aws)
        results = [
            # Logging out (or ending every session) would end the token the rest of the run
            # needs: both are tested in pytest.
            schemathesis(api, token, ["--exclude-path-regex", "^/(operator|registrar|customs)/",
                                      "--exclude-path", "/auth/logout",
                                      "--exclude-path", "/me/sessions"], args),
            schemathesis(api, OPERATOR_KEY, ["--include-path-regex", "^/operator/"], args),
            schemathesis(api, REGISTRAR_KEY, ["--include-path-regex", "^/registrar/"], args),
            # The operators' USSD gateway (its own key; with the token above it is only 401s).
            schemathesis(api, OPERATOR_KEY, ["--include-path", "/ussd"], args),
            schemathesis(api, CUSTOMS_KEY, ["--include-path-regex", "^/customs/"], args),
        ]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    print(f"fuzz: {'failed' if any(results) else 'passed'} in {time.monotonic() - started:.0f} s")
    return 1 if any(results) else 0


if __name__ == "__main__":
    sys.exit(main())
