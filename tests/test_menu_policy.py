"""The IAM policies allow every AWS call the guide's menu makes (block, unblock, repair,
transfers, travellers, models), on the tables the policies list."""
from __future__ import annotations

import json
import os

import pytest

from testkit import ids
from tests import flows
from tests.conftest import REGISTRAR_KEY

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def allowed(stage: str) -> set[str]:
    with open(os.path.join(ROOT, ".chalice", f"policy-{stage}.json"), encoding="utf-8") as f:
        policy = json.load(f)
    return {a for s in policy["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_call_of_the_menu_is_allowed(api, stage):
    from testkit.calls import count_calls
    from chalicelib.services.registry import travellers
    from chalicelib.services.registry.partners import provision_key

    provision_key("customs", "policy-customs")
    with count_calls() as calls:
        api.put("/registrar/models/35111101", {"brand": "A", "model": "B", "sim_slots": 2},
                token=REGISTRAR_KEY)
        nid, msisdn, token = flows.new_nid_cartable(api)
        imei, imei2, _ = flows.own_device(api, token, dual=True, brand="A", model="B")
        assert api.post(f"/devices/{imei}/block", {"reason": "lost"}, token=token)[0] == 200
        assert api.call("DELETE", f"/devices/{imei}/block", body={"password": flows.PASSWORD},
                        token=token)[0] == 200
        new, new2 = (ids.luhn_complete("35111101" + f"{n:06d}") for n in (1, 2))
        for board in (new, new2):
            flows.register_part(api, board, "A", "B")
        assert api.post(f"/devices/{imei2}/repair", {"new_imei": new, "new_imei2": new2},
                        token=token)[0] == 200
        offer = api.post(f"/devices/{new}/transfer", token=token)[1]
        buyer = flows.sim_login(api, ids.msisdn())
        api.post("/devices/activate", {"imei": new, "activation_code": offer["activation_code"]},
                 token=buyer)
        assert api.get("/transfers", token=token)[0] == 200
        body = {"passport": "N12345678", "entry_date": travellers.today().isoformat(),
                "msisdn": msisdn, "imei": ids.imei(), "brand": "A", "model": "C"}
        assert api.post("/customs/travellers", body, token="policy-customs")[0] == 201
        assert api.get("/travellers", token=token)[0] == 200
        api.get(f"/imei/{imei}")
    used = {"dynamodb:" + op for op in calls if op != "Publish"}
    used.discard("dynamodb:TransactWriteItems")  # authorised per item: Put/Update/Delete
    used |= {"sns:Publish"} if calls["Publish"] else set()
    assert used <= allowed(stage), used - allowed(stage)
