"""The enforce job and GET /operator/enforcement: blocks after the grace, unblocks once put
right, the safety rail, and the operators' delta list with its cursors."""
from __future__ import annotations

import pytest

from testkit.calls import count_calls
from chalicelib import clock
from chalicelib.services.network import enforcement, enforcement_writes
from testkit import ids
from tests.conftest import OPERATOR_KEY, REGISTRAR_KEY
from tests.enforcement_flows import WARNING, activated_on_sim, observe, texts
from tests.flows import break_sns, new_sim_cartable, sim_login

GRACE = 30 * 86400


def run_enforce(client) -> dict:
    """One run, as scripts/local.py and the scheduled handler start it (the test client's
    Lambda context allows 3 s, less than a run over a month of moto's index reads)."""
    return enforcement.run()


def test_the_scheduled_handler_runs_the_job(client):
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[],
        region="us-east-1",
    )
    report = client.lambda_.invoke("enforce", event).payload
    assert report["blocked"] == 0 and report["failures"] == 0 and "rail_tripped" in report


def entries(api, since=None) -> tuple[list[dict], str]:
    path = "/operator/enforcement" + (f"?since={since}" if since is not None else "")
    status, data, _ = api.get(path, token=OPERATOR_KEY)
    assert status == 200, data
    return data["entries"], data["next"]


def past_grace():
    clock.advance(GRACE + 3600)


def test_unput_right_pairs_become_blocks_once(api, client):
    unregistered, sim1 = ids.imei(), ids.msisdn()
    not_activated, sim2 = ids.imei(), ids.msisdn()
    api.register_device(not_activated)
    observe(api, (unregistered, sim1), (not_activated, sim2))
    assert run_enforce(client)["blocked"] == 0  # still in the grace period
    assert entries(api)[0] == []
    past_grace()

    report = run_enforce(client)

    assert report["blocked"] == 2 and report["judged"] == 2 and not report["rail_tripped"]
    found, cursor = entries(api)
    assert sorted((e["imei"], e["msisdn"], e["action"], e["reason"]) for e in found) == sorted([
        (unregistered, sim1, "block", "unregistered"),
        (not_activated, sim2, "block", "not_activated"),
    ])
    assert all(isinstance(e["at"], int) for e in found)
    again = run_enforce(client)
    assert again["blocked"] == 0 and again["judged"] == 0
    assert entries(api, cursor) == ([], cursor)
    assert entries(api)[0] == found  # the same cursor (the beginning) gives the same entries


def test_a_pair_put_right_in_its_grace_is_never_blocked(api, client):
    msisdn, _, token = new_sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    observe(api, (imei, msisdn))
    assert len(texts(msisdn, WARNING)) == 1
    assert api.post("/devices/activate", {"imei": imei, "activation_code": code}, token=token)[0] == 201
    past_grace()

    report = run_enforce(client)

    assert report["judged"] == 1 and report["put_right"] == 1 and report["blocked"] == 0
    assert entries(api)[0] == []


def test_a_blocked_pair_put_right_later_is_unblocked(api, client):
    msisdn, _, token = new_sim_cartable(api)
    imei = ids.imei()
    observe(api, (imei, msisdn))
    past_grace()
    run_enforce(client)
    _, cursor = entries(api)
    assert run_enforce(client)["unblocked"] == 0

    code = api.register_device(imei)
    token = sim_login(api, msisdn)  # a month later: a new session
    assert api.post("/devices/activate", {"imei": imei, "activation_code": code}, token=token)[0] == 201
    report = run_enforce(client)

    assert report["unblocked"] == 1
    (entry,) = entries(api, cursor)[0]
    assert entry == {"imei": imei, "msisdn": msisdn, "action": "unblock",
                     "reason": "unregistered", "at": entry["at"]}
    assert run_enforce(client)["unblocked"] == 0
    assert run_enforce(client)["rechecked"] == 0  # off the blocked index


