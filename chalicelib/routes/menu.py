"""The rest of the guide's menu for a cartable (API.md "Lost or stolen", "Repaired phone",
GET /transfers, GET /travellers)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import web
from chalicelib.identifiers import Parsed, parse_imei
from chalicelib.lazy import lazy

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.devices import blocking, repair, transfer_records
    from chalicelib.services.registry import travellers
else:
    blocking = lazy("chalicelib.services.devices.blocking")
    repair = lazy("chalicelib.services.devices.repair")
    transfer_records = lazy("chalicelib.services.devices.transfer_records")
    travellers = lazy("chalicelib.services.registry.travellers")


@web.route(bp, "/devices/{imei}/block", methods=["POST"])
def block_device(imei: str) -> object:
    request = bp.current_request
    typed = Parsed(parse_imei, imei)  # parsed once, told after the session and body
    who, ahead = web.caller_with(request, blocking.prefetch(typed.value))
    data = web.body(request, required={"reason": str})
    return web.json_response({"device": blocking.block(who, typed.get(), data["reason"], ahead=ahead)})


@web.route(bp, "/devices/{imei}/block", methods=["DELETE"])
def unblock_device(imei: str) -> object:
    request = bp.current_request
    typed = Parsed(parse_imei, imei)  # parsed once, told after the session and body
    who, ahead = web.caller_with(request, blocking.prefetch(typed.value))
    data = web.body(request, optional={"password": str})
    device = blocking.unblock(who, typed.get(), data.get("password"), ahead=ahead)
    return web.json_response({"device": device})


@web.route(bp, "/devices/{imei}/repair", methods=["POST"])
def repair_device(imei: str) -> object:
    request = bp.current_request
    typed = Parsed(parse_imei, imei)  # parsed once, told after the session and body
    who, ahead = web.caller_with(request, blocking.prefetch(typed.value))
    data = web.body(request, required={"new_imei": str}, optional={"new_imei2": str, "password": str})
    old, new = typed.get(), parse_imei(data["new_imei"])
    new2 = web.optional(parse_imei, data.get("new_imei2"))
    device = repair.repair(who, old, new, new2, data.get("password"), ahead=ahead)
    return web.json_response({"device": device})


@web.route(bp, "/transfers", methods=["GET"])
def list_transfers() -> object:
    who = web.caller(bp.current_request)
    return web.json_response({"transfers": transfer_records.list_transfers(who)})


@web.route(bp, "/travellers", methods=["GET"])
def list_travellers() -> object:
    who = web.caller(bp.current_request)
    return web.json_response({"registrations": travellers.list_registrations(who)})
