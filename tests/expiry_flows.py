"""What the expiry job's tests share: its Lambdas invoked with an injected clock, SIMs and
devices set up as the operator feed and activation leave them, the slices queue.

The Lambdas are called with a context of their own (`LambdaContext`, 900 s of the injected
clock by default): chalice's test client gives every Lambda 3 s of real time whatever the
config says, so a loaded machine would cut a run short.
"""
from __future__ import annotations

import json

import pytest
from botocore.client import BaseClient

from chalicelib import bulk, clock, settings
from chalicelib.services.sims import sim_records
from chalicelib.store.devices import DeviceModel, sim_key
from chalicelib.store.history import HistoryModel
from chalicelib.store.sims import SimModel
from scripts.local_bulk import BulkDriver
from testkit import ids

HOUR = 3600
DAY = 24 * HOUR


class LambdaContext:
    """A Lambda context with `seconds` left (of the injected clock)."""

    aws_request_id = "test-request"
    memory_limit_in_mb = 1769

    def __init__(self, seconds: float, function_name: str = "expire_slice") -> None:
        self.until = clock.now() + seconds
        self.function_name = function_name
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return int((self.until - clock.now()) * 1000)


def invoke(client, seconds: float = 900) -> dict:
    """One scheduled run of expire_sims, as EventBridge starts it, in a Lambda with `seconds`
    left (of the injected clock)."""
    import app as app_module

    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[],
        region="us-east-1",
    )
    return app_module.expire_sims(event, LambdaContext(seconds, "expire_sims"))


def deliver(client, body: str, seconds: float = 900) -> list:
    """One delivery of one message to the worker, as Lambda's SQS poller makes it, in a
    Lambda with `seconds` left (not the 3 s of real time chalice's test client gives)."""
    import app as app_module

    event = client.events.generate_sqs_event([body], queue_name=settings.EXPIRY_QUEUE)
    return app_module.expire_slice(event, LambdaContext(seconds))


def sim_expiring_in(seconds: float, national_id: str | None = None) -> tuple[str, str]:
    msisdn, nid = ids.msisdn(), national_id or ids.national_id()
    sim_records.operator_update(msisdn, nid, "active", clock.now() + seconds)
    return msisdn, nid


_joined = iter(range(1, 10**9))


def device_on(msisdn: str, owner_nid: str | None = None) -> str:
    """A device in the SIM cartable of the SIM's current ownership (and, with owner_nid,
    in that national-ID cartable too), as activation leaves it."""
    sim = SimModel.get(msisdn)
    imei = ids.imei()
    DeviceModel(
        imei, state="active", activation_code="123456", brand="Samsung", model="A54",
        msisdn=msisdn, ownership=int(sim.ownership), sim_key=sim_key(msisdn, int(sim.ownership)),
        owner_nid=owner_nid, joined_at=int(clock.now() * 1e6) + next(_joined),
    ).save()
    return imei


def events(imei: str, type_: str = "detached") -> list[HistoryModel]:
    return [e for e in HistoryModel.query(imei, consistent_read=True) if e.type == type_]


def on_expiry_index(msisdn: str) -> bool:
    return SimModel.get(msisdn, consistent_read=True).expiry_day is not None


def on_cleanup_index(msisdn: str) -> bool:
    return SimModel.get(msisdn, consistent_read=True).cleanup_shard is not None


@pytest.fixture(autouse=True)
def one_aws_call_at_a_time():
    """In-process moto is not thread-safe (a transaction deep-copies whole tables while
    other threads write), DynamoDB is: the job's worker threads take turns at the door."""
    import threading

    real = BaseClient._make_api_call
    lock = threading.RLock()

    def serialized(self, operation, params):
        with lock:
            return real(self, operation, params)

    BaseClient._make_api_call = serialized
    yield
    BaseClient._make_api_call = real


def slow_transactions(monkeypatch, seconds: float) -> None:
    """Every TransactWriteItems takes `seconds` of (injected) time."""
    real = BaseClient._make_api_call

    def slow(self, operation, params):
        result = real(self, operation, params)
        if operation == "TransactWriteItems":
            clock.advance(seconds)
        return result

    monkeypatch.setattr(BaseClient, "_make_api_call", slow)


@pytest.fixture
def driver(app):
    import app as app_module

    bulk.create_local_resources()
    return BulkDriver(app_module)


@pytest.fixture
def running(client, driver):
    """The job has been running hourly already, unconfigured (its checkpoint exists)."""
    clock.advance(DAY - clock.now() % DAY + 6 * HOUR)  # away from midnight: one day to read
    invoke(client)
    return client


def fan_out(set_env) -> None:
    set_env(EXPIRY_FANOUT="on")


def queued() -> list[dict]:
    """The slice messages waiting on the queue, left there (visible again at once)."""
    sqs = bulk.client("sqs")
    url = bulk.queue_url(settings.EXPIRY_QUEUE)
    found, handles = [], []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        found += [json.loads(m["Body"]) for m in messages]
        handles += [m["ReceiptHandle"] for m in messages]
    for handle in handles:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return found


def clear_queue() -> None:
    bulk.client("sqs").purge_queue(QueueUrl=bulk.queue_url(settings.EXPIRY_QUEUE))
