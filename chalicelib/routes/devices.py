"""Device routes (API.md "Devices"): listing, activation, recovery, sale and history."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import web
from chalicelib.identifiers import Parsed, parse_code, parse_imei, parse_msisdn
from chalicelib.lazy import lazy

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.devices import activation, device_history, devices, recovery, transfer
else:
    activation = lazy("chalicelib.services.devices.activation")
    device_history = lazy("chalicelib.services.devices.device_history")
    devices = lazy("chalicelib.services.devices.devices")
    recovery = lazy("chalicelib.services.devices.recovery")
    transfer = lazy("chalicelib.services.devices.transfer")


@web.route(bp, "/devices", methods=["GET"])
def list_devices() -> object:
    who = web.caller(bp.current_request)
    return web.json_response({"devices": devices.list_devices(who)})


@web.route(bp, "/devices", methods=["POST"])
def recover_device() -> object:
    request = bp.current_request
    typed = Parsed(parse_imei, web.peek(request, "imei"))  # parsed once, told in turn
    who, ahead = web.caller_with(request, devices.prefetch(typed.value))
    data = web.body(
        request, required={"imei": str}, optional={"previous_msisdn": str, "msisdn": str}
    )
    imei = typed.get(data["imei"])
    previous = web.optional(parse_msisdn, data.get("previous_msisdn"))
    msisdn = web.optional(parse_msisdn, data.get("msisdn"))
    device = recovery.recover(who, imei, previous, msisdn, ahead=ahead)
    return web.json_response({"device": device}, 201)


@web.route(bp, "/devices/activate", methods=["POST"])
def activate_device() -> object:
    request = bp.current_request
    typed = Parsed(parse_imei, web.peek(request, "imei"))  # parsed once, told in turn
    who, ahead = web.caller_with(request, devices.prefetch(typed.value))
    data = web.body(request, required={"imei": str, "activation_code": str}, optional={"msisdn": str})
    imei = typed.get(data["imei"])
    code = parse_code(data["activation_code"], "activation_code")
    msisdn = web.optional(parse_msisdn, data.get("msisdn"))
    device = activation.activate(who, imei, code, msisdn, ahead=ahead)
    return web.json_response({"device": device}, 201)


@web.route(bp, "/devices/{imei}/transfer", methods=["POST"])
def offer_device(imei: str) -> object:
    request = bp.current_request
    typed = Parsed(parse_imei, imei)  # parsed once, told after the session and body
    who, ahead = web.caller_with(request, devices.prefetch(typed.value))
    data = web.body(request, optional={"password": str})
    offer = transfer.offer(who, typed.get(), data.get("password"), ahead=ahead)
    return web.json_response({"activation_code": offer["activation_code"],
                              "expires_at": offer["expires_at"]}, 201)


@web.route(bp, "/devices/{imei}/transfer", methods=["DELETE"])
def withdraw_offer(imei: str) -> object:
    who = web.caller(bp.current_request)
    transfer.withdraw(who, parse_imei(imei))
    return web.no_content()


@web.route(bp, "/devices/{imei}/history", methods=["GET"])
def show_device_history(imei: str) -> object:
    who = web.caller(bp.current_request)
    return web.json_response({"events": device_history.history(who, parse_imei(imei))})
