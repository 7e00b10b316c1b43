"""AWS calls per device route, counted at botocore's one door (BaseClient._make_api_call).

Issue 16's budgets: GET /devices at most 2 (the session and one Query); activate / transfer /
recover at most 4 with one transaction, a sale from a SIM session with its password at most 5
(issue 20; the notice to the one SIM of the cartable included) (a refusal that moves nothing, and history, have no
budget: "budget" null). Runs every route through chalice's test client against in-process
moto, for a SIM session and a national-ID session, and prints one JSON object:
{"routes": {"<case>": {"calls": n, "ops": [...], "budget": b, "ok": bool}, ...}}; one line
per route on stderr; exits non-zero when a route is over its budget.

    .venv/bin/python bench/device_calls.py
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.calls import app_bench, prepare_environment, report  # noqa: E402

prepare_environment()


LIST_BUDGET, MOVE_BUDGET = 2, 4
# A sale from a SIM session carries the national-ID cartable's password (issue 20).
PASSWORD_BUDGET = 5
NOTICE = 1  # the SMS gate's one conditional write per notice (bench/sms_calls.py)
# By a second IMEI the alias item is read before the guess can be reserved on the phone's
# main IMEI (one budget for both).
SECOND_IMEI_BUDGET = 4


def main() -> None:
    with app_bench() as routes:
        from chalicelib import clock
        from chalicelib.services.signin import sessions
        from chalicelib.store.people import PersonModel
        from testkit.ids import national_id

        call, measure, results = routes.call, routes.measure, routes.results
        register, operator, sim_session, imei = routes.register, routes.operator, routes.sim_session, routes.imei

        nid_a, nid_b, nid_c, nid_d = (national_id() for _ in range(4))
        operator("09120000001", nid_a)
        operator("09120000002", nid_b)
        seller = sim_session("09120000001")
        buyer = sim_session("09120000002")

        dual, dual2, single, other = imei(1), imei(2), imei(3), imei(4)
        code_dual, code_single, code_other = register(dual, dual2), register(single), register(other)
        measure("sim: POST /devices/activate (main IMEI)", MOVE_BUDGET, "POST", "/devices/activate",
                {"imei": single, "activation_code": code_single}, seller, 201)
        measure("sim: POST /devices/activate (second IMEI)", SECOND_IMEI_BUDGET, "POST", "/devices/activate",
                {"imei": dual2, "activation_code": code_dual}, seller, 201)
        wrong = "000000" if code_other != "000000" else "111111"
        measure("sim: POST /devices/activate (wrong code, no move)", None, "POST", "/devices/activate",
                {"imei": other, "activation_code": wrong}, seller, 404)
        assert call("POST", "/devices/activate", {"imei": other, "activation_code": code_other}, seller)[0] == 201
        measure("sim: GET /devices (3 devices)", LIST_BUDGET, "GET", "/devices", token=seller, want=200)
        # A SIM in no national-ID cartable may not sell (API.md "Acts that cannot be undone").
        measure("sim: POST /devices/{imei}/transfer (no national-ID cartable)", None, "POST",
                f"/devices/{single}/transfer", {"password": "bench-Pass-1"}, seller, 409)
        # A SIM of a one-SIM national-ID cartable sells with its password: the attempt is
        # reserved (one UpdateItem) and the person read before the comparison.
        nid_e = national_id()
        operator("09120000008", nid_e)
        linked = sim_session("09120000008")
        assert call("POST", "/auth/register", {"national_id": nid_e, "birth_date": "1370/05/12",
                                               "password": "bench-Pass-1"}, linked)[0] == 201
        sold = imei(11)
        assert call("POST", "/devices/activate", {"imei": sold, "activation_code": register(sold)},
                    linked)[0] == 201
        measure("sim: POST /devices/{imei}/transfer (password)", PASSWORD_BUDGET + NOTICE, "POST",
                f"/devices/{sold}/transfer", {"password": "bench-Pass-1"}, linked, 201)
        measure("sim: POST /devices/{imei}/transfer (already on sale)", PASSWORD_BUDGET, "POST",
                f"/devices/{sold}/transfer", {"password": "bench-Pass-1"}, linked, 201)
        measure("sim: DELETE /devices/{imei}/transfer", MOVE_BUDGET, "DELETE",
                f"/devices/{sold}/transfer", token=linked, want=204)
        offer = call("POST", f"/devices/{sold}/transfer", {"password": "bench-Pass-1"}, linked)[1]
        # The seller's SIM is told the phone has left (API.md "Every SIM is told").
        measure("sim: POST /devices/activate (buying an offered device)", MOVE_BUDGET + NOTICE, "POST",
                "/devices/activate", {"imei": sold, "activation_code": offer["activation_code"]},
                buyer, 201)
        measure("sim: GET /devices/{imei}/history", None, "GET", f"/devices/{sold}/history",
                token=buyer, want=200)

        # The seller's number changes hands: its devices await recovery; the seller
        # comes back on a new number.
        operator("09120000001", nid_c)
        operator("09120000003", nid_a)
        newsim = sim_session("09120000003")
        measure("sim: POST /devices (recovery, previous number asked)", MOVE_BUDGET, "POST", "/devices",
                {"imei": other}, newsim, 409)
        measure("sim: POST /devices (recovery, wrong number, no move)", None, "POST", "/devices",
                {"imei": other, "previous_msisdn": "09120000009"}, newsim, 404)
        measure("sim: POST /devices (recovery)", MOVE_BUDGET, "POST", "/devices",
                {"imei": other, "previous_msisdn": "09120000001"}, newsim, 201)

        # A national-ID cartable with two SIMs (made directly: this counts device routes).
        operator("09120000004", nid_d)
        operator("09120000005", nid_d)
        now = clock.now()
        PersonModel(
            nid_d, birth_date="1990-01-01", password_hash="x", created_at=now,
            sims={"09120000004": {"ownership": 1, "added_at": now},
                  "09120000005": {"ownership": 1, "added_at": now + 1}},
        ).save()
        nid_token = sessions.open_session(sessions.NATIONAL_ID, national_id=nid_d, epoch=0)[0]
        first, second, lost, lost2 = imei(5), imei(6), imei(7), imei(8)
        third, third2 = imei(9), imei(10)
        codes = [register(first), register(second), register(lost, lost2), register(third, third2)]
        measure("nid: POST /devices/activate", MOVE_BUDGET, "POST", "/devices/activate",
                {"imei": first, "activation_code": codes[0]}, nid_token, 201)
        measure("nid: POST /devices/activate (naming msisdn)", MOVE_BUDGET, "POST", "/devices/activate",
                {"imei": second, "activation_code": codes[1], "msisdn": "09120000005"},
                nid_token, 201)
        measure("nid: POST /devices/activate (second IMEI)", SECOND_IMEI_BUDGET, "POST", "/devices/activate",
                {"imei": third2, "activation_code": codes[3]}, nid_token, 201)
        measure("nid: GET /devices (3 devices)", LIST_BUDGET, "GET", "/devices", token=nid_token, want=200)
        # Both SIMs are told (a Publish and the gate's write each): 4 + NOTICE for a one-SIM
        # cartable (bench/menu_calls.py), a Publish and a NOTICE more for the second.
        measure("nid: POST /devices/{imei}/transfer (two SIMs told)", MOVE_BUDGET + 1 + 2 * NOTICE, "POST",
                f"/devices/{first}/transfer", token=nid_token, want=201)
        # nid_d's SIM outside the cartable had a device; the number expires; the
        # national-ID cartable takes the device back.
        operator("09120000007", nid_d)
        loose = sim_session("09120000007")
        call("POST", "/devices/activate", {"imei": lost, "activation_code": codes[2]}, loose)
        operator("09120000007", nid_d, status="expired")
        measure("nid: POST /devices (recovery, second IMEI)", SECOND_IMEI_BUDGET, "POST", "/devices",
                {"imei": lost2, "previous_msisdn": "09120000007"}, nid_token, 201)

    report(results)


if __name__ == "__main__":
    main()
