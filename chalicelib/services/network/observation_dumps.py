"""The bulk path for operators' daily dumps (10^8 rows a day; API.md "Network enforcement").

1. An operator puts `observations/<anything>.csv.gz` into the bucket: gzip CSV, one row
   `imei,msisdn,seen_at` a line (an optional header line starting with "imei"; seen_at
   is epoch seconds or an ISO 8601 instant with its zone; no quoted fields). The key's
   folder names the operator: `observations/<operator>/<name>.csv.gz`.
2. `split` (the S3 event's Lambda) streams it (never whole in memory) and puts chunks of
   OBSERVATION_CHUNK_ROWS lines on the chunk queue, gzip+base64 in the message, 10 a
   SendMessageBatch call. A chunk is named by the dump's ETag and its number.
3. `process_chunk` (the queue's worker Lambdas, in parallel) judges a chunk with
   `observations.record`, the very function behind POST /operator/observations, so both
   paths give the same outcome: a bad line (of any length: lines are read with a bound,
   MAX_LINE_BYTES) is skipped and counted, never failing its chunk. Then it marks the
   chunk done in a ledger item.

Re-runs neither lose nor double: a worker that fails leaves its message on the queue
(SQS delivers it again, and after bulk.MAX_RECEIVES deliveries moves it to the dead-letter
queue); a chunk delivered twice, or a whole dump split twice (the same ETag), finds its
ledger item and costs one read; and below the ledger `record` is idempotent itself (a pair
is created once, every SMS is claimed by a conditional write first).
"""
from __future__ import annotations

import base64
import gzip
import json
import re
from typing import Any, Iterator

from aws_lambda_powertools import Logger

from chalicelib import bulk, clock, log, settings
from chalicelib.services.network import observation_rows, observations
from chalicelib.store import checkpoints

logger = Logger(service=log.SERVICE, child=True)

SEND_BATCH = 10  # SendMessageBatch takes 10 messages
MAX_BATCH_BYTES = 200_000  # and at most 256 KiB in all
LEDGER_DAYS = 14  # a chunk's "done" mark outlives any redelivery or re-split
_EPOCH = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?", re.ASCII)
# A good line (imei,msisdn,seen_at, Persian digits included) is under 200 bytes.
MAX_LINE_BYTES = 1024
TOO_LONG = "#too-long"  # stands in a chunk for a line past MAX_LINE_BYTES


def _lines(body: Any) -> Iterator[str]:
    """The dump's lines, streamed with a bound on their length: a line longer than
    MAX_LINE_BYTES is never held whole; it is read past and yielded as TOO_LONG (its
    chunk counts it skipped). Memory stays flat whatever a line holds."""
    raw = gzip.GzipFile(fileobj=body)
    number = 0
    while True:
        line = raw.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # the rest of the line, a piece at a time
                line = raw.readline(MAX_LINE_BYTES)
            text = TOO_LONG
        else:
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        if number == 0 and text.lower().startswith("imei"):
            number += 1
            continue  # the header
        number += 1
        yield text


def _chunks(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chunk_message(dump: str, etag: str, number: int, first_row: int, lines: list[str], operator: str = "") -> str:
    packed = base64.b64encode(gzip.compress("\n".join(lines).encode("utf-8"), compresslevel=1, mtime=0)).decode()
    return json.dumps({"dump": dump, "etag": etag, "chunk": number, "first_row": first_row,
                       "operator": operator, "rows": packed})


def dump_operator(key: str) -> str:
    """The operator a dump is from: its folder, `observations/<operator>/<name>.csv.gz`
    (the name its partner key carries); a dump at the top is "unnamed"."""
    parts = key[len(bulk.DUMP_PREFIX):].split("/") if key.startswith(bulk.DUMP_PREFIX) else []
    return parts[0] if len(parts) > 1 and parts[0] else "unnamed"


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
        body = chunk_message(f"s3://{bucket}/{key}", etag, number, rows, lines, dump_operator(key))
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
    """A line as the route's row; None (rejected) when it is not three fields. No quoted
    fields (a plain split: csv's reader fails a whole chunk on a field over 128 KiB)."""
    fields = line.split(",")
    if line == TOO_LONG or len(fields) != 3:
        return None
    imei, msisdn, seen_at = (f.strip() for f in fields)
    return {"imei": imei, "msisdn": msisdn, "seen_at": float(seen_at) if _EPOCH.fullmatch(seen_at) else seen_at}


def process_chunk(message: str) -> dict[str, Any]:
    """Judge one chunk (an SQS message body from `split`); skipped if already done. A bad
    line is skipped and counted ("skipped"), never failing its chunk."""
    chunk = json.loads(message)
    ledger = f"chunk#{chunk['etag']}#{chunk['chunk']}"
    if checkpoints.is_done(ledger):
        return {"chunk": chunk["chunk"], "skipped_chunk": True}
    lines = gzip.decompress(base64.b64decode(chunk["rows"])).decode("utf-8", errors="replace").split("\n")
    now = clock.now()
    accepted, rejected = observation_rows.parse_rows((_row(line) for line in lines), now)
    tally = observations.record(accepted, now, chunk.get("operator") or "unnamed")
    checkpoints.mark_done(ledger, now + LEDGER_DAYS * 86400)
    if rejected:
        # The dump's row numbers (from 0, header not counted), so the operator can fix them.
        first = chunk["first_row"]
        logger.warning(
            "dump lines skipped",
            extra={"dump": chunk["dump"], "chunk": chunk["chunk"], "skipped": len(rejected),
                   "first": [{"row": first + r["index"], "code": r["code"]} for r in rejected[:20]]},
        )
    return {"chunk": chunk["chunk"], "accepted": len(accepted), "skipped": len(rejected), **tally}
