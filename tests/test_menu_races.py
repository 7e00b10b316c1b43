"""Races of the guide's menu against a real moto server: a block against a sale of one
device, and two repairs claiming one repair part. Exactly one side wins, the log stays whole."""
from __future__ import annotations

import pytest

from chalicelib.errors import HamtaError
from chalicelib.services.devices import activation, blocking, devices, repair, transfer
from chalicelib.services.registry import models_table, registrar
from chalicelib.services.signin import sessions
from chalicelib.store import enforcement_log
from chalicelib.store.devices import find_device
from testkit import ids
from tests.servers import at_once, own_device, server, sim_caller  # noqa: F401 (server: the fixture)


PASSWORD = "a-Strong-pass-1"


def linked_caller() -> sessions.Caller:
    """A SIM session whose SIM is in a national-ID cartable: it sells and repairs with the
    password (API.md "Acts that cannot be undone")."""
    from datetime import date

    from chalicelib.services.signin import accounts

    msisdn, nid = ids.msisdn(), ids.national_id()
    accounts.register(sim_caller(msisdn, nid), nid, date(1990, 1, 1), PASSWORD)
    return sim_caller(msisdn, nid)


def race(moves):
    """Run every move at once; each one's result, or its error code, in order."""
    return [o.code if isinstance(o, HamtaError) else o for o in at_once(moves)]


@pytest.mark.fresh_backend  # a moto server on the session's emulator; reads the log
@pytest.mark.parametrize("round_", range(4))
def test_a_block_against_a_sale_one_wins(server, round_):
    seller, buyer = linked_caller(), sim_caller(ids.msisdn())
    imei, _ = own_device(seller)
    code = transfer.offer(seller, imei, PASSWORD)["activation_code"]

    blocked, bought = race([
        lambda: blocking.block(seller, imei, "stolen"),
        lambda: activation.activate(buyer, imei, code),
    ])

    device = find_device(imei)
    entries = enforcement_log.page(None)[0]
    if isinstance(blocked, dict):
        # The block landed first: the sale's code died with it.
        assert bought == "not_found"
        assert device.state == devices.BLOCKED and devices.in_cartable(seller, device)
        assert [e["action"] for e in entries if e["imei"] == imei] == ["block"]
    else:
        # The sale landed first: the device left the seller, whose block finds nothing.
        assert blocked == "not_found" and bought["msisdn"] == buyer.msisdn
        assert device.state == devices.ACTIVE and devices.in_cartable(buyer, device)
        assert [e for e in entries if e["imei"] == imei] == []


@pytest.mark.fresh_backend  # a moto server on the session's emulator; reads the log
def test_two_repairs_claiming_one_part_one_wins(server):
    models_table.put_model("35999901", "Apple", "iPhone X", 1)
    first, second = linked_caller(), linked_caller()
    (one, _), (two, _) = own_device(first), own_device(second)
    new = ids.luhn_complete("35999901" + "123456")
    registrar.register_device(new, None, None, None, "repair_part")

    results = race([
        lambda: repair.repair(first, one, new, password=PASSWORD),
        lambda: repair.repair(second, two, new, password=PASSWORD),
    ])

    wins = [r for r in results if isinstance(r, dict)]
    assert len(wins) == 1 and sorted(r for r in results if isinstance(r, str)) == ["not_a_repair_part"]
    winner, loser_imei = (first, two) if isinstance(results[0], dict) else (second, one)
    device = find_device(new)
    assert devices.in_cartable(winner, device) and device.imei == new
    # The loser's device is untouched; only the winner's old IMEI is replaced.
    assert find_device(loser_imei).state == devices.ACTIVE
    # (The emulator's tables outlive one test: look at these devices' entries only.)
    entries = [e for e in enforcement_log.page(None)[0] if e["imei"] in (one, two)]
    assert [(e["action"], e["reason"]) for e in entries] == [("block", "replaced")]
    assert entries[0]["imei"] != loser_imei
