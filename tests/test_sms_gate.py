"""The one SMS gate (issue 21, API.md "SMS"): the attacks that must fail, the budget's
classes and spread, Retry-After on every 503, and no other way to a provider."""
from __future__ import annotations

import ast
import json
import os
import sys

import pytest

from chalicelib import clock, settings, sms_gate, sms_providers
from chalicelib.errors import MESSAGES, HamtaError
from testkit import ids
from tests.conftest import OPERATOR_KEY, ROOT
from tests.deployment import TEMPLATE
from tests.flows import activated_device, break_sns, messages_to, request_otp, sim_login

DAY = 24 * 3600


def metrics(out: str) -> list[dict]:
    """The EMF lines Powertools Metrics printed."""
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


# ---- BLOCK_CHANGES_PER_DAY and the notices per number ----------------------------------------


def test_block_unblock_cycling_stops_at_the_daily_changes_and_the_notices_per_number(api, set_env):
    set_env(BLOCK_CHANGES_PER_DAY=4, NOTICES_PER_NUMBER_PER_DAY=3)
    msisdn = ids.msisdn()
    token = sim_login(api, msisdn)
    imei = activated_device(api, token, msisdn)
    codes = len(messages_to(msisdn))
    moves = [("post", "blocked"), ("delete", "active")] * 2
    for method, state in moves:  # 4 changes: each stands, whatever its notice did
        if method == "post":
            status, data, _ = api.post(f"/devices/{imei}/block", {"reason": "lost"}, token=token)
        else:
            status, data, _ = api.delete(f"/devices/{imei}/block", token=token)
        assert (status, data["device"]["status"]) == (200, state)
    # Three notices reached the number; the fourth was dropped (the unblock stands).
    assert len(messages_to(msisdn)) == codes + 3
    status, data, headers = api.post(f"/devices/{imei}/block", {"reason": "lost"}, token=token)
    assert (status, data["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(headers["Retry-After"]) <= DAY
    assert api.get(f"/imei/{imei}")[1]["status"] != "blocked"  # the fifth changed nothing
    clock.advance(DAY + 1)
    token = sim_login(api, msisdn)  # the session has ended meanwhile
    codes = len(messages_to(msisdn)) - 3
    status, data, _ = api.post(f"/devices/{imei}/block", {"reason": "stolen"}, token=token)
    assert (status, data["device"]["status"]) == (200, "blocked")
    assert len(messages_to(msisdn)) == codes + 4  # a new day, a new notice


def test_a_blocked_phone_is_unblocked_the_next_day_when_the_changes_ran_out(api, set_env):
    set_env(BLOCK_CHANGES_PER_DAY=1)
    msisdn = ids.msisdn()
    token = sim_login(api, msisdn)
    imei = activated_device(api, token, msisdn)
    assert api.post(f"/devices/{imei}/block", {"reason": "lost"}, token=token)[0] == 200
    assert api.delete(f"/devices/{imei}/block", token=token)[0] == 429
    clock.advance(DAY + 1)
    token = sim_login(api, msisdn)
    assert api.delete(f"/devices/{imei}/block", token=token)[0] == 200


# ---- notices never starve codes ---------------------------------------------------------------


def test_notices_flooding_the_budget_leave_room_for_codes(api, set_env, capsys):
    set_env(SMS_MAX_PER_WINDOW=4, SMS_NOTICE_PERCENT=50)
    strangers = [ids.msisdn() for _ in range(5)]
    went = [sms_gate.send_notice(number, "همتا: آزمایش") for number in strangers]
    assert went == [True, True, False, False, False]  # notices: half the window at most
    people = [ids.msisdn() for _ in range(3)]
    assert [request_otp(api, p)[0] for p in people[:2]] == [202, 202]  # codes still go
    status, data, headers = request_otp(api, people[2])  # the window's budget is spent
    assert (status, data["error"]["code"]) == (503, "sms_unavailable")
    assert 0 < int(headers["Retry-After"]) <= 3600
    lines = metrics(capsys.readouterr().out)
    dropped = [(m["Class"], m["Cause"]) for m in lines if "SmsDropped" in m]
    assert dropped == [("notice", "budget")] * 3
    assert any("CodesRefused" in m and m["Stage"] == settings.STAGE for m in lines)


def test_the_budget_spreads_over_shards_at_national_scale(api, set_env, monkeypatch):
    from chalicelib.store.challenges import CounterItem

    set_env(SMS_MAX_PER_WINDOW=1_000_000)
    sent = []
    monkeypatch.setattr(sms_providers.Sns, "send", lambda self, to, text: sent.append(to))
    for _ in range(60):
        sms_gate.send_code(ids.msisdn(), "همتا: کد")
    window = int(clock.now() // settings.SMS_WINDOW_SECONDS)
    counts = []
    for shard in range(sms_gate.MAX_SHARDS):
        try:
            counts.append(int(CounterItem.get(f"sms#{window}#{shard}").count))
        except CounterItem.DoesNotExist:
            pass
    assert len(sent) == 60 and sum(counts) == 60
    assert len(counts) > 20  # 60 writes on 50 items, not one hot item


# ---- partners' caps ------------------------------------------------------------------------


def test_an_operators_strangers_get_their_warnings_only_as_the_budget_allows(api, set_env):
    from chalicelib.store.observations import ObservationModel

    set_env(OPERATOR_WARNINGS_PER_DAY=5)
    now = int(clock.now())
    rows = [{"imei": ids.imei(), "msisdn": ids.msisdn(), "seen_at": now} for _ in range(12)]
    status, data, _ = api.post("/operator/observations", {"observations": rows}, token=OPERATOR_KEY)
    assert (status, data["accepted"]) == (202, 12)
    warned = [r for r in rows if messages_to(r["msisdn"])]
    assert len(warned) == 5
    pairs = [ObservationModel.get(r["imei"], r["msisdn"]) for r in rows]
    assert len(pairs) == 12  # every pair kept...
    assert sum(1 for p in pairs if p.warned_at is None) == 7  # ...the held ones unwarned


def test_customs_many_passports_stop_at_the_daily_cap_and_store_nothing(api, set_env):
    from chalicelib.services.registry.partners import provision_key

    provision_key("customs", "customs-gate-key", "IKA airport")
    set_env(CUSTOMS_SMS_PER_DAY=3)
    today = clock.now_dt().astimezone(clock.TEHRAN).date().isoformat()

    def register(passport, msisdn, imei):
        body = {"passport": passport, "entry_date": today, "msisdn": msisdn, "imei": imei,
                "brand": "Apple", "model": "iPhone 15"}
        return api.post("/customs/travellers", body, token="customs-gate-key")

    for n in range(3):
        assert register(f"P{n}{ids.msisdn()[-7:]}", ids.msisdn(), ids.imei())[0] == 201
    msisdn, imei = ids.msisdn(), ids.imei()
    status, data, headers = register("P9" + ids.msisdn()[-7:], msisdn, imei)
    assert (status, data["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(headers["Retry-After"]) <= DAY
    assert messages_to(msisdn) == []
    assert api.get(f"/imei/{imei}")[1]["status"] == "not_registered"  # nothing stored
    clock.advance(DAY)
    assert register("P9" + ids.msisdn()[-7:], msisdn, imei)[0] == 201


# ---- Retry-After on every 503 -------------------------------------------------------------


def test_every_503_carries_retry_after(api, monkeypatch):
    for code, (status, _, _) in MESSAGES.items():
        if status == 503:
            error = HamtaError(code)
            assert int(error.headers()["Retry-After"]) > 0, code
            assert error.body()["retry_after"] == int(error.headers()["Retry-After"])
    break_sns(monkeypatch)
    status, data, headers = request_otp(api, ids.msisdn())
    assert (status, data["error"]["code"]) == (503, "sms_unavailable")
    assert int(headers["Retry-After"]) > 0
    gateway = TEMPLATE["Resources"]["GatewayResponse5XX"]["Properties"]["ResponseParameters"]
    assert "gatewayresponse.header.Retry-After" in gateway


# ---- one door ------------------------------------------------------------------------------


def test_only_the_gate_reaches_a_provider(api, monkeypatch):
    """By behaviour: every send of a round of the service comes through sms_gate."""
    callers = []
    real = sms_providers.Sns.send

    def spy(self, to, text):
        callers.append(sys._getframe(1).f_globals["__name__"])
        return real(self, to, text)

    monkeypatch.setattr(sms_providers.Sns, "send", spy)
    msisdn = ids.msisdn()
    token = sim_login(api, msisdn)
    imei = activated_device(api, token, msisdn)
    api.post(f"/devices/{imei}/block", {"reason": "lost"}, token=token)
    api.post("/operator/observations", {"observations": [
        {"imei": ids.imei(), "msisdn": ids.msisdn(), "seen_at": int(clock.now())}]}, token=OPERATOR_KEY)
    assert len(callers) >= 3 and set(callers) == {"chalicelib.sms_gate"}


def test_no_module_but_the_gate_imports_a_provider():
    """And by the source: sms_providers is imported by sms_gate alone, and nothing else
    publishes an SMS (SNS's PhoneNumber) or calls a gateway's send."""
    offenders = []
    for folder in ("chalicelib", "scripts"):
        for base, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(base, name)
                module = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                if module in ("chalicelib.sms_gate", "chalicelib.sms_providers"):
                    continue
                source = open(path, encoding="utf-8").read()
                for node in ast.walk(ast.parse(source)):
                    names = []
                    if isinstance(node, ast.ImportFrom):
                        names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                    elif isinstance(node, ast.Import):
                        names = [a.name for a in node.names]
                    if any(n.endswith("sms_providers") for n in names):
                        offenders.append(module)
                if "PhoneNumber=" in source or "sms/send" in source:  # an SMS, not the SNS topic
                    offenders.append(module)
    assert offenders == []


@pytest.mark.parametrize("klass", ["notice", "warning"])
def test_a_notice_the_provider_refuses_is_false_and_counted(api, monkeypatch, capsys, klass):
    break_sns(monkeypatch)
    number = ids.msisdn()
    went = (sms_gate.send_notice(number, "x") if klass == "notice"
            else sms_gate.send_warning(number, "x", "MCI"))
    assert went is False
    refused = [m for m in metrics(capsys.readouterr().out) if "SmsRefused" in m]
    assert [(m["Class"], m["Cause"]) for m in refused] == [(klass, "refused")]
