"""Routes of SIMs in your name (API.md "SIMs in your name"): the list, a dispute, the operators' feed of disputes."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import web
from chalicelib.errors import HamtaError
from chalicelib.identifiers import Parsed, parse_msisdn
from chalicelib.lazy import lazy

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.sims import connections
else:
    connections = lazy("chalicelib.services.sims.connections")

NID_ONLY = ("national_id",)  # sessions.NATIONAL_ID, without importing sessions


@web.route(bp, "/me/connections", methods=["GET"])
def list_connections() -> object:
    who = web.caller(bp.current_request, kinds=NID_ONLY)
    return web.json_response(connections.list_connections(who))


@web.route(bp, "/me/connections/{msisdn}/dispute", methods=["POST"])
def dispute_connection(msisdn: str) -> object:
    request = bp.current_request
    typed = Parsed(parse_msisdn, msisdn)  # parsed once, told after the session and body
    who, ahead = web.caller_with(request, connections.prefetch(typed.value), kinds=NID_ONLY)
    web.body(request)  # no fields
    number = typed.get()
    connections.dispute(who, number, ahead=ahead)
    return web.json_response({"msisdn": number}, 202)


@web.route(bp, "/operator/disputes", methods=["GET"])
def list_disputes() -> object:
    request = bp.current_request
    web.partner(request, "operator")
    params = request.query_params or {}
    if set(params) - {"since"}:
        raise HamtaError("invalid_request")
    return web.json_response(connections.feed(connections.parse_cursor(params.get("since"))))
