"""A rail that holds a job's work: logged with its figures, and a CloudWatch metric the
alarms in infra/template.json watch (Embedded Metric Format: one log line, no API call)."""
from __future__ import annotations

import json
import sys
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib import clock, log, settings

logger = Logger(service=log.SERVICE, child=True)

NAMESPACE = "Hamta"
ENFORCEMENT_RAIL = "EnforcementRailHeld"  # an operator's blocks held by enforce's rail
EXPIRY_RAIL = "ExpiryRailHeld"  # a run of expire_sims that detached none


def raise_alarm(metric: str, message: str, figures: dict[str, Any]) -> None:
    """Log why the rail held (with the figures) and put 1 on `metric` (per stage)."""
    logger.error(message, extra={"rail": {"metric": metric, **figures}})
    emf = {
        "_aws": {
            "Timestamp": int(clock.now() * 1000),
            "CloudWatchMetrics": [
                {"Namespace": NAMESPACE, "Dimensions": [["Stage"]], "Metrics": [{"Name": metric, "Unit": "Count"}]}
            ],
        },
        "Stage": settings.STAGE,
        metric: 1,
    }
    # Lambda sends stdout to CloudWatch Logs, which turns this line into the metric.
    print(json.dumps(emf), file=sys.stdout, flush=True)
