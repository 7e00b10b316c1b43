"""The operators' rows {imei, msisdn, seen_at} parsed one by one (the route and the dumps):
a malformed row is rejected by its index alone, whatever it holds."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

from chalicelib import identifiers, settings
from chalicelib.errors import HamtaError
from chalicelib.services.sims import sim_records

# seen_at may run this far ahead of our clock (the networks' clocks are not ours).
CLOCK_SKEW_SECONDS = 300
ROW_FIELDS = {"imei", "msisdn", "seen_at"}
# The longest text a field may be before it is looked at: far more than any written form
# of an IMEI, a number or an ISO instant, far less than what could cost time.
MAX_FIELD_CHARS = 64


@dataclass(frozen=True)
class Observation:
    imei: str
    msisdn: str
    seen_at: float


def parse_row(row: Any, now: float) -> Observation:
    """One row; HamtaError with the row's code when malformed (API.md).

    seen_at is an ISO 8601 instant with its zone, or epoch seconds; at most
    CLOCK_SKEW_SECONDS ahead and at most OBSERVATION_MAX_AGE_SECONDS old."""
    if not isinstance(row, dict) or set(row) != ROW_FIELDS:
        raise HamtaError("invalid_request")
    imei, msisdn = row["imei"], row["msisdn"]
    if isinstance(imei, str) and len(imei) > MAX_FIELD_CHARS:
        raise HamtaError("invalid_imei")
    if isinstance(msisdn, str) and len(msisdn) > MAX_FIELD_CHARS:
        raise HamtaError("invalid_msisdn")
    return Observation(
        identifiers.parse_imei(imei), identifiers.parse_msisdn(msisdn), parse_seen_at(row["seen_at"], now)
    )


def parse_seen_at(value: Any, now: float) -> float:
    if isinstance(value, bool):
        raise HamtaError("invalid_request")
    try:
        if isinstance(value, (int, float)):
            seen_at = float(value)
        elif isinstance(value, str) and len(value) <= MAX_FIELD_CHARS:
            seen_at = sim_records.parse_instant(value)
        else:
            raise HamtaError("invalid_request")
    except (OverflowError, ValueError):  # a number past float's range, a bad instant
        raise HamtaError("invalid_request") from None
    if not math.isfinite(seen_at):
        raise HamtaError("invalid_request")
    if seen_at > now + CLOCK_SKEW_SECONDS or seen_at < now - settings.OBSERVATION_MAX_AGE_SECONDS:
        raise HamtaError("invalid_seen_at")
    return seen_at


def parse_rows(rows: Iterable[Any], now: float) -> tuple[list[Observation], list[dict]]:
    """The well-formed rows, and [{"index", "code"}] for the others (API.md)."""
    accepted: list[Observation] = []
    rejected: list[dict] = []
    for index, row in enumerate(rows):
        try:
            accepted.append(parse_row(row, now))
        except HamtaError as error:
            rejected.append({"index": index, "code": error.code})
        except (TypeError, ValueError, OverflowError, RecursionError):
            # Whatever else a row holds, it is that row's fault alone.
            rejected.append({"index": index, "code": "invalid_request"})
    return accepted, rejected
