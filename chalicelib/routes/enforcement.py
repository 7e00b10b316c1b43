"""Network enforcement routes (API.md "Network enforcement"): what the networks saw, and
the delta list of blocks and unblocks every operator's EIR applies."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import clock, web
from chalicelib.errors import HamtaError
from chalicelib.lazy import lazy

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.network import enforcement_list, observation_rows, observations
else:
    enforcement_list = lazy("chalicelib.services.network.enforcement_list")
    observations = lazy("chalicelib.services.network.observations")
    observation_rows = lazy("chalicelib.services.network.observation_rows")

# 1000 rows of {imei, msisdn, seen_at} in Persian digits are ~150 KB: this route's body
# limit (API.md: 512 KiB) is larger than the 16 KiB of every other route.
OBSERVATIONS_MAX_BYTES = 512 * 1024


def _invalid(field: str) -> object:
    """400 invalid_request naming the field (API.md "Conventions")."""
    body = HamtaError("invalid_request").body(web.lang(bp.current_request))
    body["error"]["field"] = field
    return web.json_response(body, 400)


@web.route(bp, "/operator/observations", methods=["POST"])
def post_observations() -> object:
    request = bp.current_request
    operator = web.partner(request, "operator")
    data = web.body(request, required={"observations": list}, max_bytes=OBSERVATIONS_MAX_BYTES)
    rows = data["observations"]
    if len(rows) > observations.MAX_ROWS:
        return _invalid("observations")
    now = clock.now()
    accepted, rejected = observation_rows.parse_rows(rows, now)
    observations.record(accepted, now, operator)
    return web.json_response({"accepted": len(accepted), "rejected": rejected}, 202)


@web.route(bp, "/operator/enforcement", methods=["GET"])
def get_enforcement() -> object:
    request = bp.current_request
    web.partner(request, "operator")
    params = request.query_params or {}
    if set(params) - {"since", "limit"}:
        raise HamtaError("invalid_request")
    limit = params.get("limit", str(enforcement_list.DEFAULT_PAGE))
    if not limit.isascii() or not limit.isdigit() or not 1 <= int(limit) <= enforcement_list.MAX_PAGE:
        return _invalid("limit")
    try:
        entries, cursor = enforcement_list.page(params.get("since"), int(limit))
    except enforcement_list.BadCursor:
        return _invalid("since")
    return web.json_response({"entries": entries, "next": cursor})
