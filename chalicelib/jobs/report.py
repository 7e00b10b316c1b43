"""What a job run did: counters its threads add to, logged and returned as one dict."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

# Failures worth counting and leaving for the next run (throttling after botocore's own
# retries, a race lost every time); anything else is a bug and aborts the run loudly.
AWS_ERRORS = (PynamoDBException, ClientError, BotoCoreError)


@dataclass
class RunReport:
    """A job's report: subclasses declare their counters as fields with defaults."""

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}
