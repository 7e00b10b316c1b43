"""AWS calls per route of the guide's menu (issue 12), counted at botocore's one door.

Issue 16's budget: 4 for block, unblock, repair, traveller registration and GET /transfers (SMS
included: one Publish per active SIM told, so the national-ID cases use a one-SIM
cartable; each further SIM adds one Publish). Issue 21: each notice adds the SMS gate's
one write (its count, bench/sms_calls.py), so block and unblock have NOTICE more; a
traveller's code is counted inside the registration's own transaction (nothing more).
Issue 20: a sale and a repair 4 from a national-ID session and 5 from a SIM session with
its password (NOTICE more for the one SIM told), 2 for GET /me/connections, 3 for a
dispute. Runs every route through chalice's test
client against in-process moto and prints one JSON object:
{"routes": {"<case>": {"calls": n, "ops": [...], "budget": b, "ok": bool}, ...}}; one line
per route on stderr; exits non-zero when a route is over its budget.

    .venv/bin/python bench/menu_calls.py
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.calls import app_bench, prepare_environment, report  # noqa: E402

prepare_environment()

BUDGET = 4
NOTICE = 1  # the SMS gate's one conditional write per notice (bench/sms_calls.py)
PASSWORD_BUDGET = 5  # a sale or repair from a SIM session re-enters the password (issue 20)
CONNECTIONS_BUDGET, DISPUTE_BUDGET = 2, 3


def main() -> dict:
    def tacs():
        from chalicelib.services.registry import models_table

        models_table.put_model("35670800", "Apple", "iPhone X", 1)
        models_table.put_model("35670900", "Samsung", "Galaxy A54", 2)

    with app_bench(("registrar", "operator", "customs"), setup=tacs) as routes:
        from chalicelib import clock, passwords
        from chalicelib.services.registry import travellers
        from chalicelib.services.signin import sessions
        from chalicelib.store.people import PersonModel
        from testkit.ids import national_id

        call, measure, results = routes.call, routes.measure, routes.results
        owned, operator, sim_session, imei = routes.own, routes.operator, routes.sim_session, routes.imei

        # A SIM cartable.
        nid_a, nid_b, nid_c = (national_id() for _ in range(3))
        operator("09130000001", nid_a)
        operator("09130000002", nid_b)
        seller, buyer = sim_session("09130000001"), sim_session("09130000002")
        lost, dual, dual2 = imei(1, "35670700"), imei(2, "35670700"), imei(3, "35670700")
        owned(seller, lost)
        owned(seller, dual, dual2)
        measure("sim: POST /devices/{imei}/block", BUDGET + NOTICE, "POST", f"/devices/{lost}/block",
                {"reason": "stolen"}, seller, 200)
        measure("sim: DELETE /devices/{imei}/block", BUDGET + NOTICE, "DELETE", f"/devices/{lost}/block",
                None, seller, 200)
        measure("sim: POST /devices/{imei}/block (second IMEI)", BUDGET + NOTICE, "POST",
                f"/devices/{dual2}/block", {"reason": "lost"}, seller, 200)

        # Repairs need the password: a SIM of a one-SIM national-ID cartable (issue 20), its
        # attempt reserved (one UpdateItem) before the comparison. Onto registered parts.
        nid_r = national_id()
        operator("09130000006", nid_r)
        fixer = sim_session("09130000006")
        assert call("POST", "/auth/register", {"national_id": nid_r, "birth_date": "1370/05/12",
                                               "password": "bench-Pass-1"}, fixer)[0] == 201

        def part(n, tac, brand="Apple", model="iPhone X"):
            board = imei(n, tac)
            status, data = call("POST", "/registrar/devices", {"imei": board, "source": "repair_part",
                                "brand": brand, "model": model}, "bench-registrar")
            assert status == 201, data
            return board

        single = imei(1, "35670800")
        owned(fixer, single)
        measure("sim: POST /devices/{imei}/repair (password)", PASSWORD_BUDGET + NOTICE, "POST",
                f"/devices/{single}/repair", {"new_imei": part(2, "35670800"), "password": "bench-Pass-1"},
                fixer, 200)
        two, two2 = imei(1, "35670900"), imei(2, "35670900")
        owned(fixer, two, two2, brand="Samsung", model="Galaxy A54")
        measure("sim: POST /devices/{imei}/repair (dual IMEI, by the second, password)", PASSWORD_BUDGET + NOTICE,
                "POST", f"/devices/{two2}/repair",
                {"new_imei": part(3, "35670900", "Samsung", "Galaxy A54"),
                 "new_imei2": part(4, "35670900", "Samsung", "Galaxy A54"), "password": "bench-Pass-1"},
                fixer, 200)
        kept = imei(6, "35670800")
        owned(fixer, kept)
        measure("sim: POST /devices/{imei}/repair (not a part, nothing burned)", None, "POST",
                f"/devices/{kept}/repair", {"new_imei": imei(5, "35670800"), "password": "bench-Pass-1"},
                fixer, 409)

        for n in range(3):  # a record with a few rows
            sold = imei(10 + n, "35670700")
            owned(fixer, sold)
            offer = call("POST", f"/devices/{sold}/transfer", {"password": "bench-Pass-1"}, fixer)[1]
            assert call("POST", "/devices/activate",
                        {"imei": sold, "activation_code": offer["activation_code"]}, buyer)[0] == 201
        measure("sim: GET /transfers (3 sales)", BUDGET, "GET", "/transfers", token=fixer, want=200)
        measure("sim: GET /transfers (3 purchases)", BUDGET, "GET", "/transfers", token=buyer, want=200)

        # A national-ID cartable with one SIM (made directly: this counts menu routes).
        operator("09130000004", nid_c)
        now = clock.now()
        PersonModel(
            nid_c, birth_date="1990-01-01", password_hash=passwords.hash_password("bench-Pass-1"),
            created_at=now, sims={"09130000004": {"ownership": 1, "added_at": now}},
        ).save()
        nid_token = sessions.open_session(sessions.NATIONAL_ID, national_id=nid_c, epoch=0)[0]
        mine = imei(20, "35670700")
        owned(nid_token, mine)
        measure("nid: POST /devices/{imei}/transfer", BUDGET + NOTICE, "POST", f"/devices/{mine}/transfer",
                None, nid_token, 201)
        measure("nid: DELETE /devices/{imei}/transfer", BUDGET, "DELETE", f"/devices/{mine}/transfer",
                None, nid_token, 204)
        fixed = imei(21, "35670800")
        owned(nid_token, fixed)
        measure("nid: POST /devices/{imei}/repair", BUDGET + NOTICE, "POST", f"/devices/{fixed}/repair",
                {"new_imei": part(22, "35670800")}, nid_token, 200)
        # SIMs in your name: the session and one Query; a dispute: the session (with the SIM's
        # record), the feed's head, one transaction.
        operator("09130000005", nid_c)
        measure("nid: GET /me/connections", CONNECTIONS_BUDGET, "GET", "/me/connections",
                token=nid_token, want=200)
        measure("nid: POST /me/connections/{msisdn}/dispute", DISPUTE_BUDGET, "POST",
                "/me/connections/09130000005/dispute", None, nid_token, 202)
        measure("nid: POST /me/connections/{msisdn}/dispute (again)", DISPUTE_BUDGET, "POST",
                "/me/connections/09130000005/dispute", None, nid_token, 202)
        measure("operator: GET /operator/disputes", CONNECTIONS_BUDGET, "GET", "/operator/disputes",
                token="bench-operator", want=200)
        measure("nid: POST /devices/{imei}/block", BUDGET + NOTICE, "POST", f"/devices/{mine}/block",
                {"reason": "lost"}, nid_token, 200)
        # The floor is 5: the password's attempt is reserved (one UpdateItem) before it is
        # compared (API.md "Conventions"), and the cartable's SIMs are known only once the
        # session's person is read (a second read). docs/measurements.md.
        measure("nid: DELETE /devices/{imei}/block (password)", BUDGET + 1 + NOTICE, "DELETE",
                f"/devices/{mine}/block", {"password": "bench-Pass-1"}, nid_token, 200)
        measure("nid: GET /transfers", BUDGET, "GET", "/transfers", token=nid_token, want=200)

        # Customs.
        body = {"passport": "B12345678", "entry_date": travellers.today().isoformat(),
                "msisdn": "09130000009", "imei": imei(30, "35670700"), "brand": "Apple",
                "model": "iPhone X"}
        measure("customs: POST /customs/travellers", BUDGET, "POST", "/customs/travellers",
                body, "bench-customs", 201)
        body.update(passport="B87654321", imei=imei(31, "35670900"), imei2=imei(32, "35670900"))
        measure("customs: POST /customs/travellers (dual IMEI)", BUDGET, "POST",
                "/customs/travellers", body, "bench-customs", 201)
        measure("sim: GET /travellers", None, "GET", "/travellers",
                token=sim_session("09130000009"), want=200)
        measure("registrar: PUT /registrar/models/{tac}", None, "PUT", "/registrar/models/35671000",
                {"brand": "Nokia", "model": "105", "sim_slots": 1}, "bench-registrar", 200)
    return results


if __name__ == "__main__":
    report(main())
