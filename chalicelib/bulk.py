"""The bulk path's AWS clients (S3 for operators' dumps, SQS for chunks), made on first use.

Keyed by (region, endpoint) like the SNS client: tests and scripts/local.py re-point the
service at an emulator. On AWS the bucket and the queues come from infra/template.json;
locally `create_local_resources` makes them (a chunk that fails
MAX_RECEIVES times moves to the dead-letter queue, as the template's RedrivePolicy says).
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib import settings

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


def create_local_resources() -> None:
    """The bucket, the chunk queue and its dead-letter queue (local run and tests)."""
    s3, sqs = client("s3"), client("sqs")
    s3.create_bucket(Bucket=settings.OBSERVATIONS_BUCKET)
    dlq = sqs.create_queue(QueueName=settings.OBSERVATIONS_DLQ)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(
        QueueName=settings.OBSERVATIONS_QUEUE,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_SECONDS),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}),
        },
    )
