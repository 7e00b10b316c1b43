"""Timing of POST /auth/password/forgot per outcome: one class whatever happened.

Runs the route through chalice's test client against in-process moto, ROUNDS times per
outcome (unknown national ID, wrong birth date, a number the person does not hold, all
correct: a send), once with the answer's floor off (FORGOT_ANSWER_FLOOR_MS=0, the raw
work of each path) and once with the configured floor, and prints the medians in ms:

    .venv/bin/python bench/forgot_timing.py [rounds]

On AWS the send path also waits for SNS (tens of ms more than moto); the floor must stay
above the slowest path there too (docs/measurements.md "Forgot-password timing").
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.calls import prepare_environment  # noqa: E402

prepare_environment(CAPTCHA_MODE="off", POWERTOOLS_LOG_LEVEL="ERROR")

BIRTH = "1370/05/12"


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    from chalice.test import Client
    from moto import mock_aws

    with mock_aws():
        from chalicelib import clock, settings
        from chalicelib.services.signin import accounts, sessions
        from chalicelib.services.sims import sim_records
        from chalicelib.store import tables
        from testkit.ids import msisdn as new_msisdn
        from testkit.ids import national_id as new_national_id

        tables.configure()
        tables.create_tables()
        import app as app_module

        def person() -> tuple[str, str]:
            nid, number = new_national_id(), new_msisdn()
            sim_records.operator_update(number, nid, "active", None)
            sim = sim_records.ensure_sim(number)
            token, _ = sessions.open_session(sessions.SIM, msisdn=number, ownership=int(sim.ownership))
            from datetime import date

            accounts.register(sessions.resolve(token), nid, date(1991, 8, 3), "bench-Strong-pass-1")
            return nid, number

        def outcomes() -> dict:
            nid, number = person()
            return {
                "unknown national ID": (new_national_id(), number, BIRTH),
                "wrong birth date": (nid, number, "1360/01/01"),
                "number not held": (nid, new_msisdn(), BIRTH),
                "all correct (sent)": (nid, number, BIRTH),
            }

        results: dict = {}
        with Client(app_module.app, stage_name="local") as client:
            for floor in (0, None):
                if floor is not None:
                    os.environ["FORGOT_ANSWER_FLOOR_MS"] = str(floor)
                else:
                    os.environ.pop("FORGOT_ANSWER_FLOOR_MS", None)
                settings.reload()
                label = f"floor {settings.FORGOT_ANSWER_FLOOR_MS} ms"
                times: dict[str, list[float]] = {}
                for _ in range(rounds):
                    for outcome, (nid, number, birth) in outcomes().items():
                        body = json.dumps({"national_id": nid, "msisdn": number,
                                           "birth_date": birth, "channel": "sms"})
                        start = time.perf_counter()
                        response = client.http.post(
                            "/auth/password/forgot",
                            headers={"Content-Type": "application/json"}, body=body,
                        )
                        times.setdefault(outcome, []).append(time.perf_counter() - start)
                        assert response.status_code == 202, response.body
                    clock.advance(settings.OTP_RESEND_SECONDS)  # no cap or timer in the way
                medians = {k: round(statistics.median(v) * 1000, 1) for k, v in times.items()}
                results[label] = {
                    "median_ms": medians,
                    "spread_ms": round(max(medians.values()) - min(medians.values()), 1),
                }
    print(json.dumps({"rounds": rounds, "results": results}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
