"""Latency per route as a person would feel it on AWS, where every DynamoDB or SNS call is
a network round trip: the local run behind a proxy that delays each AWS call.

Starts moto server, a forwarding proxy in front of it that waits `--delay-ms` before each
call, and `scripts/local.py --aws-endpoint <proxy>`; then sends `--requests` requests to each
route over HTTP and prints one JSON line per route: median and 99th percentile in ms. The
delay stands for the few milliseconds of a round trip inside an AWS region, so a route that
saves one AWS call shows it as one delay less.

    .venv/bin/python bench/latency.py [--requests 200] [--delay-ms 5]

Bounded: every request has a timeout (`--timeout`, 30 s), and so has the local run's
start; past either the bench ends with one line saying which request, not a hang.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from testkit import ids  # noqa: E402
from testkit.local_run import free_port  # noqa: E402

OPERATOR, REGISTRAR = "bench-operator", "bench-registrar"
NATIONAL_ID = "0012345679"
MSISDN = "09121110000"
PASSWORD = "bench-Pass-2026"


def delay_proxy(target: str, delay: float) -> tuple[ThreadingHTTPServer, str]:
    """An HTTP proxy on a free port that forwards every request to `target` after `delay` s."""
    host, port = urlsplit(target).hostname, urlsplit(target).port
    local = threading.local()

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def finish(self) -> None:
            # The client's connection is over: so is this thread's one to the emulator.
            super().finish()
            if getattr(local, "conn", None) is not None:
                local.conn.close()
                local.conn = None

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay)
            reused = getattr(local, "conn", None) is not None
            if not reused:
                local.conn = http.client.HTTPConnection(host, port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            try:
                local.conn.request(self.command, self.path, body=body, headers=headers)
                answer = local.conn.getresponse()
            except ConnectionError:
                # Only a kept connection the emulator had closed is tried again (it never
                # saw the request); a timeout is not: the request may be running there.
                local.conn.close()
                if not reused:
                    raise
                local.conn = http.client.HTTPConnection(host, port, timeout=30)
                local.conn.request(self.command, self.path, body=body, headers=headers)
                answer = local.conn.getresponse()
            data = answer.read()
            if answer.will_close:  # the emulator ends this connection: open one next time
                local.conn.close()
                local.conn = None
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    ThreadingHTTPServer.request_queue_size = 128  # socketserver's 5 resets bursts
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Forward)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class Api:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.http = requests.Session()

    def __call__(self, method: str, path: str, body: object = None, token: str | None = None,
                 want: int | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self.http.request(method, self.url + path, json=body, headers=headers,
                                         timeout=self.timeout)
        except requests.RequestException as error:
            raise SystemExit(f"latency bench: {method} {path} had no answer within "
                             f"{self.timeout:g} s ({type(error).__name__}); stopped") from None
        assert want is None or response.status_code == want, (method, path, response.status_code, response.text)
        return response.json() if response.content else {}


def last_code(aws: str, msisdn: str) -> str:
    """The code in the newest SMS to `msisdn`, read from the moto server running in this
    process (cheaper than data.json, which serialises every model moto keeps)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
    text = [message for number, message in sent if number.endswith(msisdn[1:])][-1]
    return next(word for word in text.replace(":", " ").split() if word.isascii() and word.isdigit() and len(word) == 6)


def figures(seconds: list[float]) -> dict:
    seconds = sorted(seconds)
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "p99_ms": round(seconds[min(len(seconds) - 1, int(len(seconds) * 0.99))] * 1000, 1),
        "requests": len(seconds),
    }


