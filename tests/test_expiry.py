"""The expire_sims job, invoked as Lambda through chalice's test client, with time injected.

The state each test checks is what the job leaves for the API to show: a device's SIM
cartable link (sim_key), its awaiting-recovery marker, its "detached" history event, the
SIM's status and whether it is still on the job's indexes, and the checkpoint.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from testkit.calls import count_calls
from chalicelib import clock
from chalicelib.services.sims import expiry, expiry_writes, sim_records
from chalicelib.store.base import plain_map
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.devices import DeviceModel, find_device, sim_key
from chalicelib.store.sims import SimModel
from testkit import ids
from tests.expiry_flows import (  # noqa: F401  (one_aws_call_at_a_time: autouse)
    DAY,
    HOUR,
    device_on,
    events,
    invoke,
    on_cleanup_index,
    on_expiry_index,
    one_aws_call_at_a_time,
    sim_expiring_in,
    slow_transactions,
)


@pytest.fixture
def running(client):
    """The job has been running hourly already (its checkpoint exists)."""
    invoke(client)
    return client


def test_expired_sim_devices_leave_it_and_a_national_id_cartable_keeps_its_own(running):
    msisdn, nid = sim_expiring_in(HOUR)
    expires_at = SimModel.get(msisdn).expires_at
    loose = device_on(msisdn)
    kept = device_on(msisdn, owner_nid=nid)
    clock.advance(2 * HOUR)

    report = invoke(running)

    assert report["expired"] == 1
    assert report["devices_awaiting_recovery"] == 1 and report["devices_kept"] == 1
    sim = SimModel.get(msisdn, consistent_read=True)
    assert sim.status == "expired" and sim.expiry_day is None and sim.cleanup_shard is None
    assert sim_records.ownership_status(sim, 1) == "expired"
    loose_device, kept_device = find_device(loose), find_device(kept)
    assert loose_device.sim_key is None and loose_device.awaiting_recovery == expires_at
    assert loose_device.msisdn == msisdn and loose_device.ownership == 1  # for recovery
    assert kept_device.sim_key is None and kept_device.owner_nid == nid
    assert kept_device.awaiting_recovery is None
    for imei in (loose, kept):
        (event,) = events(imei)
        assert event.at == expires_at and event.msisdn == msisdn and event.detail == "expired"
    assert list(DeviceModel.by_sim.query(sim_key(msisdn, 1))) == []


def test_a_second_run_changes_nothing(running):
    msisdn, _ = sim_expiring_in(HOUR)
    imei = device_on(msisdn)
    clock.advance(2 * HOUR)
    invoke(running)
    version = find_device(imei).version

    again = invoke(running)

    assert again["expired"] == 0 and again["tidied"] == 0 and again["failures"] == 0
    assert find_device(imei).version == version
    assert len(events(imei)) == 1


def test_a_sim_not_yet_expired_is_left_alone(running):
    msisdn, _ = sim_expiring_in(2 * HOUR)
    imei = device_on(msisdn)
    clock.advance(HOUR)

    report = invoke(running)

    assert report["expired"] == 0
    assert find_device(imei).sim_key == sim_key(msisdn, 1)
    assert SimModel.get(msisdn).status == "active" and on_expiry_index(msisdn)


def test_a_sim_renewed_before_its_expiry_is_left_alone(running):
    msisdn, nid = sim_expiring_in(HOUR)
    imei = device_on(msisdn)
    sim_records.operator_update(msisdn, nid, "active", clock.now() + 30 * DAY)
    clock.advance(2 * HOUR)

    report = invoke(running)

    assert report["expired"] == 0
    assert find_device(imei).sim_key == sim_key(msisdn, 1)
    assert sim_records.is_live(SimModel.get(msisdn))


def test_a_number_that_changed_hands_is_tidied_and_leaves_the_cleanup_index(running):
    msisdn, old_nid = sim_expiring_in(30 * DAY)
    loose = device_on(msisdn)
    kept = device_on(msisdn, owner_nid=old_nid)
    sim_records.operator_update(msisdn, ids.national_id(), "active", clock.now() + 30 * DAY)
    assert on_cleanup_index(msisdn)
    clock.advance(HOUR)

    report = invoke(running)

    assert report["tidied"] == 1 and report["expired"] == 0
    assert report["devices_awaiting_recovery"] == 1 and report["devices_kept"] == 1
    sim = SimModel.get(msisdn, consistent_read=True)
    assert not on_cleanup_index(msisdn) and sim.dead_ownerships is None
    assert sim.ownership == 2 and sim_records.is_live(sim)  # the new holder's is untouched
    assert sim_records.ownership_status(sim, 1) == "transferred"
    assert find_device(loose).awaiting_recovery is not None
    assert find_device(kept).owner_nid == old_nid and find_device(kept).sim_key is None
    assert [e.detail for e in events(loose)] == ["transferred"]


def test_a_sim_the_operator_sends_already_expired_goes_straight_to_cleanup(running):
    msisdn, nid = sim_expiring_in(30 * DAY)
    imei = device_on(msisdn)
    past = clock.now() - HOUR
    sim_records.operator_update(msisdn, nid, "active", past)  # its expiry is already behind us

    sim = SimModel.get(msisdn, consistent_read=True)
    assert sim.status == "expired" and sim.expiry_day is None and on_cleanup_index(msisdn)
    report = invoke(running)

    assert report["tidied"] == 1
    assert find_device(imei).awaiting_recovery == pytest.approx(past)
    assert [e.detail for e in events(imei)] == ["expired"]


def test_a_sim_expiring_and_reissued_between_two_runs(running):
    msisdn, old_nid = sim_expiring_in(HOUR)
    expires_at = SimModel.get(msisdn).expires_at
    imei = device_on(msisdn)
    clock.advance(2 * HOUR)
    new_nid = ids.national_id()
    sim_records.operator_update(msisdn, new_nid, "active", clock.now() + 30 * DAY)

    report = invoke(running)

    sim = SimModel.get(msisdn, consistent_read=True)
    assert report["tidied"] == 1 and report["expired"] == 0
    # The old ownership ended when its time passed, not when the operator told us.
    assert sim_records.ownership_status(sim, 1) == "expired"
    assert plain_map(sim.holders)["1"]["ended_at"] == expires_at
    assert sim.ownership == 2 and sim_records.holder_of(sim, 2) == new_nid
    assert sim_records.is_live(sim) and on_expiry_index(msisdn)
    device = find_device(imei)
    assert device.sim_key is None and device.awaiting_recovery == expires_at
    assert [e.detail for e in events(imei)] == ["expired"]


def test_days_without_a_run_are_not_skipped(running):
    numbers = [sim_expiring_in(day * DAY + HOUR)[0] for day in (1, 2, 3)]
    devices = [device_on(n) for n in numbers]
    clock.advance(4 * DAY)

    report = invoke(running)

    assert report["expired"] == 3 and report["finished"]
    assert all(find_device(i).awaiting_recovery for i in devices)
    # The checkpoint moved past every finished day, and not past today.
    today = datetime.fromtimestamp(clock.now(), tz=timezone.utc).strftime("%Y-%m-%d")
    assert CheckpointItem.get(expiry.JOB_KEY).cursor <= today
    assert CheckpointItem.get(expiry.JOB_KEY).cursor >= datetime.fromtimestamp(
        clock.now() - DAY, tz=timezone.utc
    ).strftime("%Y-%m-%d")


def test_first_run_looks_back_a_month(client, set_env):
    # Scaled down from a month: the first run counts every day's slices back to the
    # lookback before its first write (the expiry rail's survey).
    set_env(EXPIRY_LOOKBACK_DAYS=21)
    msisdn, _ = sim_expiring_in(HOUR)
    imei = device_on(msisdn)
    clock.advance(20 * DAY)

    report = invoke(client)  # no checkpoint yet

    assert report["expired"] == 1 and find_device(imei).awaiting_recovery


def test_a_sim_with_more_devices_than_one_transaction_takes(running):
    msisdn, _ = sim_expiring_in(HOUR)
    imeis = [device_on(msisdn) for _ in range(expiry_writes.DEVICES_PER_TRANSACTION + 5)]
    clock.advance(2 * HOUR)

    report = invoke(running)

    assert report["expired"] == 1
    assert report["devices_awaiting_recovery"] == len(imeis)
    assert all(len(events(i)) == 1 for i in imeis)


def test_a_run_that_reaches_its_time_budget_stops_and_the_next_carries_on(
    running, set_env, monkeypatch
):
    numbers = [sim_expiring_in(HOUR)[0] for _ in range(10)]
    imeis = [device_on(n) for n in numbers]
    clock.advance(2 * HOUR)
    # Long before the Lambda's limit, the job's own budget (2 s) passes after a few SIMs.
    set_env(EXPIRY_WORKERS=2, EXPIRY_TIME_BUDGET_SECONDS=2)
    slow_transactions(monkeypatch, 0.8)

    first = invoke(running)

    assert 0 < first["expired"] < 10 and not first["finished"]
    monkeypatch.undo()
    set_env(EXPIRY_WORKERS=2)
    second = invoke(running)

    assert first["expired"] + second["expired"] == 10 and second["finished"]
    assert all(SimModel.get(n).status == "expired" for n in numbers)
    assert all(len(events(i)) == 1 and find_device(i).awaiting_recovery for i in imeis)


def test_the_lambda_time_limit_stops_a_run(running, monkeypatch):
    # A Lambda with 3 s left: a transaction that takes 2 s of (injected) time leaves no
    # room for much more.
    numbers = [sim_expiring_in(HOUR)[0] for _ in range(20)]
    for number in numbers:
        device_on(number)
    clock.advance(2 * HOUR)
    slow_transactions(monkeypatch, 2)

    report = invoke(running, seconds=3)

    assert report["expired"] < 20 and not report["finished"]
    monkeypatch.undo()
    assert invoke(running)["expired"] == 20 - report["expired"]
    assert all(SimModel.get(n).status == "expired" for n in numbers)


def test_a_run_killed_half_way_loses_and_duplicates_nothing(running, set_env, monkeypatch):
    numbers = [sim_expiring_in(HOUR)[0] for _ in range(8)]
    imeis = [device_on(n) for n in numbers]
    transfer = sim_expiring_in(30 * DAY)[0]
    transfer_imei = device_on(transfer)
    sim_records.operator_update(transfer, ids.national_id(), "active", clock.now() + 30 * DAY)
    clock.advance(2 * HOUR)
    set_env(EXPIRY_WORKERS=1)
    real = BaseClient._make_api_call
    seen = {"n": 0}

    def dies_on_the_fourth_transaction(self, operation, params):
        if operation == "TransactWriteItems":
            seen["n"] += 1
            if seen["n"] == 4:
                raise RuntimeError("Lambda killed")
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", dies_on_the_fourth_transaction)
    with pytest.raises(RuntimeError):
        invoke(running)
    monkeypatch.undo()
    done = [n for n in numbers if SimModel.get(n).status == "expired"]
    assert 0 < len(done) < len(numbers)

    set_env(EXPIRY_WORKERS=4)
    invoke(running)

    assert all(SimModel.get(n).status == "expired" for n in numbers)
    for imei in imeis + [transfer_imei]:
        assert len(events(imei)) == 1
        assert find_device(imei).awaiting_recovery and find_device(imei).sim_key is None
    assert not on_cleanup_index(transfer)


def test_a_throttled_sim_is_left_for_the_next_run_and_the_checkpoint_waits(running, monkeypatch):
    msisdn, _ = sim_expiring_in(HOUR)
    imei = device_on(msisdn)
    clock.advance(3 * DAY)
    real = BaseClient._make_api_call

    def throttled(self, operation, params):
        if operation == "TransactWriteItems":
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                operation,
            )
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", throttled)
    report = invoke(running)

    assert report["failures"] == 1 and not report["finished"] and report["expired"] == 0
    assert find_device(imei).sim_key == sim_key(msisdn, 1)
    expiry_day = SimModel.get(msisdn).expiry_day.split("#")[0]
    assert CheckpointItem.get(expiry.JOB_KEY).cursor <= expiry_day
    monkeypatch.undo()
    again = invoke(running)
    assert again["expired"] == 1 and again["finished"]
    assert CheckpointItem.get(expiry.JOB_KEY).cursor > expiry_day
    assert find_device(imei).awaiting_recovery


def test_a_device_that_moved_meanwhile_is_not_touched(running, monkeypatch):
    """A race: the device leaves the SIM cartable between the job's read and its write."""
    msisdn, nid = sim_expiring_in(HOUR)
    imei = device_on(msisdn)
    clock.advance(2 * HOUR)
    real_devices_of = expiry_writes.devices_of

    def then_it_moves(number, ownership):
        found = real_devices_of(number, ownership)
        moved = find_device(imei)
        moved.sim_key, moved.owner_nid = None, nid  # e.g. taken into a national-ID cartable
        moved.save()
        return found

    monkeypatch.setattr(expiry_writes, "devices_of", then_it_moves)
    report = invoke(running)

    assert report["expired"] == 1 and report["devices_kept"] == 0
    device = find_device(imei)
    assert device.owner_nid == nid and device.awaiting_recovery is None
    assert events(imei) == []


def test_calls_grow_with_the_expired_sims_not_with_all_sims(running):
    # Away from midnight, so both runs read the same days.
    clock.advance(DAY - clock.now() % DAY + 6 * HOUR)
    invoke(running)

    def run_with(unexpired: int) -> int:
        for _ in range(unexpired):
            device_on(sim_expiring_in(60 * DAY)[0])
        for _ in range(3):
            device_on(sim_expiring_in(HOUR)[0])
        clock.advance(2 * HOUR)
        with count_calls() as counts:
            report = invoke(running)
        assert report["expired"] == 3
        return counts.total

    few = run_with(2)
    many = run_with(60)
    assert many == few
