"""The expiry job fanned out over SQS (EXPIRY_FANOUT=on, as on AWS), on moto, time injected.

expire_sims (the coordinator) sends one message per slice with work and moves nothing;
expire_slice (the worker) drained through scripts/local_bulk.py leaves the same state as
one unconfigured run; a slice delivered twice changes nothing; a worker out of time puts
its slice back; the checkpoint moves past a day only once its slices are empty.
"""
from __future__ import annotations

import json

import pytest

from testkit.calls import count_calls
from chalicelib import bulk, clock, settings
from chalicelib.jobs import runtime
from chalicelib.jobs.pool import Outcome
from chalicelib.services.sims import expiry, expiry_fanout, expiry_sims, sim_records
from chalicelib.store.base import plain_map
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.devices import find_device
from chalicelib.store.sims import EXPIRY_SHARDS, SimModel
from testkit import ids
from tests.expiry_flows import (  # noqa: F401  (driver, running, one_aws_call_at_a_time: fixtures)
    DAY,
    HOUR,
    clear_queue,
    deliver,
    device_on,
    driver,
    events,
    fan_out,
    invoke,
    on_cleanup_index,
    on_expiry_index,
    one_aws_call_at_a_time,
    queued,
    running,
    sim_expiring_in,
    slow_transactions,
)

# The slices queue is SQS's: it must hold only this test's messages.
pytestmark = pytest.mark.fresh_backend


def slice_of(msisdn: str) -> dict:
    day, shard = SimModel.get(msisdn, consistent_read=True).expiry_day.split("#")
    return {"job": "expire_sims", "slice": "expiry", "day": day, "shard": int(shard)}


def number_on_shard(shard: int) -> str:
    msisdn = ids.msisdn()
    while int(msisdn[-3:]) % EXPIRY_SHARDS != shard:
        msisdn = ids.msisdn()
    return msisdn


def scenario() -> dict:
    """Every case the job meets, relative to now: expired over the last three days
    (devices loose and kept by a national-ID cartable), changed hands, reissued after its
    expiry, expired by the operator, renewed in time, not yet due."""
    base = clock.now()
    cases = {}
    for name, seconds in (("hour", HOUR), ("day", DAY + HOUR), ("days", 2 * DAY + HOUR)):
        msisdn, nid = sim_expiring_in(seconds)
        cases[name] = (msisdn, [device_on(msisdn), device_on(msisdn, owner_nid=nid)])
    msisdn, _ = sim_expiring_in(30 * DAY)
    cases["changed_hands"] = (msisdn, [device_on(msisdn)])
    sim_records.operator_update(msisdn, ids.national_id(), "active", clock.now() + 30 * DAY)
    msisdn, nid = sim_expiring_in(30 * DAY)
    cases["by_operator"] = (msisdn, [device_on(msisdn)])
    sim_records.operator_update(msisdn, nid, "active", clock.now() - HOUR)
    msisdn, nid = sim_expiring_in(HOUR)
    cases["renewed"] = (msisdn, [device_on(msisdn)])
    sim_records.operator_update(msisdn, nid, "active", clock.now() + 30 * DAY)
    msisdn, _ = sim_expiring_in(30 * DAY)
    cases["later"] = (msisdn, [device_on(msisdn)])
    msisdn, _ = sim_expiring_in(2 * HOUR)
    cases["reissued"] = (msisdn, [device_on(msisdn)])
    clock.advance(3 * DAY + 2 * HOUR)
    sim_records.operator_update(msisdn, ids.national_id(), "active", clock.now() + 30 * DAY)
    return {"base": base, "cases": cases}


def outcome(built: dict) -> dict:
    """What the API shows of each case, times relative to the scenario's start."""
    base = built["base"]

    def rel(value):
        return None if value is None else round(float(value) - base, 3)

    seen = {}
    for name, (msisdn, imeis) in sorted(built["cases"].items()):
        sim = SimModel.get(msisdn, consistent_read=True)
        holders = {n: (h.get("ended"), rel(h.get("ended_at"))) for n, h in plain_map(sim.holders).items()}
        devices = []
        for imei in imeis:
            device = find_device(imei)
            devices.append((device.sim_key is None, rel(device.awaiting_recovery), device.owner_nid is not None,
                            [(e.type, e.detail, rel(e.at)) for e in events(imei)]))
        seen[name] = (sim.status, on_expiry_index(msisdn), on_cleanup_index(msisdn), holders, devices)
    return seen


