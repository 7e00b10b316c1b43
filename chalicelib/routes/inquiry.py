"""The public IMEI inquiry (API.md "Public IMEI inquiry")."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import web
from chalicelib.services import inquiry
from chalicelib.services import observations

bp = Blueprint(__name__)


@web.route(bp, "/imei/{imei}", methods=["GET"])
def get_imei(imei: str) -> object:
    request = bp.current_request
    answer = inquiry.inquire(imei, web.client_address(request))
    answer.update(observations.inquiry_flags(answer["imei"]))  # "flags": ["duplicate"]
    return web.json_response(answer)