def test_the_safety_rail_blocks_nothing_and_says_why(api, client, set_env):
    set_env(ENFORCEMENT_RAIL_MIN_PAIRS=4, ENFORCEMENT_MAX_BLOCK_PERCENT=50)
    fine = [activated_on_sim(api) for _ in range(2)]
    crafted = [(ids.imei(), ids.msisdn()) for _ in range(3)]
    observe(api, *crafted)
    # The fine pairs enter the grace too (their phones move off their SIMs' cartables
    # and come back before the deadline), so the run judges 5 pairs.
    from chalicelib.store.observations import ObservationModel

    for imei, msisdn in fine:
        ObservationModel(imei, msisdn, first_seen=clock.now(), state="pending", reason="not_activated",
                         grace_until=clock.now() + GRACE, warned_at=clock.now(), operator="operator",
                         queued_at=clock.now(),
                         deadline_slot=_slot(imei, msisdn, clock.now() + GRACE)).save()
    past_grace()

    report = run_enforce(client)

    assert report["rail_tripped"] and report["blocked"] == 0 and report["judged"] == 5
    assert "3 of 5" in report["rail"]
    assert entries(api)[0] == []
    # Nothing moved: a run allowed a larger share blocks the same three.
    set_env(ENFORCEMENT_MAX_BLOCK_PERCENT=60)
    report = run_enforce(client)
    assert not report["rail_tripped"] and report["blocked"] == 3 and report["put_right"] == 2
    assert sorted(e["imei"] for e in entries(api)[0]) == sorted(i for i, _ in crafted)


def _slot(imei, msisdn, grace_until):
    from chalicelib.services.sims.sim_records import expiry_day
    from chalicelib.store.observations import deadline_slot

    return deadline_slot(expiry_day(grace_until), imei, msisdn)


def test_a_pair_never_warned_is_warned_before_any_block(api, client, monkeypatch):
    imei, msisdn = ids.imei(), ids.msisdn()
    break_sns(monkeypatch)
    observe(api, (imei, msisdn))
    monkeypatch.undo()
    past_grace()

    report = run_enforce(client)

    assert report["blocked"] == 0 and report["warned_late"] == 1
    assert len(texts(msisdn, WARNING)) == 1
    past_grace()
    assert run_enforce(client)["blocked"] == 1


def test_a_run_cut_short_is_finished_by_the_next(api, client, monkeypatch):
    rows = [(ids.imei(), ids.msisdn()) for _ in range(enforcement.BLOCKS_PER_TRANSACTION + 5)]
    observe(api, *rows)
    past_grace()
    real = enforcement_writes.write_moves
    calls = []

    def dies_after_the_first(*args, **kwargs):
        if calls:
            raise RuntimeError("the Lambda was killed")
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(enforcement_writes, "write_moves", dies_after_the_first)
    with pytest.raises(Exception):
        enforcement.run()
    monkeypatch.undo()
    assert len(entries(api)[0]) == enforcement.BLOCKS_PER_TRANSACTION

    report = run_enforce(client)

    assert report["blocked"] == 5
    found = entries(api)[0]
    assert sorted(e["imei"] for e in found) == sorted(i for i, _ in rows)  # none twice


def test_calls_do_not_grow_with_the_pairs_waiting_or_settled(api, client, set_env):
    set_env(ENFORCEMENT_GRACE_SECONDS=3600, ENFORCEMENT_MIN_NOTICE_SECONDS=3600)
    clock.advance(86400 - clock.now() % 86400 + 6 * 3600)  # away from midnight
    observe(api, *[(ids.imei(), ids.msisdn()) for _ in range(3)])
    clock.advance(2 * 3600)  # due now
    assert run_enforce(client)["blocked"] == 3

    def calls_with(waiting: int) -> int:
        observe(api, *[(ids.imei(), ids.msisdn()) for _ in range(waiting)])  # in grace
        with count_calls() as calls:
            report = run_enforce(client)
        assert report["blocked"] == 0 and report["rechecked"] == 3
        return calls.total

    assert calls_with(2) == calls_with(60)


@pytest.mark.parametrize("since", ["abc", "-1", "01", "1.5", "۱", "9" * 40])
def test_a_malformed_cursor_is_invalid_request_naming_since(api, since):
    status, data, _ = api.get(f"/operator/enforcement?since={since}", token=OPERATOR_KEY)
    assert (status, data["error"]["code"], data["error"]["field"]) == (400, "invalid_request", "since")


def test_the_list_is_for_operators_only(api):
    assert api.get("/operator/enforcement")[0] == 401
    assert api.get("/operator/enforcement", token=REGISTRAR_KEY)[0] == 403


def test_pages_follow_each_other(api, client):
    observe(api, *[(ids.imei(), ids.msisdn()) for _ in range(5)])
    past_grace()
    run_enforce(client)
    status, data, _ = api.get("/operator/enforcement?limit=2", token=OPERATOR_KEY)
    first, cursor = data["entries"], data["next"]
    rest = entries(api, cursor)[0]
    assert len(first) == 2 and len(rest) == 3
    assert first + rest == entries(api)[0]
