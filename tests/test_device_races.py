"""Racing moves of one device against a real moto server: exactly one cartable wins.

Several cartables recover (and, separately, activate) one device at the same moment, each
from its own thread through the service functions; the store's transaction condition on
the device's version must let exactly one through, and leave the device in that one.
"""
from __future__ import annotations

from chalicelib.errors import HamtaError
from chalicelib.services.devices import activation, devices, recovery
from chalicelib.services.registry import registrar
from chalicelib.services.sims import sim_records
from testkit import ids
from tests.servers import at_once, own_device, server, sim_caller  # noqa: F401 (server: a fixture)

RACERS = 6




def race(callers, move):
    """Run move(caller) for every caller at once; return (winners, refusals' codes)."""
    outcomes = at_once([lambda c=c: move(c) for c in callers])
    wins = [(c.msisdn, o) for c, o in zip(callers, outcomes) if not isinstance(o, HamtaError)]
    return wins, [o.code for o in outcomes if isinstance(o, HamtaError)]


def test_several_cartables_activating_one_device_one_wins(server):
    imei = ids.imei()
    code = registrar.register_device(imei, None, "Apple", "iPhone X", "import")
    callers = [sim_caller(ids.msisdn(), ids.national_id()) for _ in range(RACERS)]

    wins, codes = race(callers, lambda c: activation.activate(c, imei, code))

    assert len(wins) == 1, (wins, codes)
    # RACERS is past the attempt budget (5): a racer that could not reserve a guess answers
    # 429 unchecked (API.md "Conventions"); every other loser sees someone else's win.
    assert len(codes) == RACERS - 1
    assert set(codes) <= {"not_found", "rate_limited"}, codes
    winner = wins[0][0]
    for caller in callers:
        listed = [d["imeis"][0] for d in devices.list_devices(caller)]
        assert listed == ([imei] if caller.msisdn == winner else [])


def test_several_cartables_recovering_one_device_one_wins(server):
    person = ids.national_id()
    old = ids.msisdn()
    first = sim_caller(old, person)
    imei, code = own_device(first)
    # The old number changes hands; the person has several new SIMs, each its own cartable.
    sim_records.operator_update(old, ids.national_id(), "active", None)
    callers = [sim_caller(ids.msisdn(), person) for _ in range(RACERS)]

    wins, codes = race(callers, lambda c: recovery.recover(c, imei, old))

    assert len(wins) == 1, (wins, codes)
    # RACERS is past the attempt budget (5): a racer that could not reserve a guess answers
    # 429 unchecked (API.md "Conventions"); every other loser sees someone else's win.
    assert len(codes) == RACERS - 1
    assert set(codes) <= {"not_found", "rate_limited"}, codes
    winner_msisdn, shown = wins[0]
    assert shown["activation_code"] == code and shown["msisdn"] == winner_msisdn
    for caller in callers:
        listed = [d["imeis"][0] for d in devices.list_devices(caller)]
        assert listed == ([imei] if caller.msisdn == winner_msisdn else [])
