"""Valid identifiers made on demand, so tests never share a number by accident."""
from __future__ import annotations

import itertools

_counter = itertools.count(1)


def luhn_complete(first14: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(first14)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return first14 + str((10 - total % 10) % 10)


def imei() -> str:
    return luhn_complete(f"35{next(_counter):012d}")


def national_id() -> str:
    body = f"{(next(_counter) * 7919) % 10**9 + 10**6:09d}"
    if body[3:9] == "000000":
        body = body[:8] + "1"
    total = sum(int(body[i]) * (10 - i) for i in range(9)) % 11
    return body + str(total if total < 2 else 11 - total)


def msisdn() -> str:
    return f"0912{next(_counter) % 10**7:07d}"


def passport() -> str:
    return f"P{next(_counter):08d}"
