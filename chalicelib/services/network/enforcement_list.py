"""The operators' delta list (GET /operator/enforcement): the enforcement log, page by page."""
from __future__ import annotations

from chalicelib.store import enforcement_log

DEFAULT_PAGE = 500
MAX_PAGE = enforcement_log.MAX_PAGE
FIELDS = ("imei", "msisdn", "action", "reason", "at")


class BadCursor(Exception):
    """`since` is not a cursor this log gave out."""


def page(since: str | None, limit: int = DEFAULT_PAGE) -> tuple[list[dict], str]:
    """Entries after `since` (None: from the beginning) in log order, and the next cursor."""
    if since is not None and (len(since) > 32 or not since.isascii()):
        raise BadCursor()
    try:
        entries, cursor = enforcement_log.page(since, limit)
    except ValueError:
        raise BadCursor() from None
    return [{k: e[k] for k in FIELDS if k in e} for e in entries], cursor