def test_the_coordinator_sends_one_message_per_slice_with_work_and_moves_nothing(running, set_env):
    today = sim_records.expiry_day(clock.now())
    due = [sim_expiring_in(HOUR)[0] for _ in range(6)]
    devices = [device_on(n) for n in due]
    changed = sim_expiring_in(30 * DAY)[0]
    sim_records.operator_update(changed, ids.national_id(), "active", clock.now() + 30 * DAY)
    clock.advance(2 * HOUR)
    fan_out(set_env)

    with count_calls() as calls:
        report = invoke(running)

    expected = sorted({json.dumps(slice_of(n), sort_keys=True) for n in due})
    expected.append(json.dumps(
        {"job": "expire_sims", "slice": "cleanup", "shard": int(SimModel.get(changed).cleanup_shard)}, sort_keys=True))
    assert sorted(json.dumps(m, sort_keys=True) for m in queued()) == sorted(expected)
    assert report["fanout"] and report["slices_sent"] == len(expected)
    assert report["cleanup_slices"] == 1 and report["next_day"] == today
    # Nothing else moved: the SIMs, their devices, their history, the checkpoint.
    assert all(SimModel.get(n).status == "active" and on_expiry_index(n) for n in due)
    assert all(find_device(i).sim_key and not events(i) for i in devices)
    assert on_cleanup_index(changed)
    assert CheckpointItem.get(expiry.JOB_KEY).cursor == today
    # Its cost: one Query per slice probed (8 cleanup shards, 8 shards of today), one
    # SendMessageBatch per 10 messages, the checkpoint read, and per slice sent its lease
    # (a GetItem and a PutItem); no other write.
    assert calls["Query"] == report["slices_probed"] == 16
    assert calls["SendMessageBatch"] == 1
    assert calls["PutItem"] == calls["GetItem"] - 1 == len(expected)
    assert not {"TransactWriteItems", "UpdateItem", "DeleteItem", "BatchWriteItem"} & set(calls)


def test_draining_the_queue_gives_the_same_outcome_as_one_unconfigured_run(running, set_env, monkeypatch):
    clock.freeze()  # so both scenarios' times compare exactly
    alone = scenario()
    single = invoke(running)
    assert single["finished"] and not single.get("fanout")
    expected = outcome(alone)

    fanned = scenario()
    fan_out(set_env)
    coordinated = invoke(running)
    reports = [deliver(running, json.dumps(m))[0] for m in queued()]
    clear_queue()

    assert outcome(fanned) == expected
    assert expected["hour"][0] == "expired" and expected["changed_hands"][4][0][1] is not None
    for count in ("expired", "tidied", "devices_awaiting_recovery", "devices_kept"):
        assert sum(r[count] for r in reports) == single[count], count
    assert single["expired"] == 3 and single["tidied"] == 3
    assert coordinated["slices_sent"] == len(reports) >= 4
    assert all(r["finished"] and not r["sent_back"] for r in reports)
    # The next coordinator run finds every slice empty.
    assert invoke(running)["slices_sent"] == 0


def test_the_local_driver_drains_the_slices(running, driver, set_env):
    numbers = [sim_expiring_in(HOUR)[0] for _ in range(5)]
    imeis = [device_on(n) for n in numbers]
    clock.advance(2 * HOUR)
    fan_out(set_env)

    sent = invoke(running)["slices_sent"]
    assert driver.slices() == {"slices": sent, "failed": 0}

    assert all(SimModel.get(n).status == "expired" for n in numbers)
    assert all(find_device(i).awaiting_recovery and len(events(i)) == 1 for i in imeis)


def test_a_slice_delivered_twice_changes_nothing(running, set_env):
    msisdn, _ = sim_expiring_in(HOUR)
    imeis = [device_on(msisdn) for _ in range(3)]
    clock.advance(2 * HOUR)
    fan_out(set_env)
    invoke(running)
    (message,) = queued()
    clear_queue()
    body = json.dumps(message)

    (first,) = deliver(running, body)
    versions = [find_device(i).version for i in imeis]
    sim_version = SimModel.get(msisdn).version
    (second,) = deliver(running, body)

    assert first["expired"] == 1 and first["devices_awaiting_recovery"] == 3
    assert second["expired"] == 0 and second["devices_awaiting_recovery"] == 0
    assert second["failures"] == 0 and second["finished"]
    assert [find_device(i).version for i in imeis] == versions
    assert SimModel.get(msisdn).version == sim_version
    assert all(len(events(i)) == 1 for i in imeis)
    assert queued() == []


