"""The races of acts that cannot be undone: one part claimed by two repairs, sales against a reset's hold."""
from __future__ import annotations

from chalicelib import clock, settings, sms_providers
from chalicelib.services.devices import activation, repair, transfer
from chalicelib.services.registry import registrar
from chalicelib.services.signin import accounts, forgot_password, sessions
from chalicelib.store.devices import find_device
from chalicelib.store.people import PersonModel
from testkit import ids
from tests.flows import secret_in
from tests.servers import server, sim_caller  # noqa: F401 (server: a fixture)
from tests.servers import BIRTH, PASSWORD, codes, fire, nid_cartable


def nid_caller(nid):
    token = accounts.login(nid, PASSWORD)["token"]
    return sessions.resolve(token)


def owned(caller, brand="Samsung", model="Galaxy A54"):
    imei = ids.imei()
    activation.activate(caller, imei, registrar.register_device(imei, None, brand, model, "import"))
    return imei


def test_two_repairs_claiming_one_part_have_one_winner(server):
    nid, _ = nid_cartable()
    caller = nid_caller(nid)
    first, second = owned(caller), owned(caller)
    part = ids.imei()
    registrar.register_device(part, None, "Samsung", "Galaxy A54", "repair_part")

    outcomes = fire([lambda: repair.repair(caller, first, part), lambda: repair.repair(caller, second, part)])

    assert sorted(codes(outcomes)) == ["not_a_repair_part", "ok"]
    winner = find_device(part)
    assert winner.state == "active" and winner.former_imeis in ([first], [second])
    loser = second if winner.former_imeis == [first] else first
    assert find_device(loser).state == "active"  # the loser burned nothing


def test_sales_racing_a_resets_first_login_let_none_through_after_the_hold(server, monkeypatch):
    nid, msisdn = nid_cartable()
    caller = nid_caller(nid)
    imeis = [owned(caller) for _ in range(4)]
    sent = []
    monkeypatch.setattr(sms_providers.Sns, "send", lambda self, to, text: sent.append(text))
    forgot_password.forgot_password(nid, msisdn, BIRTH)
    temp = secret_in(sent[-1])

    calls = [lambda imei=imei: transfer.offer(caller, imei) for imei in imeis]
    outcomes = fire([*calls, lambda: accounts.login(nid, temp)])

    assert outcomes[-1][0] == "ok" and outcomes[-1][1]["must_change_password"]
    assert set(codes(outcomes[:-1])) <= {"ok", "reset_hold"}
    began = float(PersonModel.get(nid).reset_hold_until) - settings.RESET_HOLD_SECONDS
    for imei, outcome in zip(imeis, outcomes):
        device = find_device(imei)
        if outcome[0] == "ok":  # it committed before the hold began
            assert device.state == "transfer_pending"
            assert float(device.offer_expires_at) - settings.TRANSFER_CODE_TTL_SECONDS <= began
        else:
            assert device.state == "active"
    # Once the hold holds, no sale gets through, by any of them.
    clock.advance(1)
    fresh = nid_caller(nid)
    for imei in imeis:
        if find_device(imei).state == "active":
            assert codes(fire([lambda imei=imei: transfer.offer(fresh, imei)])) == ["reset_hold"]
