"""POST /operator/observations: what the networks saw, judged by API.md's rules."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import clock, settings
from chalicelib.sms import jalali_date
from chalicelib.identifiers import to_e164
from testkit import ids
from tests.conftest import OPERATOR_KEY, REGISTRAR_KEY, sms_sent
from tests.enforcement_flows import (
    BLOCKED_SEEN,
    DUPLICATE,
    WARNING,
    activated_on_sim,
    block,
    in_nid_cartable,
    observe,
    texts,
)
from tests.flows import break_sns, messages_to

DAY = 86400
TEHRAN = timezone(timedelta(hours=3, minutes=30))


def test_only_the_operators_key(api):
    row = (ids.imei(), ids.msisdn())
    assert observe(api, row, token=None)[0] == 401
    assert observe(api, row, token="nope")[0] == 401
    status, data, _ = observe(api, row, token=REGISTRAR_KEY)
    assert (status, data["error"]["code"]) == (403, "forbidden")


def test_malformed_rows_are_rejected_by_index_and_the_others_kept(api):
    good_imei, good_msisdn = ids.imei(), ids.msisdn()
    now = int(clock.now())
    rows = [
        {"imei": good_imei, "msisdn": good_msisdn, "seen_at": now - 10},
        {"imei": "123456789012345", "msisdn": ids.msisdn(), "seen_at": now},  # bad Luhn
        {"imei": ids.imei(), "msisdn": "02112345678", "seen_at": now},
        {"imei": ids.imei(), "msisdn": ids.msisdn(), "seen_at": "yesterday"},
        {"imei": ids.imei(), "msisdn": ids.msisdn(), "seen_at": now + 3600},  # the future
        {"imei": ids.imei(), "msisdn": ids.msisdn()},  # missing field
        {"imei": ids.imei(), "msisdn": ids.msisdn(), "seen_at": now, "cell": "x"},
        "not an object",
        {"imei": ids.imei(), "msisdn": ids.msisdn(), "seen_at": True},
        {"imei": "\udc00", "msisdn": ids.msisdn(), "seen_at": now},
        # Persian digits and an ISO instant are fine.
        {"imei": "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] for c in ids.imei()), "msisdn": "+98 912 000 1234",
         "seen_at": datetime.fromtimestamp(now - 3600, TEHRAN).isoformat()},
    ]
    status, data, _ = api.post("/operator/observations", {"observations": rows}, token="operator-test-key")
    assert status == 202
    assert data["accepted"] == 2
    assert data["rejected"] == [
        {"index": 1, "code": "invalid_imei"},
        {"index": 2, "code": "invalid_msisdn"},
        {"index": 3, "code": "invalid_request"},
        {"index": 4, "code": "invalid_seen_at"},
        {"index": 5, "code": "invalid_request"},
        {"index": 6, "code": "invalid_request"},
        {"index": 7, "code": "invalid_request"},
        {"index": 8, "code": "invalid_request"},
        {"index": 9, "code": "invalid_imei"},
    ]
    assert len(texts(good_msisdn, WARNING)) == 1  # the good row was judged


@pytest.mark.parametrize("body", [
    {}, {"observations": "x"}, {"observations": [], "extra": 1}, [],
])
def test_a_malformed_body_is_invalid_request(api, body):
    status, data, _ = api.post("/operator/observations", body, token="operator-test-key")
    assert (status, data["error"]["code"]) == (400, "invalid_request")


def test_at_most_1000_rows_a_request(api, monkeypatch):
    from chalicelib.services.network import observations

    now = int(clock.now())
    # API.md's figure, with rows that cost nothing to judge (malformed, but each counts).
    cheap = [{"imei": ids.imei(), "msisdn": "not-a-number", "seen_at": now} for _ in range(1001)]
    status, data, _ = api.post("/operator/observations", {"observations": cheap}, token=OPERATOR_KEY)
    assert (status, data["error"]["code"], data["error"]["field"]) == (400, "invalid_request", "observations")
    status, data, _ = api.post("/operator/observations", {"observations": cheap[:1000]}, token=OPERATOR_KEY)
    assert (status, data["accepted"], len(data["rejected"])) == (202, 0, 1000)
    # Rows that are all judged, at a smaller scale (judging 1000 new pairs takes a minute).
    monkeypatch.setattr(observations, "MAX_ROWS", 10)
    rows = [{"imei": ids.imei(), "msisdn": ids.msisdn(), "seen_at": now} for _ in range(11)]
    status, data, _ = api.post("/operator/observations", {"observations": rows}, token=OPERATOR_KEY)
    assert (status, data["error"]["code"], data["error"]["field"]) == (400, "invalid_request", "observations")
    status, data, _ = api.post("/operator/observations", {"observations": rows[:10]}, token=OPERATOR_KEY)
    assert status == 202 and data == {"accepted": 10, "rejected": []}


def test_an_unregistered_phone_warns_its_sim_once_with_the_jalali_cutoff(api):
    imei, msisdn = ids.imei(), ids.msisdn()
    seen_at = int(clock.now()) - 3600
    assert observe(api, (imei, msisdn, seen_at))[0] == 202
    (text,) = texts(msisdn, WARNING)
    assert jalali_date(seen_at + settings.ENFORCEMENT_GRACE_SECONDS) in text
    assert imei in text and "ثبت نشده" in text
    # Seen again (the next day's dump, or the same batch sent twice): no second warning.
    observe(api, (imei, msisdn, seen_at + 60))
    clock.advance(DAY)
    observe(api, (imei, msisdn, int(clock.now())))
    assert len(texts(msisdn, WARNING)) == 1


def test_a_registered_phone_not_activated_on_that_sim_warns_too(api):
    imei = ids.imei()
    api.register_device(imei)  # registered, in no cartable
    msisdn = ids.msisdn()
    observe(api, (imei, msisdn))
    (text,) = texts(msisdn, WARNING)
    assert "فعال نشده" in text


def test_a_phone_in_a_cartable_on_another_sim_warns_this_sim(api):
    imei, _ = activated_on_sim(api)
    other = ids.msisdn()
    observe(api, (imei, other))
    assert len(texts(other, WARNING)) == 1


def test_a_phone_activated_on_that_sims_cartable_is_left_alone(api):
    imei, msisdn = activated_on_sim(api)
    nid_imei, nid_msisdn, _ = in_nid_cartable(api)
    before = len(sms_sent())
    assert observe(api, (imei, msisdn), (nid_imei, nid_msisdn))[1]["accepted"] == 2
    assert len(sms_sent()) == before


def test_either_imei_of_a_dual_imei_phone_counts(api):
    from tests.flows import new_sim_cartable, own_device

    msisdn, _, token = new_sim_cartable(api)
    imei, imei2, _ = own_device(api, token, dual=True)
    before = len(sms_sent())
    observe(api, (imei2, msisdn))
    assert len(sms_sent()) == before


def test_a_blocked_phone_seen_tells_its_owner_at_most_daily_and_never_which_sim(api):
    imei, owner_msisdn, nid = in_nid_cartable(api)
    block(imei)
    thief = ids.msisdn()
    seen_at = int(clock.now()) - 120
    observe(api, (imei, thief, seen_at))
    (text,) = texts(owner_msisdn, BLOCKED_SEEN)
    assert imei in text and thief not in text and thief[-4:] not in text
    assert texts(thief, WARNING) == []  # a blocked phone is blocked on every SIM already
    observe(api, (imei, ids.msisdn()))
    clock.advance(DAY - 60)
    observe(api, (imei, thief))
    assert len(texts(owner_msisdn, BLOCKED_SEEN)) == 1
    clock.advance(120)
    observe(api, (imei, thief, int(clock.now())))
    assert len(texts(owner_msisdn, BLOCKED_SEEN)) == 2


def test_a_blocked_phone_in_a_sim_cartable_tells_that_sim(api):
    imei, msisdn = activated_on_sim(api)
    block(imei)
    observe(api, (imei, ids.msisdn()))
    assert len(texts(msisdn, BLOCKED_SEEN)) == 1


def test_more_than_the_duplicate_limit_of_sims_in_24h_flags_the_imei_and_tells_the_owner(api, set_env):
    set_env(DUPLICATE_MAX_SIMS=3)
    imei, owner = activated_on_sim(api)
    assert "flags" not in api.get(f"/imei/{imei}")[1]
    now = int(clock.now())
    observe(api, *[(imei, ids.msisdn(), now - 3600 * k) for k in range(3)])  # 3 SIMs: fine
    assert "flags" not in api.get(f"/imei/{imei}")[1]
    assert texts(owner, DUPLICATE) == []
    observe(api, (imei, ids.msisdn(), now))  # the 4th within 24 h
    assert api.get(f"/imei/{imei}")[1]["flags"] == ["duplicate"]
    assert len(texts(owner, DUPLICATE)) == 1
    observe(api, (imei, ids.msisdn(), now))
    assert len(texts(owner, DUPLICATE)) == 1  # told once


def test_sims_spread_over_days_are_no_duplicate(api, set_env):
    set_env(DUPLICATE_MAX_SIMS=2)
    imei = ids.imei()
    for _ in range(4):
        observe(api, (imei, ids.msisdn(), int(clock.now())))
        clock.advance(DAY)
    assert "flags" not in api.get(f"/imei/{imei}")[1]


def test_an_unregistered_clone_is_flagged_in_the_inquiry(api, set_env):
    set_env(DUPLICATE_MAX_SIMS=2)
    imei = ids.imei()
    observe(api, *[(imei, ids.msisdn()) for _ in range(3)])
    data = api.get(f"/imei/{imei}")[1]
    assert data["status"] == "not_registered" and data["flags"] == ["duplicate"]


def test_a_warning_the_sms_provider_refused_is_sent_on_the_next_sighting(api, monkeypatch):
    imei, msisdn = ids.imei(), ids.msisdn()
    tried = break_sns(monkeypatch)
    status, data, _ = observe(api, (imei, msisdn))
    assert status == 202 and data["accepted"] == 1 and tried == [to_e164(msisdn)]
    monkeypatch.undo()
    observe(api, (imei, msisdn))
    assert len(texts(msisdn, WARNING)) == 1
    observe(api, (imei, msisdn))
    assert len(texts(msisdn, WARNING)) == 1


def test_repeated_pairs_cost_reads_only(api):
    from testkit.calls import count_calls

    rows = [(ids.imei(), ids.msisdn()) for _ in range(50)]
    observe(api, *rows)
    with count_calls() as calls:
        assert observe(api, *rows)[0] == 202
    writes = {"PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems", "Publish"}
    assert not writes & set(calls), dict(calls)


def test_a_replaced_imei_seen_gets_no_per_sim_warning(api):
    from chalicelib.store.devices import find_device

    imei, _ = activated_on_sim(api)
    device = find_device(imei)
    device.state = "replaced"  # as a repair leaves the old IMEI (another branch's route)
    device.save()
    other = ids.msisdn()
    assert observe(api, (imei, other))[1]["accepted"] == 1
    assert messages_to(other) == []


def test_seen_at_more_than_5_minutes_ahead_or_too_old_is_invalid_seen_at(api, set_env):
    set_env(OBSERVATION_MAX_AGE_SECONDS=2 * DAY)
    now = int(clock.now())
    ages = [-301, -299, 0, 2 * DAY - 60, 2 * DAY + 60, 400 * DAY]  # seconds before now
    rows = [(ids.imei(), ids.msisdn(), now - age) for age in ages]
    rows.append((ids.imei(), ids.msisdn(), datetime.fromtimestamp(now - 3 * DAY, TEHRAN).isoformat()))
    rows.append((ids.imei(), ids.msisdn(), datetime.fromtimestamp(now + 3600, timezone.utc).isoformat()))
    status, data, _ = observe(api, *rows)
    assert status == 202 and data["accepted"] == 3
    assert data["rejected"] == [{"index": i, "code": "invalid_seen_at"} for i in (0, 4, 5, 6, 7)]
    # No warning for a rejected row, and none naming a past cut-off for a kept one.
    assert [len(texts(r[1], WARNING)) for r in rows] == [0, 1, 1, 1, 0, 0, 0, 0]


def test_a_5000_digit_number_or_a_wrong_type_is_rejected_alone(api):
    now = int(clock.now())
    good = [(ids.imei(), ids.msisdn()) for _ in range(2)]
    huge = "9" * 5000
    bad_rows = [
        f'{{"imei": {huge}, "msisdn": "{ids.msisdn()}", "seen_at": {now}}}',
        f'{{"imei": "{ids.imei()}", "msisdn": {huge}, "seen_at": {now}}}',
        f'{{"imei": "{ids.imei()}", "msisdn": "{ids.msisdn()}", "seen_at": {huge}}}',
        f'{{"imei": "{ids.imei()}", "msisdn": "{ids.msisdn()}", "seen_at": -{huge}}}',
        f'{{"imei": "{ids.imei()}", "msisdn": "{ids.msisdn()}", "seen_at": {huge}.5}}',
        f'{{"imei": "{huge}", "msisdn": "{ids.msisdn()}", "seen_at": {now}}}',
        f'{{"imei": "{ids.imei()}", "msisdn": "{ids.msisdn()}", "seen_at": "{huge}"}}',
        f'{{"imei": ["{ids.imei()}"], "msisdn": "{ids.msisdn()}", "seen_at": {now}}}',
        f'{{"imei": "{ids.imei()}", "msisdn": {{"n": 1}}, "seen_at": {now}}}',
        f'{{"imei": "{ids.imei()}", "msisdn": "{ids.msisdn()}", "seen_at": null}}',
        f'{{"imei": null, "msisdn": "{ids.msisdn()}", "seen_at": {now}}}',
        f'{{"imei": "{ids.imei()}", "msisdn": "{ids.msisdn()}", "seen_at": 1e999}}',
        f'[{huge}]',
        huge,
    ]
    rows = [json.dumps({"imei": imei, "msisdn": msisdn, "seen_at": now - 60}) for imei, msisdn in good]
    raw = '{"observations": [' + ", ".join([rows[0], *bad_rows, rows[1]]) + "]}"
    status, data, _ = api.post("/operator/observations", raw=raw, token="operator-test-key")
    assert status == 202, data
    assert data["accepted"] == 2
    assert [r["index"] for r in data["rejected"]] == list(range(1, len(bad_rows) + 1))
    assert {r["code"] for r in data["rejected"]} <= {"invalid_request", "invalid_imei", "invalid_msisdn",
                                                      "invalid_seen_at"}
    assert [len(texts(m, WARNING)) for _, m in good] == [1, 1]


def test_a_body_of_1000_long_rows_up_to_512_kib_is_taken(api):
    now = int(clock.now())
    rows = [{"imei": ids.imei(), "msisdn": "+98 912 " + "۰" * 7, "seen_at": f"{now - 60}"} for _ in range(1000)]
    raw = json.dumps({"observations": rows}, ensure_ascii=False)
    raw += " " * (500 * 1024 - len(raw.encode()))  # ~500 KiB, under the route's 512 KiB
    status, data, _ = api.post("/operator/observations", raw=raw, token="operator-test-key")
    assert status == 202 and data["accepted"] == 0 and len(data["rejected"]) == 1000
    status, data, _ = api.post("/operator/observations", raw=raw + " " * (13 * 1024), token="operator-test-key")
    assert (status, data["error"]["code"]) == (400, "invalid_request")
