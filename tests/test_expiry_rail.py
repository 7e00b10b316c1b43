"""The expiry rail (API.md "Scheduled job", docs/rails.md): an operator feed expiring more
than EXPIRY_RAIL_MAX_SIMS SIMs holds the run, in the one-run path and in the fan-out,
detaching none, until a person releases it; reads treat the SIMs as expired at once."""
from __future__ import annotations

import json

import pytest

from chalicelib import clock
from chalicelib.services.sims import sim_records
from chalicelib.store.challenges import CheckpointItem
from chalicelib.store.devices import find_device
from chalicelib.store.sims import SimModel
from scripts import release_rail
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
    one_aws_call_at_a_time,
    queued,
    running,
    sim_expiring_in,
)

LIMIT = 3  # EXPIRY_RAIL_MAX_SIMS, scaled down from 200,000
# The slices queue is SQS's: it must hold only this test's messages (the fan-out's tests
# leave theirs there when they run before these on the same worker).
pytestmark = pytest.mark.fresh_backend


def a_feed_gone_wrong(expiring: int) -> tuple[list[str], list[str], str]:
    """`expiring` SIMs whose expiry passed, each with a device in its SIM cartable, and
    one number that changed hands: expiring + 1 SIMs to detach. (numbers, imeis, changed)"""
    numbers = [sim_expiring_in(HOUR)[0] for _ in range(expiring)]
    imeis = [device_on(n) for n in numbers]
    changed = sim_expiring_in(30 * DAY)[0]
    imeis.append(device_on(changed))
    sim_records.operator_update(changed, ids.national_id(), "active", clock.now() + 30 * DAY)
    clock.advance(2 * HOUR)
    return numbers, imeis, changed


def assert_nothing_detached(numbers, imeis):
    assert all(SimModel.get(n, consistent_read=True).status == "active" for n in numbers)
    assert all(find_device(i).sim_key and not events(i) for i in imeis)
    # Reads do not wait for the job: those SIMs are expired (not live) at once.
    assert not any(sim_records.is_live(SimModel.get(n), clock.now()) for n in numbers)


def alarms(capsys) -> list[dict]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    return [line for line in lines if line.get("ExpiryRailHeld") == 1]


def rail_allow() -> float | None:
    return CheckpointItem.get("job#expire_sims", consistent_read=True).rail_allow


def test_a_run_finding_more_than_the_rail_detaches_none_until_a_person_releases_it(running, set_env, capsys):
    set_env(EXPIRY_RAIL_MAX_SIMS=LIMIT)
    numbers, imeis, changed = a_feed_gone_wrong(LIMIT)
    capsys.readouterr()

    report = invoke(running)

    assert report["rail_held"] and not report["finished"] and report["to_detach"] == LIMIT + 1
    assert report["expired"] == report["tidied"] == 0
    assert f"would detach {LIMIT + 1} SIMs, over EXPIRY_RAIL_MAX_SIMS={LIMIT}" in report["rail"]
    assert_nothing_detached(numbers, imeis)
    assert len(alarms(capsys)) == 1
    # It waits: the next run holds too, and so does a release below the figure.
    assert invoke(running)["rail_held"]
    release_rail.main(["expire_sims", "--allow", str(LIMIT)])
    assert invoke(running)["rail_held"]
    assert_nothing_detached(numbers, imeis)

    release_rail.main(["expire_sims", "--allow", str(LIMIT + 1)])
    report = invoke(running)

    assert not report["rail_held"] and report["expired"] == LIMIT and report["tidied"] == 1
    assert all(find_device(i).awaiting_recovery for i in imeis)
    assert rail_allow() == LIMIT + 1  # still the person's, until a run finds the work done
    assert invoke(running)["to_detach"] == 0 and rail_allow() is None
    # The release was for that work only: the next feed gone wrong is held again.
    a_feed_gone_wrong(LIMIT)
    assert invoke(running)["rail_held"]


def test_the_fanout_coordinator_counts_before_it_hands_out_a_slice(running, set_env, capsys):
    set_env(EXPIRY_RAIL_MAX_SIMS=LIMIT)
    numbers, imeis, changed = a_feed_gone_wrong(LIMIT)
    fan_out(set_env)
    capsys.readouterr()

    report = invoke(running)

    assert report["fanout"] and report["rail_held"] and report["to_detach"] == LIMIT + 1
    assert report["slices_sent"] == 0 and queued() == []
    assert_nothing_detached(numbers, imeis)
    assert len(alarms(capsys)) == 1

    release_rail.main(["expire_sims", "--allow", str(LIMIT + 1)])
    report = invoke(running)
    assert not report["rail_held"] and report["slices_sent"] >= 2
    worked = [deliver(running, json.dumps(m))[0] for m in queued()]
    clear_queue()

    assert sum(r["expired"] for r in worked) == LIMIT and sum(r["tidied"] for r in worked) == 1
    assert all(find_device(i).awaiting_recovery for i in imeis)
    assert invoke(running)["slices_sent"] == 0 and rail_allow() is None


def test_up_to_the_rail_a_run_goes_ahead_unasked(running, set_env):
    set_env(EXPIRY_RAIL_MAX_SIMS=LIMIT + 1)
    numbers, imeis, _ = a_feed_gone_wrong(LIMIT)

    report = invoke(running)

    assert not report["rail_held"] and report["expired"] == LIMIT and report["tidied"] == 1
