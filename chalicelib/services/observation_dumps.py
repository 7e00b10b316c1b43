"""The bulk path for operators' daily dumps (10^8 rows a day; API.md "Network enforcement").

1. An operator puts `observations/<anything>.csv.gz` into the bucket: gzip CSV, one row
   `imei,msisdn,seen_at` a line (an optional header line starting with "imei"; seen_at
   is epoch seconds or an ISO 8601 instant with its zone; no quoted fields).
2. `split` (the S3 event's Lambda) streams it (never whole in memory) and puts chunks of
   OBSERVATION_CHUNK_ROWS lines on the chunk queue, gzip+base64 in the message, 10 a
   SendMessageBatch call. A chunk is named by the dump's ETag and its number.
3. `process_chunk` (the queue's worker Lambdas, in parallel) judges a chunk with
   `observations.record`, the very function behind POST /operator/observations, so both
   paths give the same outcome. Then it marks the chunk done in a ledger item.

Re-runs neither lose nor double: a worker that fails leaves its message on the queue
(SQS delivers it again, and after bulk.MAX_RECEIVES deliveries moves it to the dead-letter
queue); a chunk delivered twice, or a whole dump split twice (the same ETag), finds its
ledger item and costs one read; and below the ledger `record` is idempotent itself (a pair
is created once, every SMS is claimed by a conditional write first).
"""
from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import re
from typing import Any, Iterator

from aws_lambda_powertools import Logger

from chalicelib import bulk, clock, log, settings
from chalicelib.services import observations
from chalicelib.store import checkpoints

logger = Logger(service=log.SERVICE, child=True)

SEND_BATCH = 10  # SendMessageBatch takes 10 messages
MAX_BATCH_BYTES = 200_000  # and at most 256 KiB in all
LEDGER_DAYS = 14  # a chunk's "done" mark outlives any redelivery or re-split
_EPOCH = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?", re.ASCII)


def _lines(body: Any) -> Iterator[str]:
    text = io.TextIOWrapper(gzip.GzipFile(fileobj=body), encoding="utf-8", errors="replace", newline="")
    for number, line in enumerate(text):
        line = line.rstrip("\r\n")
        if number == 0 and line.lower().startswith("imei"):
            continue  # the header
        yield line


def _chunks(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chunk_message(dump: str, etag: str, number: int, first_row: int, lines: list[str]) -> str:
    packed = base64.b64encode(gzip.compress("\n".join(lines).encode("utf-8"), compresslevel=1, mtime=0)).decode()
    return json.dumps({"dump": dump, "etag": etag, "chunk": number, "first_row": first_row, "rows": packed})


def split(bucket: str, key: str) -> dict[str, Any]:
    """Stream one dump from S3 into chunk messages on the queue; {"chunks", "rows"}."""
    s3 = bulk.client("s3")
    dump = s3.get_object(Bucket=bucket, Key=key)
    etag = dump["ETag"].strip('"')
    queue = bulk.queue_url(settings.OBSERVATIONS_QUEUE)
    pending: list[dict] = []
    size = 0
    rows = chunks = 0

    def flush() -> None:
        # A failed send fails the split and S3's event is retried (chunks already sent
        # are found done by the workers' ledger).
        nonlocal pending, size
        bulk.send_batch(queue, pending, f"chunks of {key}")
        pending, size = [], 0

    for number, lines in enumerate(_chunks(_lines(dump["Body"]), settings.OBSERVATION_CHUNK_ROWS)):
        body = chunk_message(f"s3://{bucket}/{key}", etag, number, rows, lines)
        if pending and (len(pending) == SEND_BATCH or size + len(body) > MAX_BATCH_BYTES):
            flush()
        pending.append({"Id": str(number), "MessageBody": body})
        size += len(body)
        rows += len(lines)
        chunks += 1
    flush()
    logger.info("dump split", extra={"dump": key, "chunks": chunks, "rows": rows})
    return {"dump": key, "chunks": chunks, "rows": rows}


def _row(line: str) -> Any:
    fields = next(csv.reader([line]), [])
    if len(fields) != 3:
        return None  # rejected as invalid_request
    imei, msisdn, seen_at = (f.strip() for f in fields)
    return {"imei": imei, "msisdn": msisdn, "seen_at": float(seen_at) if _EPOCH.fullmatch(seen_at) else seen_at}


def process_chunk(message: str) -> dict[str, Any]:
    """Judge one chunk (an SQS message body from `split`); skipped if already done."""
    chunk = json.loads(message)
    ledger = f"chunk#{chunk['etag']}#{chunk['chunk']}"
    if checkpoints.is_done(ledger):
        return {"chunk": chunk["chunk"], "skipped": True}
    lines = gzip.decompress(base64.b64decode(chunk["rows"])).decode("utf-8", errors="replace").split("\n")
    now = clock.now()
    accepted, rejected = observations.parse_rows((_row(line) for line in lines), now)
    tally = observations.record(accepted, now)
    checkpoints.mark_done(ledger, now + LEDGER_DAYS * 86400)
    if rejected:
        # The dump's row numbers (from 0, header not counted), so the operator can fix them.
        first = chunk["first_row"]
        logger.warning(
            "dump rows rejected",
            extra={"dump": chunk["dump"], "rejected": len(rejected),
                   "first": [{"row": first + r["index"], "code": r["code"]} for r in rejected[:20]]},
        )
    return {"chunk": chunk["chunk"], "accepted": len(accepted), "rejected": len(rejected), **tally}
