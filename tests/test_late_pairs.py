"""Every pair is enforced however late it arrived, and never without a warning in time
(API.md "Network enforcement"): the cut-off a warning states is never sooner than
ENFORCEMENT_MIN_NOTICE_SECONDS after it went out, and the block follows that instant."""
from __future__ import annotations

import pytest

from chalicelib import clock
from chalicelib.services.network import enforcement
from chalicelib.sms import jalali_time
from chalicelib.store.challenges import CheckpointItem
from testkit import ids
from tests.conftest import OPERATOR_KEY
from tests.enforcement_flows import WARNING, observe, texts
from tests.flows import break_sns

HOUR, DAY = 3600, 86400


def at_six_utc() -> None:
    clock.advance(DAY - clock.now() % DAY + 6 * HOUR)


def blocks(api) -> set[tuple[str, str]]:
    status, data, _ = api.get("/operator/enforcement?limit=500", token=OPERATOR_KEY)
    return {(e["imei"], e["msisdn"]) for e in data["entries"] if e["action"] == "block"}


def stated(cutoff: float) -> str:
    """How a warning states its cut-off: 'تا تاریخ YYYY/MM/DD ساعت HH:MM' (Tehran)."""
    day, hour = jalali_time(cutoff).split(" ")
    return f"تا تاریخ {day} ساعت {hour}"


@pytest.mark.parametrize("days_late", [1, 3])
def test_pairs_arriving_days_late_are_enforced_by_the_next_run(api, set_env, days_late):
    set_env(ENFORCEMENT_GRACE_SECONDS=HOUR, ENFORCEMENT_MIN_NOTICE_SECONDS=600)
    at_six_utc()
    enforcement.run()  # enforce has run daily: its checkpoint is at today
    today = enforcement.runtime.day_of(clock.now())
    assert CheckpointItem.get(enforcement.JOB_KEY).cursor == today
    now = int(clock.now())
    late = [(ids.imei(), ids.msisdn(), now - days_late * DAY - k * HOUR) for k in range(3)]

    assert observe(api, *late)[1]["accepted"] == 3
    for _, msisdn, _ in late:  # told a cut-off in time, never one long gone
        (text,) = texts(msisdn, WARNING)
        assert stated(now + 600) in text
    clock.advance(599)
    assert enforcement.run()["blocked"] == 0  # not before the instant they were told
    clock.advance(2)
    report = enforcement.run()

    assert report["blocked"] == 3
    assert blocks(api) == {(i, m) for i, m, _ in late}


def test_a_warning_held_back_is_sent_later_and_its_cut_off_counts_from_then(api, set_env):
    set_env(ENFORCEMENT_GRACE_SECONDS=3 * DAY, ENFORCEMENT_MIN_NOTICE_SECONDS=2 * DAY)
    at_six_utc()
    imei, msisdn = ids.imei(), ids.msisdn()
    seen = int(clock.now()) - 60
    with pytest.MonkeyPatch.context() as sms_down:
        break_sns(sms_down)
        assert observe(api, (imei, msisdn, seen))[1]["accepted"] == 1
    assert texts(msisdn, WARNING) == []  # held back: the pair waits unwarned

    clock.advance(2 * DAY)  # the next sighting sends it, two days later
    observe(api, (imei, msisdn, int(clock.now())))
    (text,) = texts(msisdn, WARNING)
    sent = clock.now()
    assert stated(sent + 2 * DAY) in text and stated(seen + 3 * DAY) not in text

    clock.advance(DAY + HOUR)  # past seen_at + grace, not past what the person was told
    assert enforcement.run()["blocked"] == 0
    clock.advance(DAY)
    assert enforcement.run()["blocked"] == 1
    assert blocks(api) == {(imei, msisdn)}


def test_a_warning_the_job_sends_late_moves_the_block_to_its_cut_off(api, set_env):
    set_env(ENFORCEMENT_GRACE_SECONDS=HOUR, ENFORCEMENT_MIN_NOTICE_SECONDS=DAY)
    at_six_utc()
    imei, msisdn = ids.imei(), ids.msisdn()
    with pytest.MonkeyPatch.context() as sms_down:
        break_sns(sms_down)
        observe(api, (imei, msisdn))
        clock.advance(DAY + HOUR)
        held = enforcement.run()  # due, but never warned: tried again, held back again
    assert held["blocked"] == 0 and held["warnings_held"] == 1 and texts(msisdn, WARNING) == []

    clock.advance(HOUR)
    report = enforcement.run()
    (text,) = texts(msisdn, WARNING)

    assert report["warned_late"] == 1 and report["blocked"] == 0
    assert stated(clock.now() + DAY) in text
    clock.advance(DAY + 60)
    assert enforcement.run()["blocked"] == 1
