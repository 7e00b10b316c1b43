"""The bulk path's cost: AWS calls and time for one operator dump, against in-process moto.

A day's dump as the networks send it: most rows repeat pairs the registry already knows
(yesterday's dump had them), some are new pairs of phones activated on their SIMs, a few
are new pairs that need a warning. The dump goes the AWS way: gzip CSV into S3, the
`split_observations` Lambda puts chunks on SQS, `observe_chunk` Lambdas judge them
(scripts/local_bulk.py delivers the events). Prints one JSON line per run:
{"rows", "seconds", "calls", "calls_per_1000_rows", "ops", "new_pairs", "warned", "chunks"}.

    .venv/bin/python bench/observations.py --rows 10000
    .venv/bin/python bench/observations.py --rows 100000
    .venv/bin/python bench/observations.py --rows 10000 --again   # the same dump twice

Calls are counted at botocore's one door (testkit/calls.py), S3 and SQS included. Time is
moto's in one process on this machine (one worker, not the fan-out): an upper bound on
our Python's cost per row, not DynamoDB's latency.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.calls import prepare_environment  # noqa: E402
from testkit.calls import count_calls  # noqa: E402

prepare_environment()


def fill(rows: int, known_share: float, fine_share: float, now: float) -> list[tuple[str, str]]:
    """Write the registry's state and return the dump's (imei, msisdn) pairs."""
    import boto3

    from chalicelib import settings
    from chalicelib.store.devices import DeviceModel, sim_key
    from chalicelib.store.observations import OK, ObservationModel
    from chalicelib.store.sims import SimModel
    from testkit.ids import luhn_complete

    client = boto3.client("dynamodb", region_name=settings.REGION)
    pending: dict[str, list] = {}

    def put(model, item) -> None:
        table = model.Meta.table_name
        pending.setdefault(table, []).append({"PutRequest": {"Item": item.serialize()}})
        if len(pending[table]) == 25:
            flush(table)

    def flush(table: str) -> None:
        batch = pending.get(table, [])
        while batch:
            batch = client.batch_write_item(RequestItems={table: batch}).get("UnprocessedItems", {}).get(table, [])
        pending[table] = []

    rng = random.Random(7)
    pairs = []
    for i in range(rows):
        imei, msisdn = luhn_complete(f"35{i + 1:012d}"), f"0912{i:07d}"
        roll = rng.random()
        if roll < known_share:  # seen before: yesterday's dump created it
            put(ObservationModel, ObservationModel(imei, msisdn, first_seen=now - 86400, state=OK, judged_at=now - 86400))
        elif roll < known_share + fine_share:  # new pair, phone activated on that SIM
            sim = SimModel(msisdn, national_id=None, status="active", ownership=1, version=1)
            sim.holders = {"1": {"national_id": None, "ended": None, "ended_at": None}}
            put(SimModel, sim)
            put(DeviceModel, DeviceModel(imei, state="active", activation_code="123456", msisdn=msisdn,
                                         ownership=1, sim_key=sim_key(msisdn, 1), joined_at=i, version=1))
        pairs.append((imei, msisdn))  # else: a new pair of an unregistered phone
    for table in list(pending):
        flush(table)
    return pairs


def moto_queries_lite() -> None:
    """Bench only: make moto's Query of a table's item collection cost what DynamoDB's does.

    moto answers every Query by walking the whole table (moto/dynamodb/models/table.py,
    Table.query over all_items()); DynamoDB reads only the partition. Here a Query of the
    base table walks only the items of its hash key (the duplicate check's Query of an
    IMEI's pairs). Index queries are left as they are.
    """
    from moto.dynamodb.models.table import Table

    original = Table.query

    def query(self, hash_key, *args, **kwargs):  # type: ignore[no-untyped-def]
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or not self.range_key_attr or hash_key is None:
            return original(self, hash_key, *args, **kwargs)
        collection = self.items.get(hash_key) or {}
        self.all_items = lambda: iter(list(collection.values()))
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--known", type=float, default=0.95, help="share of rows seen before")
    parser.add_argument("--fine", type=float, default=0.04, help="share of new pairs already put right")
    parser.add_argument("--again", action="store_true", help="process the same dump a second time")
    args = parser.parse_args()

    from moto import mock_aws

    moto_queries_lite()
    with mock_aws():
        import app as app_module
        from chalicelib import bulk, clock, settings
        from chalicelib.store import tables
        from scripts.local_bulk import BulkDriver

        settings.reload()
        tables.configure()
        tables.create_tables()
        bulk.create_local_resources()
        now = clock.now()
        pairs = fill(args.rows, args.known, args.fine, now)
        body = "imei,msisdn,seen_at\n" + "".join(f"{i},{m},{int(now) - 600}\n" for i, m in pairs)
        dump = gzip.compress(body.encode(), mtime=0)  # one object: --again puts the same bytes
        runs = 2 if args.again else 1
        for run in range(runs):
            key = f"{bulk.DUMP_PREFIX}op1/day{bulk.DUMP_SUFFIX}"  # the same object twice with --again
            driver = BulkDriver(app_module)
            with count_calls() as counts:
                started = time.monotonic()
                bulk.client("s3").put_object(Bucket=settings.OBSERVATIONS_BUCKET, Key=key,
                                             Body=dump)
                done = driver.step()
                seconds = time.monotonic() - started
            from moto.core import DEFAULT_ACCOUNT_ID
            from moto.sns.models import sns_backends

            print(json.dumps({
                "rows": args.rows,
                "run": run + 1,
                "seconds": round(seconds, 2),
                "calls": counts.total,
                "calls_per_1000_rows": round(1000 * counts.total / args.rows, 2),
                "ops": dict(sorted(counts.items())),
                "chunks": done["chunks"],
                "sms_sent_total": len(sns_backends[DEFAULT_ACCOUNT_ID][settings.REGION].sms_messages),
                "known_share": args.known,
                "fine_share": args.fine,
                "chunk_rows": settings.OBSERVATION_CHUNK_ROWS,
            }))


if __name__ == "__main__":
    main()
