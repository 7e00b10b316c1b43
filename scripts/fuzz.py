"""`make fuzz`: schemathesis over docs/openapi.yaml against scripts/local.py on free ports.

Starts the local run (CAPTCHA_MODE=off), signs in over HTTP like a front end (operator
record, captcha, SMS code read from the emulated SNS, national-ID cartable), then runs
schemathesis seven times: the public and cartable routes with a national-ID token (in
three parts: sign-in, the devices, the rest), the operator routes and the USSD gateway with
the operator's key, the registrar routes with the registrar's key, the customs route with
the customs office's key.
Fails on any 5xx, or any status, content type, header or body the document does not allow.

The runs go side by side (--jobs, default 4) against the one local run: a run spends most
of its time waiting for answers (the forgot-password floor, argon2, moto), so two cores
carry four. Each run's report is printed whole when it ends.

    python scripts/fuzz.py [--max-examples N] [--seed S] [--jobs J]
"""
from __future__ import annotations

import argparse
import concurrent.futures
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


def schemathesis(api: str, token: str, filters: list[str], args: argparse.Namespace) -> tuple[int, str]:
    command = [
        os.path.join(BIN, "st"), "run", os.path.join(ROOT, "docs", "openapi.yaml"),
        "--url", api, "--checks", CHECKS, "--max-examples", str(args.max_examples),
        "--seed", str(args.seed), "--header", f"Authorization: Bearer {token}",
        # One worker: schemathesis 4.32.5 crashes on several (a thread-safety fault in
        # its coverage phase); the parallelism is in separate processes instead.
        "--generation-database", "none", "--no-color", "--workers", "1",
        "--phases", "examples,coverage,fuzzing", *filters,
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    return done.returncode, f"{done.stdout}({time.monotonic() - started:.0f} s)\n"


# The national-ID token's routes in three parts of about equal time.
SIGN_IN, DEVICES = "^/(auth|captcha)", "^/devices"


def runs(token: str) -> list[tuple[str, list[str]]]:
    # Logging out (or ending every session) would end the token the other runs need: both
    # are tested in pytest.
    keep_token = ["--exclude-path", "/auth/logout", "--exclude-path", "/me/sessions"]
    return [
        (token, ["--include-path-regex", SIGN_IN, *keep_token]),
        (token, ["--include-path-regex", DEVICES]),
        (token, ["--exclude-path-regex", f"{SIGN_IN}|{DEVICES}|^/(operator|registrar|customs)/",
                 *keep_token]),
        (OPERATOR_KEY, ["--include-path-regex", "^/operator/"]),
        (REGISTRAR_KEY, ["--include-path-regex", "^/registrar/"]),
        # The operators' USSD gateway (its own key; with the token above it is only 401s).
        (OPERATOR_KEY, ["--include-path", "/ussd"]),
        (CUSTOMS_KEY, ["--include-path-regex", "^/customs/"]),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=15)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args(argv)
    port, aws_port = free_port(), free_port()
    api, aws = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}"
    process = start_local(port, aws_port)
    started = time.monotonic()
    codes = []
    try:
        token = national_id_token(api, aws)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(schemathesis, api, key, filters, args)
                       for key, filters in runs(token)]
            for future in concurrent.futures.as_completed(futures):
                code, report = future.result()
                codes.append(code)
                print(report, flush=True)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    failed = any(codes) or not codes
    print(f"fuzz: {'failed' if failed else 'passed'} in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