def test_a_stale_index_copy_delivered_again_is_refused_by_the_write_condition(running, set_env):
    """By the eventually consistent index a second delivery may still see the SIM active:
    the conditioned write loses, the SIM is read again, and nothing is written twice."""
    msisdn, _ = sim_expiring_in(HOUR)
    imei = device_on(msisdn)
    clock.advance(2 * HOUR)
    stale = SimModel.get(msisdn)
    (first,) = deliver(running, json.dumps(slice_of(msisdn)))
    assert first["expired"] == 1
    report = expiry_sims.Report()
    expiry_sims.expire_one(stale, clock.now(), clock.now() + 60, report, Outcome())

    assert report.expired == 0 and report.failures == 0
    assert len(events(imei)) == 1


def test_a_worker_out_of_time_puts_its_slice_back_and_the_next_delivery_finishes_it(
    running, driver, set_env, monkeypatch
):
    # One slice of 12 SIMs, worked by one thread whose every transaction takes 2 s: a
    # Lambda with 20 s left stops starting SIMs 4 s before its end (a fifth of what is left).
    mine = []
    for _ in range(12):
        msisdn = number_on_shard(3)
        sim_records.operator_update(msisdn, ids.national_id(), "active", clock.now() + HOUR)
        mine.append(msisdn)
    imeis = [device_on(n) for n in mine]
    clock.advance(2 * HOUR)
    piece = slice_of(mine[0])
    assert all(slice_of(n) == piece for n in mine)
    set_env(EXPIRY_WORKERS=1)
    slow_transactions(monkeypatch, 2)
    (first,) = deliver(running, json.dumps(piece), seconds=20)
    monkeypatch.undo()

    done = [n for n in mine if SimModel.get(n).status == "expired"]
    assert first["sent_back"] and not first["finished"]
    assert 0 < first["expired"] == len(done) < len(mine)
    assert queued() == [piece]
    # Its worker holds it: the hourly coordinator does not send it a second time.
    fan_out(set_env)
    coordinated = invoke(running)
    assert coordinated["expiry_slices"] == coordinated["slices_held"] == 1
    assert coordinated["slices_sent"] == 0 and queued() == [piece]
    # The next delivery (the local driver here, as Lambda's poller on AWS) finishes it.
    assert driver.slices() == {"slices": 1, "failed": 0}
    assert all(SimModel.get(n).status == "expired" for n in mine)
    assert all(len(events(i)) == 1 and find_device(i).awaiting_recovery for i in imeis)
    assert queued() == []
    # Finished, the slice is let go: a SIM expiring later in it is handed out next hour.
    late = number_on_shard(3)
    sim_records.operator_update(late, ids.national_id(), "active", clock.now() + 60)
    clock.advance(HOUR)
    assert invoke(running)["slices_sent"] == 1


def test_the_checkpoint_moves_only_once_a_days_slices_are_empty(running, driver, set_env):
    today = sim_records.expiry_day(clock.now())
    numbers = [sim_expiring_in(HOUR)[0] for _ in range(4)]
    for n in numbers:
        device_on(n)
    clock.advance(2 * DAY)  # their day is over and final
    fan_out(set_env)

    first = invoke(running)
    assert first["slices_sent"] >= 1 and first["days_done"] == 0
    assert CheckpointItem.get(expiry.JOB_KEY).cursor == today

    # A slice left undone (a lost delivery, a throttled worker) keeps the checkpoint back.
    sqs = bulk.client("sqs")
    url = bulk.queue_url(settings.EXPIRY_QUEUE)
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=left["ReceiptHandle"])
    driver.slices()
    second = invoke(running)
    assert second["slices_held"] == 1 and second["slices_sent"] == 0 and second["days_done"] == 0
    # Its lease runs out (no worker renewed it): the slice is sent again.
    clock.advance(expiry_fanout.LEASE_SECONDS)
    third = invoke(running)
    assert third["slices_sent"] == 1 and third["days_done"] == 0
    assert queued() == [json.loads(left["Body"])]
    assert CheckpointItem.get(expiry.JOB_KEY).cursor == today

    driver.slices()
    last = invoke(running)
    assert last["slices_sent"] == 0 and last["days_done"] == 2
    assert CheckpointItem.get(expiry.JOB_KEY).cursor == sim_records.expiry_day(clock.now())
    assert all(SimModel.get(n).status == "expired" for n in numbers)


