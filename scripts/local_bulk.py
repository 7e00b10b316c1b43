"""The bulk path without AWS's event plumbing: what S3 notifications and Lambda's SQS poller
do on AWS, done against the emulator (chalice local runs neither).

`BulkDriver.step()` hands each new dump in the bucket to the `split_observations` Lambda as
an S3 ObjectCreated event, then delivers the chunk queue's messages one at a time to the
`observe_chunk` Lambda as an SQS event: deleted when it returns, made visible again at
once when it raises, so SQS's own RedrivePolicy moves a chunk that keeps failing to the
dead-letter queue. `BulkDriver.slices()` does the same for the expiry job's fan-out
(EXPIRY_FANOUT=on): the slices queue's messages to the `expire_slice` Lambda.
scripts/local.py runs both every second; the tests call them.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from chalicelib import bulk, settings


class BulkDriver:
    def __init__(self, app_module: Any, say: Callable[[str], None] = lambda text: None) -> None:
        self.app = app_module
        self.say = say
        self.split: set[tuple[str, str]] = set()  # (key, etag) handed to the splitter

    def step(self) -> dict[str, int]:
        """One pass: split new dumps, then deliver chunks until the queue is empty."""
        done = {"dumps": 0, "chunks": 0, "failed": 0}
        s3 = bulk.client("s3")
        listing = s3.list_objects_v2(Bucket=settings.OBSERVATIONS_BUCKET, Prefix=bulk.DUMP_PREFIX)
        for obj in listing.get("Contents", []):
            name = (obj["Key"], obj["ETag"])
            if name in self.split or not obj["Key"].endswith(bulk.DUMP_SUFFIX):
                continue
            self.split.add(name)
            event = {"Records": [{
                "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": settings.OBSERVATIONS_BUCKET},
                       "object": {"key": obj["Key"], "size": obj["Size"]}},
            }]}
            self.say(f"split_observations: {self.app.split_observations(event, None)}")
            done["dumps"] += 1
        delivered = deliver(settings.OBSERVATIONS_QUEUE, self.app.observe_chunk, self.say)
        return {**done, "chunks": delivered["handled"], "failed": delivered["failed"]}

    def slices(self, context: Any = None) -> dict[str, int]:
        """Deliver the expiry slices queue's messages to `expire_slice` until it is empty
        (it has any only with EXPIRY_FANOUT=on: then expire_sims is the coordinator)."""
        delivered = deliver(settings.EXPIRY_QUEUE, self.app.expire_slice, self.say, context)
        if delivered["handled"]:
            self.say(f"expire_slice: {delivered['handled']} slices worked")
        return {"slices": delivered["handled"], "failed": delivered["failed"]}


def deliver(name: str, handler: Callable, say: Callable[[str], None] = lambda text: None,
            context: Any = None) -> dict[str, int]:
    """What Lambda's SQS poller does with batch size 1: each message of the queue `name`,
    one at a time, to the chalice handler as an SQS event, until the queue is empty.
    Deleted when the handler returns; made visible again at once when it raises (SQS's
    RedrivePolicy counts the deliveries). A message the handler puts back is delivered in
    the same call."""
    sqs = bulk.client("sqs")
    queue = bulk.queue_url(name)
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    done = {"handled": 0, "failed": 0}
    while True:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return done
        message = messages[0]
        event = {"Records": [{
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": {}, "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": arn, "awsRegion": settings.REGION,
        }]}
        try:
            handler(event, context)
        except Exception as error:  # as Lambda: the message goes back to the queue
            say(f"{name}: handler failed: {type(error).__name__}: {error}")
            sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=0)
            done["failed"] += 1
            continue
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        done["handled"] += 1


class BulkThread(threading.Thread):
    """Runs BulkDriver.step() (and .slices() with EXPIRY_FANOUT=on) every `interval` seconds until `stop` is set."""

    def __init__(self, driver: BulkDriver, stop: threading.Event, interval: float = 1.0) -> None:
        super().__init__(daemon=True, name="bulk-path")
        self.driver, self.stop, self.interval = driver, stop, interval

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                self.driver.step()
                if settings.EXPIRY_FANOUT == "on":  # no slices otherwise: spare the emulator the polls
                    self.driver.slices()
            except Exception as error:  # the emulator restarting must not stop the server
                self.driver.say(f"bulk path: {type(error).__name__}: {error}")
