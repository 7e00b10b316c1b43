"""The public IMEI inquiry (API.md "Public IMEI inquiry")."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib import web
from chalicelib.lazy import lazy

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.network import observations
    from chalicelib.services.registry import inquiry
else:
    inquiry = lazy("chalicelib.services.registry.inquiry")
    observations = lazy("chalicelib.services.network.observations")


@web.route(bp, "/imei/{imei}", methods=["GET"])
def get_imei(imei: str) -> object:
    request = bp.current_request
    # The one route that hands its service the IMEI as typed: the asker is counted before
    # the IMEI is judged (a malformed guess costs like a real one), and counting is the
    # service's; it parses right after (inquiry.inquire).
    answer = inquiry.inquire(imei, web.client_address(request))
    answer.update(observations.inquiry_flags(answer["imei"]))  # "flags": ["duplicate"]
    return web.json_response(answer)
