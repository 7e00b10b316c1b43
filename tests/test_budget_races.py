"""Attempt budgets under concurrency, against a real moto server (API.md "Conventions").

N guesses fired at once from a thread pool: at most the budget of them are checked; the
rest answer as the spent budget does (429 rate_limited, or 401 otp_invalid for a dead code)
without being checked. "Checked" is counted twice: by the answers (a 429 was refused
before its guess was looked at) and by a counting wrapper around the function that
compares the guess (it still does the real comparison). The figures printed here are the
ones of docs/measurements.md ("Attempt budgets under concurrency").
"""
from __future__ import annotations

import threading
from datetime import date

import pytest

from chalicelib import passwords, settings, sms_providers
from chalicelib.errors import HamtaError
from chalicelib.services.devices import activation, recovery, transfer
from chalicelib.services.registry import registrar
from chalicelib.services.signin import accounts, forgot_password, otp, sessions
from chalicelib.services.sims import sim_records
from testkit import ids
from tests.servers import (  # noqa: F401 (server: a fixture)
    BIRTH, PASSWORD, codes, fire, nid_cartable, own_device, server, sim_caller,
)



class Counted:
    """Wraps the function that compares a guess and counts its calls (it still compares)."""

    def __init__(self, monkeypatch, owner, name):
        self.calls = 0
        self.lock = threading.Lock()
        real = getattr(owner, name)

        def counted(*args, **kwargs):
            with self.lock:
                self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


def test_20_logins_at_once_check_at_most_the_budget(server, monkeypatch):
    nid, _ = nid_cartable()
    checked = Counted(monkeypatch, passwords, "verify_password")

    outcomes = fire([lambda: accounts.login(nid, "wrong-Password-9")] * 20)

    answered = [c for c in codes(outcomes) if c != "rate_limited"]
    print(f"\nlogin: 20 at once, {len(answered)} checked, budget {settings.LOGIN_MAX_FAILURES}")
    assert len(answered) <= settings.LOGIN_MAX_FAILURES
    assert set(codes(outcomes)) <= {"invalid_credentials", "rate_limited"}
    # Each checked login spends two verifications (password, temporary password).
    assert checked.calls <= 2 * settings.LOGIN_MAX_FAILURES
    assert all(o[1] and o[1] > 0 for o in outcomes if o[0] == "rate_limited")
    # The right password, sent once the budget is spent, is refused unchecked.
    with pytest.raises(HamtaError) as refused:
        accounts.login(nid, PASSWORD)
    assert refused.value.code == "rate_limited"


def test_a_right_password_among_wrong_ones_gets_in_only_within_the_budget(server):
    nid, _ = nid_cartable()
    calls = [lambda: accounts.login(nid, "wrong-Password-9")] * 19
    calls.insert(10, lambda: accounts.login(nid, PASSWORD))

    outcomes = fire(calls)

    assert set(codes(outcomes)) <= {"ok", "invalid_credentials", "rate_limited"}
    # A success resets the failures in a row, as a sequential login would; what matters
    # is that the guesses checked before it were within the budget.
    assert codes(outcomes).count("rate_limited") >= 19 - 2 * settings.LOGIN_MAX_FAILURES


def test_15_password_changes_at_once_check_at_most_the_budget(server, monkeypatch):
    nid, _ = nid_cartable()
    token = accounts.login(nid, PASSWORD)["token"]
    caller = sessions.resolve(token)
    checked = Counted(monkeypatch, passwords, "verify_password")

    outcomes = fire([lambda: accounts.change_password(caller, "wrong-Old-pass-9", "new-Strong-pass-2")] * 15)

    answered = [c for c in codes(outcomes) if c != "rate_limited"]
    print(f"\npassword change: 15 at once, {len(answered)} checked, budget {settings.LOGIN_MAX_FAILURES}")
    assert len(answered) <= settings.LOGIN_MAX_FAILURES
    assert checked.calls <= settings.LOGIN_MAX_FAILURES
    assert set(codes(outcomes)) <= {"invalid_credentials", "rate_limited"}


def test_15_unblock_passwords_at_once_check_at_most_the_budget(server, monkeypatch):
    """The password re-entered to unblock (API.md "Lost or stolen") counts toward the
    login lock: reserved before the comparison like a login."""
    nid, _ = nid_cartable()
    caller = sessions.resolve(accounts.login(nid, PASSWORD)["token"])
    checked = Counted(monkeypatch, passwords, "verify_password")

    outcomes = fire([lambda: accounts.confirm_password(caller, "wrong-Pass-9")] * 15)

    answered = [c for c in codes(outcomes) if c != "rate_limited"]
    print(f"\nunblock password: 15 at once, {len(answered)} checked, budget {settings.LOGIN_MAX_FAILURES}")
    assert len(answered) <= settings.LOGIN_MAX_FAILURES
    assert checked.calls <= settings.LOGIN_MAX_FAILURES
    assert set(codes(outcomes)) <= {"invalid_credentials", "rate_limited"}
    # The lock holds for the right password too, as after failed logins.
    with pytest.raises(HamtaError) as refused:
        accounts.confirm_password(caller, PASSWORD)
    assert refused.value.code == "rate_limited"


