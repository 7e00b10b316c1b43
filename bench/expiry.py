"""The expiry job's cost: AWS calls and time for one run, against in-process moto.

Fills the emulated tables with N SIMs (each with its devices) of which K have expired
since the job's last run (and, with --transferred T, T numbers that changed hands), runs
`chalicelib.services.sims.expiry.run()` once, and prints one JSON line:
{"sims", "expired", "transferred", "devices", "calls", "ops", "calls_per_expired",
 "seconds", "ms_per_expired", "fill_seconds", "report"}.

Calls are counted at botocore's one door (testkit/calls.py). They must grow with K, not N:
    .venv/bin/python bench/expiry.py --sims 10000 --expired 1000
    .venv/bin/python bench/expiry.py --sims 100000 --expired 1000
Wall time in moto does grow with N: moto answers every Query on a GSI by walking the
whole table (moto/dynamodb/models/table.py, Table.query), which DynamoDB does not do.
Read the time as an upper bound on this machine's Python cost, and the calls as the cost.

With --fanout (EXPIRY_FANOUT=on, as on AWS) the run is the coordinator: it prints its calls
per slice probed and sent ("coordinator"), then drains the slices queue (moto SQS) through
the worker, `expiry_fanout.work_slice`, and counts the workers' calls as "calls".
"""
from __future__ import annotations

import argparse
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

HOUR = 3600
DAY = 24 * HOUR


def _imei(n: int) -> str:
    from testkit.ids import luhn_complete

    return luhn_complete(f"35{n:012d}")


def _nid(n: int) -> str:
    """A 10-digit national ID with a valid check digit (bench data only)."""
    body = f"{(n * 7919) % 10**9 + 10**6:09d}"
    total = sum(int(body[i]) * (10 - i) for i in range(9)) % 11
    return body + str(total if total < 2 else 11 - total)


def fill(sims: int, expired: int, transferred: int, devices_per_sim: int, now: float) -> int:
    """Write the data with BatchWriteItem (25 items a call), as serialized PynamoDB items.
    Returns the number of devices written."""
    import boto3

    from chalicelib import settings
    from chalicelib.services.sims.sim_records import expiry_day
    from chalicelib.store.devices import DeviceModel, sim_key
    from chalicelib.store.sims import SimModel, cleanup_shard_of, expiry_slot

    client = boto3.client("dynamodb", region_name=settings.REGION)
    rng = random.Random(7)
    pending: dict[str, list] = {SimModel.Meta.table_name: [], DeviceModel.Meta.table_name: []}
    written_devices = 0

    def put(table: str, item: dict) -> None:
        pending[table].append({"PutRequest": {"Item": item}})
        if len(pending[table]) == 25:
            flush(table)

    def flush(table: str) -> None:
        batch = pending[table]
        while batch:
            answer = client.batch_write_item(RequestItems={table: batch})
            batch = answer.get("UnprocessedItems", {}).get(table, [])
        pending[table] = []

    # Expired and transferred SIMs are spread over the whole range of numbers, so they are
    # not all on one shard.
    order = list(range(sims))
    rng.shuffle(order)
    roles = {}
    for i in order[:expired]:
        roles[i] = "expired"
    for i in order[expired : expired + transferred]:
        roles[i] = "transferred"
    for i in range(sims):
        msisdn = f"0912{i:07d}"
        nid = _nid(i + 1)
        role = roles.get(i)
        if role == "expired":
            # Expired in the hours since the last run (the job runs hourly; up to a few
            # hours of backlog), well past the settle margin.
            expires_at = now - rng.uniform(120, 3 * HOUR)
        else:
            expires_at = now + rng.uniform(HOUR, 30 * DAY)
        sim = SimModel(
            msisdn, national_id=nid, status="active", expires_at=expires_at, ownership=1,
            updated_at=now - DAY, version=1,
        )
        sim.holders = {"1": {"national_id": nid, "ended": None, "ended_at": None}}
        sim.expiry_day = expiry_slot(expiry_day(expires_at), msisdn)
        if role == "transferred":
            # The operator feed's state after a change of holder (sim_records._apply).
            new_nid = _nid(sims + i + 1)
            sim.holders = {
                "1": {"national_id": nid, "ended": "transferred", "ended_at": now - HOUR},
                "2": {"national_id": new_nid, "ended": None, "ended_at": None},
            }
            sim.national_id, sim.ownership = new_nid, 2
            sim.dead_ownerships = {1}
            sim.cleanup_shard = cleanup_shard_of(msisdn)
        put(SimModel.Meta.table_name, sim.serialize())
        for d in range(devices_per_sim):
            device = DeviceModel(
                _imei(i * devices_per_sim + d + 1), state="active", activation_code="123456",
                brand="Samsung", model="Galaxy A54", source="import",
                registered_at=now - 2 * DAY, msisdn=msisdn, ownership=1,
                sim_key=sim_key(msisdn, 1), joined_at=int((now - DAY) * 1e6) + i, version=1,
            )
            if d == 0 and i % 5 == 0:
                device.owner_nid = nid  # a fifth of the numbers are in a national-ID cartable
            put(DeviceModel.Meta.table_name, device.serialize())
            written_devices += 1
    for table in list(pending):
        flush(table)
    return written_devices


