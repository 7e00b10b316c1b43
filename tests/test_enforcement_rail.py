"""The enforcement rail per operator (API.md "Network enforcement", docs/rails.md): a late
pair counts toward its operator's share (no bypass), one operator's junk holds only that
operator's blocks (no jam), and a person releases a held operator for one run."""
from __future__ import annotations

import json

from chalicelib import clock, settings
from chalicelib.services.network import enforcement
from chalicelib.services.registry.partners import provision_key
from chalicelib.store.challenges import CheckpointItem
from scripts import release_rail
from testkit import ids
from tests.conftest import OPERATOR_KEY
from tests.enforcement_flows import observe
from tests.flows import new_sim_cartable

HOUR, DAY = 3600, 86400
OTHER_KEY = "operator-two-test-key"


def entries(api) -> list[dict]:
    status, data, _ = api.get("/operator/enforcement?limit=500", token=OPERATOR_KEY)
    assert status == 200
    return data["entries"]


def blocked_imeis(api) -> set[str]:
    return {e["imei"] for e in entries(api) if e["action"] == "block"}


def alarms(capsys) -> list[dict]:
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    return [line for line in lines if line.get("EnforcementRailHeld") == 1]


def at_six_utc() -> None:
    clock.advance(DAY - clock.now() % DAY + 6 * HOUR)


def junk(count: int) -> list[tuple[str, str]]:
    return [(ids.imei(), ids.msisdn()) for _ in range(count)]


def test_late_pairs_due_before_an_approved_run_still_count_toward_the_rail(api, set_env):
    set_env(ENFORCEMENT_GRACE_SECONDS=HOUR, ENFORCEMENT_MIN_NOTICE_SECONDS=0,
            ENFORCEMENT_RAIL_MIN_PAIRS=4, ENFORCEMENT_MAX_BLOCK_PERCENT=50)
    at_six_utc()
    first = junk(1)
    observe(api, *[(i, m, int(clock.now()) - 2 * HOUR) for i, m in first])
    clock.advance(60)
    approved_at = clock.now()
    assert enforcement.run()["blocked"] == 1  # too few pairs for a share: approved
    clock.advance(HOUR)

    # Seen before that approved run, reported after it: due "before approved_until".
    late = junk(6)
    observe(api, *[(i, m, int(approved_at) - 2 * HOUR) for i, m in late])
    clock.advance(60)
    report = enforcement.run()

    assert report["rail_tripped"] and report["blocked"] == 0 and report["judged"] == 6
    assert "would block 6 of 6" in report["rail"]
    assert blocked_imeis(api) == {i for i, _ in first}


def test_one_operators_junk_holds_only_its_own_blocks(api, set_env, capsys):
    set_env(ENFORCEMENT_GRACE_SECONDS=HOUR, ENFORCEMENT_MIN_NOTICE_SECONDS=HOUR,
            ENFORCEMENT_RAIL_MIN_PAIRS=4, ENFORCEMENT_MAX_BLOCK_PERCENT=50)
    provision_key("operator", OTHER_KEY, name="op2")
    at_six_utc()
    batch = junk(5)
    observe(api, *batch)  # the first operator's bad batch: 5 of 5 would be blocked
    theirs = junk(2)
    fixed = []
    for _ in range(2):  # and two pairs the other operator saw, put right in their grace
        msisdn, _, token = new_sim_cartable(api)
        imei = ids.imei()
        code = api.register_device(imei)
        fixed.append((imei, msisdn, token, code))
    observe(api, *theirs, *[(i, m) for i, m, _, _ in fixed], token=OTHER_KEY)
    for imei, _, token, code in fixed:
        assert api.post("/devices/activate", {"imei": imei, "activation_code": code}, token=token)[0] == 201
    clock.advance(2 * HOUR)
    capsys.readouterr()

    report = enforcement.run()

    assert report["held_operators"] == ["operator"] and report["rail_tripped"]
    assert "operator operator: would block 5 of 5" in report["rail"]
    assert report["blocked"] == 2 and report["put_right"] == 2  # op2: 2 of 4, at the limit
    assert blocked_imeis(api) == {i for i, _ in theirs}
    (alarm,) = alarms(capsys)
    assert alarm["Stage"] == settings.STAGE and alarm["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Hamta"
    # The held operator waits for a person: the next run holds it again.
    again = enforcement.run()
    assert again["held_operators"] == ["operator"] and again["blocked"] == 0 and again["judged"] == 5

    release_rail.main(["enforce", "--operator", "operator", "--allow", "5"])
    released = enforcement.run()

    assert released["blocked"] == 5 and not released["rail_tripped"]
    assert blocked_imeis(api) == {i for i, _ in batch + theirs}
    assert CheckpointItem.get("job#enforce#operator#operator").rail_allow is None  # used once


def test_a_release_below_the_figure_holds_the_operator_still(api, set_env):
    set_env(ENFORCEMENT_GRACE_SECONDS=HOUR, ENFORCEMENT_MIN_NOTICE_SECONDS=HOUR,
            ENFORCEMENT_RAIL_MIN_PAIRS=4, ENFORCEMENT_MAX_BLOCK_PERCENT=50)
    at_six_utc()
    observe(api, *junk(5))
    clock.advance(2 * HOUR)
    release_rail.main(["enforce", "--operator", "operator", "--allow", "4"])

    report = enforcement.run()

    assert report["held_operators"] == ["operator"] and report["blocked"] == 0
    assert CheckpointItem.get("job#enforce#operator#operator").rail_allow == 4
