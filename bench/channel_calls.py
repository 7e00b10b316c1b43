"""AWS calls per USSD step and per inbound SMS, counted at botocore's one door.

Budget: 4 calls per USSD step and per inbound SMS (the partner key's GetItem included; an
SMS answer's Publish included), an activation by a second IMEI too. A step
that refuses and moves nothing has no budget ("budget": null), nor has the sale, which is a
password check and a sale in one step (see docs/measurements.md). Runs through
chalice's test client against in-process moto and prints one JSON object:
{"routes": {"<case>": {"calls": n, "ops": [...], "budget": b, "ok": bool}, ...}}; one line
per route on stderr; exits non-zero when a route is over its budget.

    .venv/bin/python bench/channel_calls.py
"""
from __future__ import annotations

import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.calls import app_bench, prepare_environment, report  # noqa: E402
from testkit.calls import count_calls  # noqa: E402

prepare_environment()

BUDGET = 4
# The sale is a password check and a sale in one step (docs/measurements.md): its floor,
# and its code's count by the SMS gate (one write, bench/sms_calls.py).
SALE_BUDGET = 6 + 1


def main() -> None:
    with app_bench() as routes:
        from chalicelib import passwords
        from chalicelib.services.sims import cartable_sims, sim_records
        from chalicelib.store.people import PersonModel
        from testkit.ids import national_id

        client, results, imei = routes.client, routes.results, routes.imei

        def step(case, budget, msisdn, text, want=None):
            body = {"session_id": "bench", "msisdn": msisdn, "text": text}
            data = routes.measure(case, budget, "POST", "/ussd", body, "bench-operator", 200)
            assert want is None or want in data["reply"], (case, data)
            return data["reply"]

        seller, nid = "09120000001", national_id()
        routes.operator(seller, nid)
        single, dual, dual2, unknown = imei(1), imei(2), imei(3), imei(4)
        code_single, code_dual = routes.register(single), routes.register(dual, dual2)

        step("ussd: menu", BUDGET, seller, "")
        step("ussd: 1 (ask IMEI)", BUDGET, seller, "1")
        step("ussd: 1*imei (registered)", BUDGET, seller, f"1*{single}", "ثبت شده")
        step("ussd: 1*imei (second IMEI)", BUDGET, seller, f"1*{dual2}", "ثبت شده")
        step("ussd: 1*imei (unregistered)", BUDGET, seller, f"1*{unknown}", "ثبت نشده")
        step("ussd: 2*imei (ask code)", BUDGET, seller, f"2*{single}")
        step("ussd: 2*imei*code (wrong code, no move)", None, seller, f"2*{single}*000000")
        step("ussd: 2*imei*code (activate)", BUDGET, seller, f"2*{single}*{code_single}", "فعال شد")
        # The second IMEI's pointer item is one more GetItem, as on the web (DESIGN.md's
        # budget for an activation is 5).
        step("ussd: 2*imei*code (activate by second IMEI)", BUDGET, seller,
             f"2*{dual2}*{code_dual}", "فعال شد")
        step("ussd: 3 (list, 2 devices)", BUDGET, seller, "3", "ردیف")
        step("ussd: 3*n*password (no national-ID cartable)", BUDGET, seller, "3*1*x", "کارتابل کد ملی")

        # The seller's national-ID cartable (made directly: this counts the channel).
        password = "a-Strong-pass-1"
        person = PersonModel(nid, birth_date="1990-01-01",
                             password_hash=passwords.hash_password(password),
                             session_epoch=0, created_at=0)
        cartable_sims.join(person, sim_records.get_sim(seller), create=True)
        step("ussd: 3*n (ask password)", BUDGET, seller, "3*1")
        reply = step("ussd: 3*n*password (sale, code by reply and SMS)", SALE_BUDGET, seller,
                     f"3*1*{password}", "کد فعالسازی")
        assert re.search(r"\b\d{6}\b", reply)
        step("ussd: 3*n*password (wrong password, no move)", None, seller, "3*1*wrong")

        def inbound(case, body, budget=BUDGET):
            message = json.dumps({"originationNumber": "+989120000009",
                                  "destinationNumber": "+987777", "messageBody": body})
            event = client.events.generate_sns_event(message=message)
            with count_calls() as counts:
                client.lambda_.invoke("inbound_sms", event)
            results[case] = {"calls": counts.total, "ops": counts.ops, "budget": budget,
                             "ok": None if budget is None else counts.total <= budget}

        inbound("sms: IMEI (registered)", single)
        inbound("sms: IMEI (second IMEI)", dual2)
        inbound("sms: IMEI (unregistered)", unknown)
        inbound("sms: anything else (help)", "salam")
        for _ in range(20 - 4):
            inbound("sms: (filling the day)", "salam", None)
        inbound("sms: over 20 a day (nothing sent)", "salam", None)
        results.pop("sms: (filling the day)")

    report(results)


if __name__ == "__main__":
    main()
