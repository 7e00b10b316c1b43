"""The service's one logger, and what every line of a request or a job carries.

Modules log through a child: `logger = Logger(service=log.SERVICE, child=True)` after
importing this module (Powertools names it hamta.<module> and writes it through the one
handler and formatter of `root()`, so keys appended here reach every child's lines too).
The root is built on first use, not at import: `import app` (a cold start) pays for
Powertools only when a request or a handler runs (issue 16's import budget).

Every HTTP request's lines carry `request_id` and `route` (web.route sets them); every
Lambda handler's lines carry Powertools' Lambda context (`lambda_handler` below). Lines
never carry a code, a password, a token or a whole national ID or number: mask them
(identifiers.mask_msisdn, mask_national_id) or leave them out.
"""
from __future__ import annotations

import functools
import uuid
from typing import Any, Callable

SERVICE = "hamta"


@functools.lru_cache(maxsize=1)
def root():  # -> aws_lambda_powertools.Logger
    """The service's one logger (children write through its handler)."""
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


def __getattr__(name: str) -> Any:
    if name == "logger":  # `log.logger`: the root, built on first use
        return root()
    raise AttributeError(name)


def start_request(route: str, request_id: str | None) -> None:
    """Keys for this request's lines (per thread: the local server runs requests in threads)."""
    root().thread_safe_append_keys(request_id=request_id or uuid.uuid4().hex, route=route)


def end_request() -> None:
    root().thread_safe_clear_keys()


def lambda_handler(handler: Callable) -> Callable:
    """Powertools' inject_lambda_context for a Chalice handler. Chalice calls its scheduled,
    SNS and SQS handlers with one event object holding the context (`event.context`),
    plain Lambda functions with (event, context); Powertools wants (event, context). A run
    with no Lambda context (a test, scripts/local.py) logs without it."""

    @functools.wraps(handler)
    def run(event: Any, *rest: Any) -> Any:
        context = rest[0] if rest else getattr(event, "context", None)
        if not hasattr(context, "aws_request_id"):
            return handler(event, *rest)

        @root().inject_lambda_context(clear_state=True)
        def injected(_event: Any, _context: Any) -> Any:
            return handler(event, *rest)

        return injected({}, context)

    return run