def timed(api_call, n: int) -> dict:
    seconds = []
    for i in range(n):
        started = time.perf_counter()
        api_call(i)
        seconds.append(time.perf_counter() - started)
    return figures(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--delay-ms", type=float, default=5)
    parser.add_argument("--timeout", type=float, default=30, help="per request, seconds")
    args = parser.parse_args()
    n = args.requests

    import logging

    from moto.server import ThreadedMotoServer

    from scripts.moto_patches import untracked_dynamodb_instances

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    # As the local run does for its own moto: kept copies of every DynamoDB item made
    # data.json (which local.py polls for the SMS) slower after every request, until
    # the emulator's CPU went to dumps and 200 requests a route stalled.
    untracked_dynamodb_instances()
    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    aws = f"http://127.0.0.1:{moto_port}"
    proxy, proxy_url = delay_proxy(aws, args.delay_ms / 1000)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HAMTA_"))}
    env.update({
        "CAPTCHA_MODE": "off", "OTP_RESEND_SECONDS": "0", "OTP_MAX_SENDS_PER_DAY": "100000",
        "IMEI_INQUIRY_MAX_PER_WINDOW": "100000", "SMS_MAX_PER_WINDOW": "0",
    })
    local = subprocess.Popen(
        [sys.executable, "scripts/local.py", "--port", str(port), "--aws-endpoint", proxy_url,
         "--operator-key", OPERATOR, "--registrar-key", REGISTRAR],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read_output() -> None:  # also keeps the pipe drained for the whole run
        for line in local.stdout:  # type: ignore[union-attr]
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=read_output, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise SystemExit("latency bench: scripts/local.py was not ready within 120 s") from None
            if line is None:
                raise SystemExit("latency bench: scripts/local.py ended before it was ready")
            if line == "ready":
                break
        api = Api(f"http://127.0.0.1:{port}", args.timeout)
        results = measure(api, aws, n)
        for route, figures in results.items():
            print(json.dumps({"route": route, **figures, "delay_ms_per_aws_call": args.delay_ms}))
    finally:
        local.terminate()
        try:
            local.wait(timeout=20)
        except subprocess.TimeoutExpired:
            local.kill()
        proxy.shutdown()
        moto.stop()


def measure(api: Api, aws: str, n: int) -> dict[str, dict]:
    api("PUT", f"/operator/sims/{MSISDN}", {"national_id": NATIONAL_ID, "status": "active"}, OPERATOR, 200)

    def captcha() -> str:
        return api("POST", "/captcha", want=201)["captcha_id"]

    def otp(_: int) -> None:
        api("POST", "/auth/otp", {"msisdn": MSISDN, "captcha_id": captcha(), "captcha_answer": "x"}, want=202)

    results: dict[str, dict] = {}
    results["POST /captcha"] = timed(lambda i: captcha(), n)
    results["POST /auth/otp (+ its captcha)"] = timed(otp, n)

    verify_times = []
    for _ in range(n):  # each verify needs a fresh code: the send and the SMS read are not timed
        otp(0)
        code = last_code(aws, MSISDN)
        started = time.perf_counter()
        sim_token = api("POST", "/auth/otp/verify", {"msisdn": MSISDN, "code": code}, want=200)["token"]
        verify_times.append(time.perf_counter() - started)
    results["POST /auth/otp/verify"] = figures(verify_times)

    # The national-ID cartable first: registering moves the SIM's devices in one
    # transaction, which refuses more than 98 (cartable_sims.MAX_DEVICES_PER_JOIN); the
    # devices activated afterwards on the SIM join both cartables as they come.
    api("POST", "/auth/register", {"national_id": NATIONAL_ID, "birth_date": "1370/05/12",
                                   "password": PASSWORD}, sim_token, 201)
    codes = {}
    for i in range(n + 1):
        imei = ids.luhn_complete(f"35{i:012d}")
        codes[imei] = api("POST", "/registrar/devices", {"imei": imei, "source": "import",
                                                         "brand": "Apple", "model": "iPhone X"},
                          REGISTRAR, 201)["activation_code"]
    imeis = list(codes)
    results["POST /devices/activate"] = timed(
        lambda i: api("POST", "/devices/activate", {"imei": imeis[i], "activation_code": codes[imeis[i]]},
                      sim_token, 201), n)
    results["GET /devices (SIM, %d devices)" % n] = timed(lambda i: api("GET", "/devices", token=sim_token, want=200), n)
    results["GET /me"] = timed(lambda i: api("GET", "/me", token=sim_token, want=200), n)
    results["POST /devices/{imei}/transfer"] = timed(
        lambda i: api("POST", f"/devices/{imeis[i]}/transfer", {"password": PASSWORD}, sim_token, 201), n)
    results["GET /imei/{imei}"] = timed(lambda i: api("GET", f"/imei/{imeis[i]}", want=200), n)

    def ussd(text: str) -> None:
        api("POST", "/ussd", {"session_id": "bench", "msisdn": MSISDN, "text": text}, OPERATOR, 200)

    results["POST /ussd 1*<imei> (inquiry)"] = timed(lambda i: ussd(f"1*{imeis[i]}"), n)
    results["POST /ussd 3 (list, %d devices)" % n] = timed(lambda i: ussd("3"), n)

    results["POST /auth/login (+ its captcha)"] = timed(
        lambda i: api("POST", "/auth/login", {"national_id": NATIONAL_ID, "password": PASSWORD,
                                              "captcha_id": captcha(), "captcha_answer": "x"}, want=200), n)
    token = api("POST", "/auth/login", {"national_id": NATIONAL_ID, "password": PASSWORD,
                                        "captcha_id": captcha(), "captcha_answer": "x"}, want=200)["token"]
    listed = api("GET", "/devices", token=token, want=200)["devices"]
    assert len(listed) == n, f"the national-ID cartable lists {len(listed)} devices, not {n}"
    results["GET /devices (national ID, %d devices)" % n] = timed(
        lambda i: api("GET", "/devices", token=token, want=200), n)
    return results


if __name__ == "__main__":
    main()
