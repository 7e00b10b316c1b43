"""Partner routes of the guide's menu: the registrars' model table and customs' traveller
registration (API.md "Models (registrar)", "Traveller registration")."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import web
from chalicelib.identifiers import (
    parse_entry_date,
    parse_imei,
    parse_msisdn,
    parse_passport,
    parse_tac,
)
from chalicelib.lazy import lazy

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.registry import models_table, travellers
else:
    models_table = lazy("chalicelib.services.registry.models_table")
    travellers = lazy("chalicelib.services.registry.travellers")


@web.route(bp, "/registrar/models/{tac}", methods=["PUT"])
def put_model(tac: str) -> object:
    request = bp.current_request
    web.partner(request, "registrar")
    data = web.body(request, required={"brand": str, "model": str, "sim_slots": int})
    return web.json_response(
        models_table.put_model(parse_tac(tac), data["brand"], data["model"], data["sim_slots"])
    )


@web.route(bp, "/customs/travellers", methods=["POST"])
def register_traveller() -> object:
    request = bp.current_request
    office = web.partner(request, "customs")
    data = web.body(
        request,
        required={
            "passport": str, "entry_date": str, "msisdn": str, "imei": str,
            "brand": str, "model": str,
        },
        optional={"imei2": str},
    )
    passport = parse_passport(data["passport"])
    entry_date = parse_entry_date(data["entry_date"])
    msisdn = parse_msisdn(data["msisdn"])
    imei = parse_imei(data["imei"])
    imei2 = web.optional(parse_imei, data.get("imei2"))
    answer = travellers.register(
        office, passport, entry_date, msisdn, imei, imei2, data["brand"], data["model"]
    )
    return web.json_response(answer, 201)
