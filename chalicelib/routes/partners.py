"""Partner routes (API.md "Partners"): the operators' SIM feed and the registrars' devices."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import identifiers, web
from chalicelib.errors import HamtaError
from chalicelib.lazy import lazy

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.registry import registrar
    from chalicelib.services.sims import sim_records
else:
    registrar = lazy("chalicelib.services.registry.registrar")
    sim_records = lazy("chalicelib.services.sims.sim_records")


@web.route(bp, "/operator/sims/{msisdn}", methods=["PUT"])
def put_operator_sim(msisdn: str) -> object:
    request = bp.current_request
    web.partner(request, "operator")
    data = web.body(
        request, required={"national_id": str, "status": str}, optional={"expires_at": str}
    )
    number = identifiers.parse_msisdn(msisdn)
    national_id = identifiers.parse_national_id(data["national_id"])
    if data["status"] not in (sim_records.ACTIVE, sim_records.EXPIRED):
        raise HamtaError("invalid_request", field="status")
    expires_at = data.get("expires_at")
    sim = sim_records.operator_update(
        number,
        national_id,
        data["status"],
        _instant(expires_at) if expires_at else None,
    )
    return web.json_response(
        {
            "msisdn": sim.msisdn,
            "national_id": sim.national_id,
            "status": sim.status,
            "expires_at": expires_at,
            "ownership": int(sim.ownership),
        }
    )


def _instant(value: str) -> float:
    try:
        return sim_records.parse_instant(value)
    except HamtaError as error:
        raise HamtaError(error.code, field="expires_at") from None


@web.route(bp, "/registrar/devices", methods=["POST"])
def post_registrar_device() -> object:
    request = bp.current_request
    partner = web.partner_identity(request, "registrar")
    data = web.body(
        request,
        required={"imei": str, "source": str},
        optional={"imei2": str, "brand": str, "model": str},
    )
    imei = identifiers.parse_imei(data["imei"])
    imei2 = identifiers.parse_imei(data["imei2"]) if data.get("imei2") else None
    for field in ("brand", "model"):
        if data.get(field) is not None and len(data[field]) > 100:
            raise HamtaError("invalid_request", field=field)
    code = registrar.register_device(
        imei, imei2, data.get("brand"), data.get("model"), data["source"], registrar=partner
    )
    if code is None:
        return web.json_response({}, 201)  # a repair part: no code, it is never activated
    return web.json_response({"activation_code": code, "imei": imei}, 201)
