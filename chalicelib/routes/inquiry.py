"""The public IMEI inquiry (API.md "Public IMEI inquiry")."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import web
from chalicelib.services import inquiry

bp = Blueprint(__name__)


@web.route(bp, "/imei/{imei}", methods=["GET"])
def get_imei(imei: str) -> object:
    request = bp.current_request
    return web.json_response(inquiry.inquire(imei, web.client_address(request)))
