"""The bulk path end to end on moto: a gzip dump -> S3 -> split onto SQS -> workers, with
the same outcome as the HTTP batch; a dump processed twice changes nothing; a chunk that
keeps failing lands in the dead-letter queue; the safety rail trips on a crafted dump."""
from __future__ import annotations

import gzip
import json

import pytest

from chalicelib import bulk, clock, settings
from chalicelib.services import enforcement
from chalicelib.store.observations import ObservationModel
from scripts.local_bulk import BulkDriver
from tests import ids
from tests.conftest import OPERATOR_KEY, sms_sent
from tests.enforcement_flows import BLOCKED_SEEN, WARNING, activated_on_sim, block, observe, texts

# The dump bucket and the chunk queues (S3, SQS) must hold only this test's objects.
pytestmark = pytest.mark.fresh_backend

GRACE = 30 * 86400


@pytest.fixture
def driver(app, api):
    import app as app_module

    bulk.create_local_resources()
    return BulkDriver(app_module)


def put_dump(rows: list[tuple], name: str = "op1/2026-11-25", header: bool = True) -> str:
    lines = (["imei,msisdn,seen_at"] if header else []) + [",".join(str(x) for x in r) for r in rows]
    key = f"{bulk.DUMP_PREFIX}{name}{bulk.DUMP_SUFFIX}"
    bulk.client("s3").put_object(
        Bucket=settings.OBSERVATIONS_BUCKET, Key=key,
        Body=gzip.compress(("\n".join(lines) + "\n").encode()),
    )
    return key


def state(pairs) -> list:
    """What the registry keeps of each pair (minus the times of our own writes)."""
    out = []
    for imei, msisdn in pairs:
        try:
            item = ObservationModel.get(imei, msisdn, consistent_read=True)
        except ObservationModel.DoesNotExist:
            out.append(None)
            continue
        out.append((item.state, item.reason, item.grace_until, item.warned_at is not None))
    return out


def scenario(api):
    """A dump's worth of cases: unregistered, activated on its SIM, on another SIM, a
    blocked phone, a malformed row; (rows, pairs judged, owner of the blocked phone)."""
    now = int(clock.now()) - 60
    fine_imei, fine_sim = activated_on_sim(api)
    stolen, owner = activated_on_sim(api)
    block(stolen)
    rows = [
        (ids.imei(), ids.msisdn(), now),
        (fine_imei, fine_sim, now),
        (fine_imei, ids.msisdn(), now),
        (stolen, ids.msisdn(), now),
        ("123", ids.msisdn(), now),
    ]
    return rows, [(r[0], r[1]) for r in rows[:3]], owner


def test_a_dump_has_the_same_outcome_as_the_http_batch(api, driver, set_env):
    set_env(OBSERVATION_CHUNK_ROWS=2)  # several chunks from a small dump
    http_rows, http_pairs, http_owner = scenario(api)
    status, data, _ = observe(api, *http_rows)
    assert status == 202 and data["rejected"] == [{"index": 4, "code": "invalid_imei"}]
    dump_rows, dump_pairs, dump_owner = scenario(api)
    put_dump(dump_rows)

    done = driver.step()

    assert done == {"dumps": 1, "chunks": 3, "failed": 0}
    assert state(dump_pairs) == [
        (s, r, g - http_rows[0][2] + dump_rows[0][2] if g else g, w) if s else None
        for s, r, g, w in [x for x in state(http_pairs)]
    ]
    assert [len(texts(r[1], WARNING)) for r in dump_rows[:3]] == [1, 0, 1]
    assert len(texts(dump_owner, BLOCKED_SEEN)) == len(texts(http_owner, BLOCKED_SEEN)) == 1


def test_a_dump_processed_twice_changes_nothing(api, driver):
    rows = [(ids.imei(), ids.msisdn(), int(clock.now()) - 60) for _ in range(5)]
    key = put_dump(rows)
    driver.step()
    before, sent = state([r[:2] for r in rows]), len(sms_sent())

    # The same dump again: a re-split (S3's event retried), and its chunks delivered again.
    import app as app_module

    event = {"Records": [{"s3": {"bucket": {"name": settings.OBSERVATIONS_BUCKET}, "object": {"key": key}}}]}
    app_module.split_observations(event, None)
    assert driver.step()["chunks"] == 1
    # And the same rows in a new file (another ETag), below the chunk ledger.
    put_dump(rows, name="op1/again")
    assert driver.step()["chunks"] == 1

    assert state([r[:2] for r in rows]) == before and len(sms_sent()) == sent


def test_a_chunk_that_keeps_failing_goes_to_the_dead_letter_queue_and_loses_nothing(api, driver, monkeypatch):
    from chalicelib.services import observations

    rows = [(ids.imei(), ids.msisdn(), int(clock.now()) - 60) for _ in range(3)]
    put_dump(rows)

    def down(*args, **kwargs):
        raise RuntimeError("DynamoDB is down")

    monkeypatch.setattr(observations, "record", down)
    done = driver.step()
    assert done["chunks"] == 0 and done["failed"] == bulk.MAX_RECEIVES
    sqs = bulk.client("sqs")
    dead = sqs.receive_message(QueueUrl=bulk.queue_url(settings.OBSERVATIONS_DLQ)).get("Messages", [])
    assert len(dead) == 1
    monkeypatch.undo()
    # Redriven (as an operator would from the console), it is processed in full.
    sqs.send_message(QueueUrl=bulk.queue_url(settings.OBSERVATIONS_QUEUE), MessageBody=dead[0]["Body"])
    assert driver.step()["chunks"] == 1
    assert all(s is not None for s in state([r[:2] for r in rows]))


def test_the_safety_rail_trips_on_a_crafted_dump(api, driver, set_env):
    set_env(ENFORCEMENT_RAIL_MIN_PAIRS=10, ENFORCEMENT_MAX_BLOCK_PERCENT=20)
    old = int(clock.now()) - GRACE - 3600  # seen a month ago: their grace has passed
    rows = [(ids.imei(), ids.msisdn(), old) for _ in range(12)]
    put_dump(rows)
    driver.step()

    report = enforcement.run()

    assert report["rail_tripped"] and report["blocked"] == 0
    assert "12 of 12" in report["rail"]
    status, data, _ = api.get("/operator/enforcement", token=OPERATOR_KEY)
    assert data["entries"] == []


def test_malformed_dump_rows_are_skipped_and_the_rest_kept(api, driver):
    good = (ids.imei(), ids.msisdn(), "2026-11-25T10:00:00Z")
    put_dump([good, ("x",), (ids.imei(), "021", 1), (ids.imei(), ids.msisdn(), "soon")], header=False)
    assert driver.step()["chunks"] == 1
    assert state([good[:2]])[0][0] == "pending"


def test_the_worker_lambda_is_wired_to_the_chunk_queue(app):
    sources = {s.name: s for s in app.event_sources}
    assert sources["observe_chunk"].queue == settings.OBSERVATIONS_QUEUE
    assert sources["observe_chunk"].batch_size == 1
    assert "split_observations" in app.handler_map
