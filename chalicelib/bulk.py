"""The queue-driven paths' AWS clients (S3 for operators' dumps, SQS for their chunks and
for the expiry job's slices), made on first use.

Keyed by (region, endpoint) like the SNS client: tests and scripts/local.py re-point the
service at an emulator. On AWS the bucket and the queues come from infra/template.json;
locally `create_local_resources` makes them (a message that fails MAX_RECEIVES times moves
to its dead-letter queue, as the template's RedrivePolicy says).
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib import settings

SEND_BATCH = 10  # SendMessageBatch takes 10 messages
MAX_RECEIVES = 5  # deliveries of a chunk before SQS moves it to the dead-letter queue
VISIBILITY_SECONDS = 900  # a worker's Lambda timeout: a chunk is not handed out twice at once
DUMP_PREFIX = "observations/"
DUMP_SUFFIX = ".csv.gz"

_clients: dict[tuple[str, str, str | None], Any] = {}


def client(service: str) -> Any:
    key = (service, settings.REGION, settings.AWS_ENDPOINT)
    made = _clients.get(key)
    if made is None:
        import boto3

        made = _clients[key] = boto3.client(
            service, region_name=settings.REGION, endpoint_url=settings.AWS_ENDPOINT
        )
    return made


def queue_url(name: str) -> str:
    return client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def send_all(queue: str, bodies: list[str]) -> int:
    """Put every body on the queue (its URL), 10 a SendMessageBatch; returns the calls made."""
    calls = 0
    for start in range(0, len(bodies), SEND_BATCH):
        entries = [{"Id": str(start + i), "MessageBody": body}
                   for i, body in enumerate(bodies[start:start + SEND_BATCH])]
        calls += send_batch(queue, entries, "messages")
    return calls


def send_batch(queue: str, entries: list[dict], what: str) -> int:
    """One SendMessageBatch of `entries` ({"Id", "MessageBody"}); returns the calls made.

    Entries SQS could not take (its fault) are sent again; a refusal of ours (SenderFault),
    or a queue that keeps failing, raises RuntimeError naming `what`, and the caller's run
    fails whole (its event is retried; what was sent is found done by the workers)."""
    sqs = client("sqs")
    pending, calls = entries, 0
    for _ in range(5):
        if not pending:
            break
        calls += 1
        failed = sqs.send_message_batch(QueueUrl=queue, Entries=pending).get("Failed", [])
        if any(f.get("SenderFault") for f in failed):
            raise RuntimeError(f"SQS refused {what}: {failed}")
        again = {f["Id"] for f in failed}
        pending = [e for e in pending if e["Id"] in again]
    if pending:
        raise RuntimeError(f"SQS did not take {len(pending)} {what}")
    return calls


def _queue_with_dead_letters(name: str, dead_letters: str) -> None:
    sqs = client("sqs")
    dlq = sqs.create_queue(QueueName=dead_letters)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_SECONDS),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
        },
    )


def create_local_resources() -> None:
    """The bucket, the chunk queue, the expiry slices queue and their dead-letter queues
    (local run and tests)."""
    client("s3").create_bucket(Bucket=settings.OBSERVATIONS_BUCKET)
    _queue_with_dead_letters(settings.OBSERVATIONS_QUEUE, settings.OBSERVATIONS_DLQ)
    _queue_with_dead_letters(settings.EXPIRY_QUEUE, settings.EXPIRY_DLQ)
