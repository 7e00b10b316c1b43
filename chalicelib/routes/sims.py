"""Routes of SIM management in a national-ID cartable: list, add by SMS code, remove."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.identifiers import parse_code, parse_msisdn
from chalicelib.lazy import lazy
from chalicelib.web import body, caller, json_response, no_content, route

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.signin import sessions
    from chalicelib.services.sims import cartable_sims
else:
    cartable_sims = lazy("chalicelib.services.sims.cartable_sims")
    sessions = lazy("chalicelib.services.signin.sessions")

NID_ONLY = ("national_id",)  # sessions.NATIONAL_ID, without importing sessions


@route(bp, "/sims", methods=["GET"])
def list_sims():
    who = caller(bp.current_request, kinds=NID_ONLY)
    return json_response({"sims": cartable_sims.list_sims(who.person)})


@route(bp, "/sims", methods=["POST"])
def add_sim():
    who = caller(bp.current_request, kinds=NID_ONLY)
    data = body(bp.current_request, required={"msisdn": str})
    msisdn = parse_msisdn(data["msisdn"])
    return json_response(cartable_sims.request_add(who.person, msisdn), 202)


@route(bp, "/sims/verify", methods=["POST"])
def verify_sim():
    who = caller(bp.current_request, kinds=NID_ONLY)
    data = body(bp.current_request, required={"msisdn": str, "code": str})
    msisdn = parse_msisdn(data["msisdn"])
    added = cartable_sims.verify_add(who.person, msisdn, parse_code(data["code"]))
    return json_response(added, 201)


@route(bp, "/sims/{msisdn}", methods=["DELETE"])
def remove_sim(msisdn):
    who = caller(bp.current_request, kinds=NID_ONLY)
    cartable_sims.remove(who.person, parse_msisdn(msisdn))
    return no_content()
