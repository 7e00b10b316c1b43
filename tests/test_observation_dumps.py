"""The bulk path end to end on moto: a gzip dump -> S3 -> split onto SQS -> workers, with
the same outcome as the HTTP batch; a dump processed twice changes nothing; a chunk that
keeps failing lands in the dead-letter queue; the safety rail trips on a crafted dump."""
from __future__ import annotations

import gzip
import io
import time

import pytest

from chalicelib import bulk, clock, settings
from chalicelib.services.network import enforcement
from chalicelib.store.observations import ObservationModel
from scripts.local_bulk import BulkDriver
from testkit import ids
from tests.conftest import OPERATOR_KEY, sms_sent
from tests.enforcement_flows import BLOCKED_SEEN, WARNING, activated_on_sim, block, observe, texts

# The dump bucket and the chunk queues (S3, SQS) must hold only this test's objects.
pytestmark = pytest.mark.fresh_backend


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
    from chalicelib.services.network import observations

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
    set_env(ENFORCEMENT_RAIL_MIN_PAIRS=10, ENFORCEMENT_MAX_BLOCK_PERCENT=20,
            ENFORCEMENT_GRACE_SECONDS=3600, ENFORCEMENT_MIN_NOTICE_SECONDS=3600)
    rows = [(ids.imei(), ids.msisdn(), int(clock.now()) - 60) for _ in range(12)]
    put_dump(rows)
    driver.step()
    clock.advance(2 * 3600)  # their grace has passed

    report = enforcement.run()

    assert report["rail_tripped"] and report["blocked"] == 0 and report["held_operators"] == ["op1"]
    assert "12 of 12" in report["rail"]
    status, data, _ = api.get("/operator/enforcement", token=OPERATOR_KEY)
    assert data["entries"] == []


def test_malformed_dump_rows_are_skipped_and_the_rest_kept(api, driver):
    good = (ids.imei(), ids.msisdn(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.now() - 3600)))
    put_dump([good, ("x",), (ids.imei(), "021", 1), (ids.imei(), ids.msisdn(), "soon")], header=False)
    assert driver.step()["chunks"] == 1
    assert state([good[:2]])[0][0] == "pending"


def chunk_reports(monkeypatch) -> list[dict]:
    """What each observe_chunk delivery returned (the worker's counts), as they happen."""
    from chalicelib.services.network import observation_dumps

    seen: list[dict] = []
    real = observation_dumps.process_chunk

    def keep(message):
        seen.append(real(message))
        return seen[-1]

    monkeypatch.setattr(observation_dumps, "process_chunk", keep)
    return seen


def test_a_200_kb_field_is_one_line_skipped_and_its_chunk_kept(api, driver, set_env, monkeypatch):
    set_env(OBSERVATION_CHUNK_ROWS=4)
    now = int(clock.now()) - 60
    good = [(ids.imei(), ids.msisdn(), now) for _ in range(5)]
    huge = [(ids.imei(), "9" * 200_000, now), ("x" * 200_000,), (ids.imei(), ids.msisdn(), "\x00" * 10)]
    put_dump([good[0], huge[0], good[1], huge[1], good[2], huge[2], good[3], good[4]])
    reports = chunk_reports(monkeypatch)

    done = driver.step()

    assert done == {"dumps": 1, "chunks": 2, "failed": 0}  # none to the dead-letter queue
    assert [r["skipped"] for r in reports] == [2, 1] and sum(r["accepted"] for r in reports) == 5
    assert all(s is not None and s[0] == "pending" for s in state([g[:2] for g in good]))
    assert all(len(texts(g[1], WARNING)) == 1 for g in good)


def test_a_line_is_read_with_a_bound_whatever_it_holds():
    from chalicelib.services.network import observation_dumps

    class Counting(io.BytesIO):
        """A gzip stream that remembers the most it was asked for at once."""

        most = 0

        def read(self, size=-1):
            Counting.most = max(Counting.most, size if size >= 0 else 1 << 62)
            return super().read(size)

    lines = b"imei,msisdn,seen_at\n1,2,3\n" + b"7" * 5_000_000 + b"\n4,5,6\n"
    body = Counting(gzip.compress(lines))
    got = list(observation_dumps._lines(body))
    assert got == ["1,2,3", observation_dumps.TOO_LONG, "4,5,6"]
    # Never the 5 MB line at once: reads go in bounded pieces.
    import tracemalloc

    tracemalloc.start()
    list(observation_dumps._lines(io.BytesIO(gzip.compress(lines))))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000


def test_a_back_dated_dump_is_enforced_by_the_next_run(api, driver, set_env):
    set_env(ENFORCEMENT_GRACE_SECONDS=3600, ENFORCEMENT_MIN_NOTICE_SECONDS=600)
    clock.advance(86400 - clock.now() % 86400 + 6 * 3600)
    enforcement.run()  # the daily run has passed every earlier day
    seen = int(clock.now()) - 3 * 86400  # three days back: their grace long gone
    rows = [(ids.imei(), ids.msisdn(), seen + k) for k in range(3)]
    put_dump(rows, name="op1/three-days-ago")
    driver.step()
    clock.advance(601)

    report = enforcement.run()

    assert report["blocked"] == 3
    status, data, _ = api.get("/operator/enforcement", token=OPERATOR_KEY)
    assert {(e["imei"], e["msisdn"]) for e in data["entries"]} == {r[:2] for r in rows}


def test_a_dumps_pairs_belong_to_the_operator_of_its_folder(api, driver):
    rows = [(ids.imei(), ids.msisdn(), int(clock.now()) - 60)]
    put_dump(rows, name="mci/2026-12-01")
    driver.step()
    assert ObservationModel.get(*rows[0][:2]).operator == "mci"


def test_the_worker_lambda_is_wired_to_the_chunk_queue(app):
    sources = {s.name: s for s in app.event_sources}
    assert sources["observe_chunk"].queue == settings.OBSERVATIONS_QUEUE
    assert sources["observe_chunk"].batch_size == 1
    assert "split_observations" in app.handler_map