def moto_transactions_lite() -> None:
    """Bench only: make moto's TransactWriteItems cost what DynamoDB's does.

    moto backs up every table a transaction names with a deepcopy of the whole table
    (DynamoDBBackend.transact_write_items), O(N) per transaction, and does so without a
    lock, so concurrent transactions break it. Here a transaction saves only the items it
    names (and puts them back if it fails), one transaction at a time.
    """
    import copy
    import threading

    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    class _TablesAreNotCopied:
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value, memo=None):  # type: ignore[no-untyped-def]
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = _TablesAreNotCopied()  # type: ignore[assignment]
    original = models.DynamoDBBackend.transact_write_items
    lock = threading.Lock()

    def transact_write_items(self, transact_items):  # type: ignore[no-untyped-def]
        with lock:
            saved = []
            for entry in transact_items:
                op_type, op = next(iter(entry.items()))
                table = self.get_table(op["TableName"])
                if op_type == "Put":
                    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
                    key = {name: op["Item"][name] for name in names}
                else:
                    key = op["Key"]
                current = self.get_item(op["TableName"], key)
                saved.append((op["TableName"], key, current.to_json()["Attributes"] if current else None))
            try:
                return original(self, transact_items)
            except Exception:
                for table_name, key, attrs in reversed(saved):
                    if attrs is None:
                        self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, copy.deepcopy(attrs))
                raise

    models.DynamoDBBackend.transact_write_items = transact_write_items


def _drain_slices() -> dict:
    """What Lambda's poller does: each slice message to the worker, then deleted. Returns
    the workers' reports summed (the same counts as one run's report)."""
    from chalicelib import bulk, settings
    from chalicelib.services.sims import expiry_fanout

    sqs = bulk.client("sqs")
    url = bulk.queue_url(settings.EXPIRY_QUEUE)
    total = {"slices": 0, "expired": 0, "tidied": 0, "devices_awaiting_recovery": 0,
             "devices_kept": 0, "failures": 0, "sent_back": 0}
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        if not messages:
            return total
        done = expiry_fanout.work_slice(messages[0]["Body"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
        total["slices"] += 1
        for name in total:
            if name != "slices":
                total[name] += int(done[name])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--expired", type=int, default=1_000)
    parser.add_argument("--transferred", type=int, default=0)
    parser.add_argument("--devices-per-sim", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--fanout", action="store_true", help="coordinator + slice workers over SQS")
    args = parser.parse_args()
    if args.expired + args.transferred > args.sims:
        parser.error("--expired + --transferred must not exceed --sims")
    if args.workers:
        os.environ["EXPIRY_WORKERS"] = str(args.workers)
    if args.fanout:
        os.environ["EXPIRY_FANOUT"] = "on"

    from moto import mock_aws


    moto_transactions_lite()
    with mock_aws():
        from chalicelib import clock, settings
        from chalicelib.services.sims import expiry
        from chalicelib.store import tables
        from chalicelib.store.challenges import CheckpointItem

        settings.reload()
        tables.configure()
        tables.create_tables()
        now = clock.now()
        started = time.monotonic()
        devices = fill(args.sims, args.expired, args.transferred, args.devices_per_sim, now)
        fill_seconds = time.monotonic() - started
        # The steady state: the job has been running hourly, so its checkpoint is recent.
        yesterday = time.strftime("%Y-%m-%d", time.gmtime(now - DAY))
        CheckpointItem(expiry.JOB_KEY, cursor=yesterday, updated_at=now - HOUR).save()

        coordinator = None
        if args.fanout:
            from chalicelib import bulk

            bulk.create_local_resources()
            with count_calls() as counts:
                started = time.monotonic()
                sent = expiry.run(now=now)
                coordinator = {
                    "calls": counts.total, "ops": dict(sorted(counts.items())),
                    "slices_probed": sent["slices_probed"], "slices_sent": sent["slices_sent"],
                    "calls_per_slice_probed": round(counts.total / max(1, sent["slices_probed"]), 3),
                    "calls_per_slice_sent": round(counts.total / max(1, sent["slices_sent"]), 3),
                    "seconds": round(time.monotonic() - started, 2),
                }
        with count_calls() as counts:
            started = time.monotonic()
            report = expiry.run(now=now) if not args.fanout else _drain_slices()
            seconds = time.monotonic() - started
        handled = max(1, report["expired"] + report["tidied"])
        print(
            json.dumps(
                {
                    "sims": args.sims,
                    "expired": report["expired"],
                    "transferred": report["tidied"],
                    "devices": devices,
                    "calls": counts.total,
                    "ops": dict(sorted(counts.items())),
                    "calls_per_expired": round(counts.total / handled, 3),
                    "seconds": round(seconds, 2),
                    "ms_per_expired": round(1000 * seconds / handled, 2),
                    "workers": settings.EXPIRY_WORKERS,
                    "fill_seconds": round(fill_seconds, 1),
                    **({"coordinator": coordinator} if coordinator else {}),
                    "report": report,
                }
            )
        )


if __name__ == "__main__":
    main()
