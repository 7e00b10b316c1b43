"""Count AWS calls at botocore's one door (BaseClient._make_api_call), by operation.

boto3 and PynamoDB both end in `BaseClient._make_api_call`, so wrapping it sees every
call (DynamoDB, SNS, ...) a block of code makes, including calls from worker threads.

    from testkit.calls import count_calls
    with count_calls() as counts:
        do_work()
    counts.total            # all calls
    counts["Query"]         # calls of one operation (0 when none)
    dict(counts)            # {"Query": 3, "TransactWriteItems": 12, ...}
    counts.ops              # in order: ["dynamodb:GetItem", "sns:Publish", ...]

Nested blocks each see the calls made while they are open.
"""
from __future__ import annotations

import contextlib
import threading
from collections import Counter
from typing import Any, Iterator

from botocore.client import BaseClient

_lock = threading.Lock()
_active: list["CallCounts"] = []
_real_call = BaseClient._make_api_call


class CallCounts(Counter):
    """Calls by operation name; `.total` is the sum, `.ops` the calls in order."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[str] = []

    @property
    def total(self) -> int:
        return sum(self.values())


def _counting_call(self: BaseClient, operation_name: str, api_params: Any) -> Any:
    with _lock:
        for counts in _active:
            counts[operation_name] += 1
            counts.ops.append(f"{self.meta.service_model.service_name}:{operation_name}")
    return _real_call(self, operation_name, api_params)


@contextlib.contextmanager
def count_calls() -> Iterator[CallCounts]:
    """Count every AWS call made (by any thread) while the block runs."""
    counts = CallCounts()
    with _lock:
        if not _active:
            BaseClient._make_api_call = _counting_call  # type: ignore[method-assign]
        _active.append(counts)
    try:
        yield counts
    finally:
        with _lock:
            _active.remove(counts)
            if not _active:
                BaseClient._make_api_call = _real_call  # type: ignore[method-assign]