def test_15_activations_at_once_check_at_most_the_budget(server, monkeypatch):
    imei = ids.imei()
    code = registrar.register_device(imei, None, "Apple", "iPhone X", "import")
    callers = [sim_caller(ids.msisdn(), ids.national_id()) for _ in range(15)]
    checked = Counted(monkeypatch, activation, "_code_opens")
    wrong = "000000" if code != "000000" else "111111"

    outcomes = fire([lambda c=c: activation.activate(c, imei, wrong) for c in callers])

    answered = [c for c in codes(outcomes) if c != "rate_limited"]
    print(f"\nactivation: 15 at once, {checked.calls} checked, budget {settings.ACTIVATION_MAX_ATTEMPTS}")
    assert checked.calls <= settings.ACTIVATION_MAX_ATTEMPTS
    assert len(answered) <= settings.ACTIVATION_MAX_ATTEMPTS
    assert set(codes(outcomes)) <= {"not_found", "rate_limited"}
    # The budget is spent: the right code is refused too, unchecked.
    with pytest.raises(HamtaError) as refused:
        activation.activate(callers[0], imei, code)
    assert refused.value.code == "rate_limited"


def test_15_recoveries_at_once_check_at_most_the_budget(server, monkeypatch):
    person = ids.national_id()
    old = ids.msisdn()
    first = sim_caller(old, person)
    imei, _ = own_device(first, model="X")
    sim_records.operator_update(old, ids.national_id(), "active", None)  # changes hands
    caller = sim_caller(ids.msisdn(), person)
    checked = Counted(monkeypatch, recovery, "_rightful")

    outcomes = fire([lambda: recovery.recover(caller, imei, ids.msisdn())] * 15)

    answered = [c for c in codes(outcomes) if c != "rate_limited"]
    print(f"\nrecovery: 15 at once, {checked.calls} checked, budget {settings.RECOVERY_MAX_ATTEMPTS}")
    assert checked.calls <= settings.RECOVERY_MAX_ATTEMPTS
    assert len(answered) <= settings.RECOVERY_MAX_ATTEMPTS
    assert set(codes(outcomes)) <= {"not_found", "rate_limited"}
    with pytest.raises(HamtaError) as refused:
        recovery.recover(caller, imei, old)
    assert refused.value.code == "rate_limited"


def test_15_otp_guesses_at_once_check_at_most_the_budget(server, monkeypatch):
    msisdn = ids.msisdn()
    sent = []
    monkeypatch.setattr(sms_providers.Sns, "send", lambda self, to, text: sent.append(text))
    otp.send_code(msisdn, otp.LOGIN)
    code = [w for w in sent[-1].split() if w.isdigit() and len(w) == 6][0]
    wrong = "000000" if code != "000000" else "111111"
    checked = Counted(monkeypatch, otp.keys, "same")

    outcomes = fire([lambda: otp.verify_code(msisdn, wrong, otp.LOGIN)] * 15)

    print(f"\notp: 15 at once, {checked.calls} checked, budget {settings.OTP_MAX_ATTEMPTS}")
    assert checked.calls <= settings.OTP_MAX_ATTEMPTS
    assert codes(outcomes) == ["otp_invalid"] * 15
    with pytest.raises(HamtaError) as refused:
        otp.verify_code(msisdn, code, otp.LOGIN)  # dead: even the right code
    assert refused.value.code == "otp_invalid"


def test_15_forgot_password_requests_at_once_send_at_most_the_cap(server, monkeypatch):
    nid, msisdn = nid_cartable()
    sent = []
    lock = threading.Lock()

    def send(self, to, text):
        with lock:
            sent.append(to)

    monkeypatch.setattr(sms_providers.Sns, "send", send)

    fire([lambda: forgot_password.forgot_password(nid, msisdn, BIRTH)] * 15)

    print(f"\nforgot-password: 15 at once, {len(sent)} sent, cap {settings.FORGOT_MAX_PER_DAY}")
    assert 1 <= len(sent) <= settings.FORGOT_MAX_PER_DAY


def test_10_sale_offers_at_once_never_answer_500(server):
    """Issue 10 item 6: a lost race answers as the stale request it is, or 503 with
    Retry-After when retries run out; never internal_error."""
    nid, _ = nid_cartable()
    owner = sessions.resolve(accounts.login(nid, PASSWORD)["token"])  # a sale needs the password
    imei, _ = own_device(owner, model="X")

    outcomes = fire([lambda: transfer.offer(owner, imei)] * 10)

    assert set(codes(outcomes)) <= {"ok", "service_unavailable"}, outcomes
    assert "ok" in codes(outcomes)
    assert all(o[1] == 1 for o in outcomes if o[0] == "service_unavailable")


def test_retries_that_run_out_answer_503_with_retry_after_and_change_nothing(api, monkeypatch):
    """DynamoDB answering TransactionConflict to every try (a fault injected at botocore's
    door): the sale is refused with 503 service_unavailable and Retry-After, never 500,
    and the device is as it was."""
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    from tests.flows import activate_new_device, new_nid_cartable

    _, _, token = new_nid_cartable(api)
    status, imei = activate_new_device(api, token)
    assert status == 201
    real = BaseClient._make_api_call
    tries = []

    def conflicting(self, operation, params):
        if operation == "TransactWriteItems":
            tries.append(1)
            raise ClientError(
                {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                 "CancellationReasons": [{"Code": "TransactionConflict"}]
                 + [{"Code": "None"}] * (len(params["TransactItems"]) - 1)},
                operation,
            )
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", conflicting)
    status, data, headers = api.post(f"/devices/{imei}/transfer", token=token)
    monkeypatch.undo()
    assert (status, data["error"]["code"]) == (503, "service_unavailable")
    assert headers["Retry-After"] == "1" and data["retry_after"] == 1
    assert len(tries) > 1  # it did retry
    device = api.get("/devices", token=token)[1]["devices"][0]
    assert device["status"] == "active"
