"""AWS calls per sign-in route, counted at botocore's one door (BaseClient._make_api_call),
and the cost of one argon2id hash.

Issue 16's budgets: POST /auth/otp at most 3 calls (SNS included), POST /auth/otp/verify 3,
POST /auth/login 4 for success and failure alike, known national ID or not. Runs the routes
through chalice's test client against in-process moto and prints one JSON object:
{"routes": {"<case>": {"status", "calls", "ops", "budget", "ok"}}, "argon2id": {...}};
one line per route on stderr; exits non-zero when a route is over its budget.

    .venv/bin/python bench/auth_calls.py
"""
from __future__ import annotations

import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.calls import app_bench, prepare_environment, report  # noqa: E402

prepare_environment(CAPTCHA_MODE="image")

ANSWER = "13579"
PASSWORD = "bench-Strong-pass-1"
OTP_BUDGET, VERIFY_BUDGET, LOGIN_BUDGET = 3, 3, 4


def argon2_figures(rounds: int = 7) -> dict:
    from chalicelib import passwords

    passwords.hash_password("warm up")  # builds the hasher
    hashes, verifies = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        stored = passwords.hash_password(PASSWORD)
        hashes.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert passwords.verify_password(stored, PASSWORD)
        verifies.append(time.perf_counter() - start)
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    return {
        "params": {"type": "argon2id", "m_kib": int(params["m"]), "t": int(params["t"]),
                   "p": int(params["p"])},
        "hash_ms_median": round(statistics.median(hashes) * 1000, 1),
        "verify_ms_median": round(statistics.median(verifies) * 1000, 1),
        "rounds": rounds,
    }


def main() -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    def answers_its_own_captchas():
        from chalicelib import captcha

        captcha.new_answer = lambda: ANSWER

    with app_bench(("operator",), setup=answers_its_own_captchas) as routes:
        from chalicelib import clock, settings
        from chalicelib.identifiers import to_e164
        from testkit.ids import national_id

        def latest_secret(msisdn: str) -> str:
            import re

            texts = [t for n, t in sns_backends[DEFAULT_ACCOUNT_ID][settings.REGION]
                     .sms_messages.values() if n == to_e164(msisdn)]
            return re.findall(r"[A-Za-z0-9]{6,}", texts[-1])[0]

        call, measure, results = routes.call, routes.measure, routes.results

        def new_captcha() -> str:
            return call("POST", "/captcha")[1]["captcha_id"]

        nid, msisdn = national_id(), "09120000011"
        routes.operator(msisdn, nid)

        measure("POST /captcha", None, "POST", "/captcha", want=201)
        measure("POST /auth/otp", OTP_BUDGET, "POST", "/auth/otp",
                {"msisdn": msisdn, "captcha_id": new_captcha(), "captcha_answer": ANSWER},
                want=202)
        sim_token = measure("POST /auth/otp/verify", VERIFY_BUDGET, "POST", "/auth/otp/verify",
                            {"msisdn": msisdn, "code": latest_secret(msisdn)}, want=200)["token"]
        clock.advance(settings.OTP_RESEND_SECONDS)
        measure("POST /auth/otp (second send: window item exists)", OTP_BUDGET, "POST", "/auth/otp",
                {"msisdn": msisdn, "captcha_id": new_captcha(), "captcha_answer": ANSWER},
                want=202)
        measure("POST /auth/otp/verify (wrong code)", None, "POST", "/auth/otp/verify",
                {"msisdn": msisdn, "code": "000000" if latest_secret(msisdn) != "000000"
                 else "111111"}, want=401)
        unknown = "09120000012"
        call("POST", "/auth/otp", {"msisdn": unknown, "captcha_id": new_captcha(),
                                   "captcha_answer": ANSWER})
        measure("POST /auth/otp/verify (number the operator never named)", VERIFY_BUDGET, "POST",
                "/auth/otp/verify", {"msisdn": unknown, "code": latest_secret(unknown)},
                want=200)
        measure("POST /auth/register", None, "POST", "/auth/register",
                {"national_id": nid, "birth_date": "1370/05/12", "password": PASSWORD},
                sim_token, 201)
        nid_token = measure("POST /auth/login", LOGIN_BUDGET, "POST", "/auth/login",
                            {"national_id": nid, "password": PASSWORD,
                             "captcha_id": new_captcha(), "captcha_answer": ANSWER},
                            want=200)["token"]
        measure("POST /auth/login (wrong password)", LOGIN_BUDGET, "POST", "/auth/login",
                {"national_id": nid, "password": "wrong-Pass-1",
                 "captcha_id": new_captcha(), "captcha_answer": ANSWER}, want=401)
        measure("POST /auth/login (unknown national ID)", LOGIN_BUDGET, "POST", "/auth/login",
                {"national_id": national_id(), "password": "wrong-Pass-1",
                 "captcha_id": new_captcha(), "captcha_answer": ANSWER}, want=401)
        measure("GET /me (national ID)", None, "GET", "/me", token=nid_token, want=200)
        measure("PUT /me/password", None, "PUT", "/me/password",
                {"old_password": PASSWORD, "new_password": "bench-New-pass-2"}, nid_token, 204)
        measure("POST /auth/password/forgot (sent)", None, "POST", "/auth/password/forgot",
                {"national_id": nid, "msisdn": msisdn, "birth_date": "1991-08-03",
                 "channel": "sms"}, want=202)

    report(results, {"argon2id": argon2_figures()})


if __name__ == "__main__":
    main()
