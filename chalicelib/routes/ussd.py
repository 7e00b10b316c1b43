"""USSD *7777# for the operators' USSD gateways (API.md "USSD *7777# and SMS to 7777")."""
from __future__ import annotations

from typing import TYPE_CHECKING

import unicodedata

from chalice import Blueprint

from chalicelib import identifiers, web
from chalicelib.errors import HamtaError
from chalicelib.lazy import lazy

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.channels import ussd
else:
    ussd = lazy("chalicelib.services.channels.ussd")

MAX_SESSION_ID = 200


@web.route(bp, "/ussd", methods=["POST"])
def post_ussd() -> object:
    request = bp.current_request
    # What the step will read comes with the partner key, in one call; the number is
    # parsed once, and told after the key and the body.
    typed = identifiers.Parsed(identifiers.parse_msisdn, web.peek(request, "msisdn"))
    _, ahead = web.partner_with(request, "operator", ussd.prefetch(typed.value, web.peek(request, "text")))
    data = web.body(request, required={"session_id": str, "msisdn": str, "text": str})
    msisdn = typed.get(data["msisdn"])
    # What the gateway itself garbles (no text a keypad makes) is its 400, not a reply.
    if not 0 < len(data["session_id"]) <= MAX_SESSION_ID or not all(
        _printable(data[name]) for name in ("session_id", "text")
    ):
        raise HamtaError("invalid_request")
    reply = ussd.answer(msisdn, data["text"], ahead=ahead)
    return web.json_response({"reply": reply.text, "end": reply.end})


def _printable(value: str) -> bool:
    """Encodes as UTF-8 (no lone surrogates) and holds no control characters."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(unicodedata.category(c) == "Cc" for c in value)