def test_a_day_not_yet_final_keeps_the_checkpoint_even_when_empty(running, set_env):
    fan_out(set_env)
    clock.advance(DAY - clock.now() % DAY + 10)  # just past midnight: yesterday not final yet
    yesterday = sim_records.expiry_day(clock.now() - 60)

    report = invoke(running)

    assert report["slices_sent"] == 0 and report["days_done"] == 0
    assert CheckpointItem.get(expiry.JOB_KEY).cursor == yesterday
    clock.advance(runtime.DAY_GRACE_SECONDS)
    assert invoke(running)["days_done"] == 1


def test_a_malformed_message_fails_its_delivery_and_ends_in_the_dead_letter_queue(running, driver):
    sqs = bulk.client("sqs")
    bad = json.dumps({"job": "expire_sims", "slice": "expiry", "day": "x", "shard": 1})
    sqs.send_message(QueueUrl=bulk.queue_url(settings.EXPIRY_QUEUE), MessageBody=bad)

    assert driver.slices() == {"slices": 0, "failed": bulk.MAX_RECEIVES}
    dead = sqs.receive_message(QueueUrl=bulk.queue_url(settings.EXPIRY_DLQ)).get("Messages", [])
    assert [m["Body"] for m in dead] == [bad]


def test_fanout_off_is_the_default_and_a_wrong_value_is_refused(set_env):
    assert settings.EXPIRY_FANOUT == "off"
    set_env(EXPIRY_FANOUT="yes")
    with pytest.raises(RuntimeError, match="EXPIRY_FANOUT"):
        settings.check_startup()


def test_the_worker_lambda_is_wired_to_the_slices_queue(app):
    sources = {s.name: s for s in app.event_sources}
    assert sources["expire_slice"].queue == settings.EXPIRY_QUEUE
    assert sources["expire_slice"].batch_size == 1


def test_slices_go_ten_to_a_sendmessagebatch(running, set_env):
    # Two days' backlog with a SIM on every shard: 16 slices, two calls.
    for offset in (HOUR, DAY + HOUR):
        for shard in range(EXPIRY_SHARDS):
            sim_records.operator_update(number_on_shard(shard), ids.national_id(), "active",
                                        clock.now() + offset)
    clock.advance(2 * DAY)
    fan_out(set_env)

    with count_calls() as calls:
        report = invoke(running)

    assert report["expiry_slices"] == report["slices_sent"] == 2 * EXPIRY_SHARDS
    assert calls["SendMessageBatch"] == 2 and len(queued()) == 2 * EXPIRY_SHARDS


@pytest.mark.parametrize("stage", ("dev", "prod"))
def test_the_slices_queue_its_dead_letters_and_the_worker_are_deployed(stage):
    from tests.deployment import CONFIG, TEMPLATE, load

    resources = TEMPLATE["Resources"]
    queue = resources["ExpirySlicesQueue"]["Properties"]
    assert queue["QueueName"] == {"Fn::Sub": "hamta-${Stage}-expiry-slices"}
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["ExpirySlicesDeadLetterQueue", "Arn"]},
        "maxReceiveCount": bulk.MAX_RECEIVES,
    }
    assert resources["ExpirySlicesDeadLetterQueue"]["Properties"]["QueueName"] == {
        "Fn::Sub": "hamta-${Stage}-expiry-slices-dlq"}
    worker = CONFIG["stages"][stage]["lambda_functions"]["expire_slice"]
    # SQS hands a slice out again only after its worker's Lambda limit; the worker stops
    # well before that limit and puts the slice back itself.
    assert queue["VisibilityTimeout"] >= worker["lambda_timeout"] >= settings.EXPIRY_TIME_BUDGET_SECONDS + 60
    assert resources["ExpireSlice"]["Properties"]["ReservedConcurrentExecutions"] == {
        "Ref": "ExpiryWorkerConcurrency"}
    assert CONFIG["stages"][stage]["environment_variables"]["EXPIRY_FANOUT"] == "on"
    assert "EXPIRY_FANOUT" not in CONFIG["stages"]["local"]["environment_variables"]
    statement = next(s for s in load(".chalice", f"policy-{stage}.json")["Statement"]
                     if s.get("Sid") == "ExpirySlices")
    assert statement["Resource"] == f"arn:aws:sqs:*:*:hamta-{stage}-expiry-slices"
    assert {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"} <= set(statement["Action"])
