"""Routes of signing in: captcha, SIM login by SMS code, national-ID cartable, /me, logout."""
from __future__ import annotations

from typing import TYPE_CHECKING

import time

from chalice import Blueprint

from chalicelib import settings
from chalicelib.identifiers import parse_birth_date, parse_code, parse_msisdn, parse_national_id
from chalicelib.errors import HamtaError
from chalicelib.lazy import lazy
from chalicelib.web import (
    body,
    caller,
    json_response,
    lang,
    no_content,
    route,
    shape_framework_errors,
)

bp = Blueprint(__name__)

# Imported on first use (chalicelib/lazy.py): the cold start declares routes only.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib import captcha
    from chalicelib.services.signin import accounts, forgot_password as forgot, otp, sessions
else:
    accounts = lazy("chalicelib.services.signin.accounts")
    forgot = lazy("chalicelib.services.signin.forgot_password")
    otp = lazy("chalicelib.services.signin.otp")
    sessions = lazy("chalicelib.services.signin.sessions")
    captcha = lazy("chalicelib.captcha")

# App-wide (a blueprint's middleware applies to every route once registered): Chalice's
# own 405/415 answers in the error shape.
bp.middleware("http")(shape_framework_errors)


@route(bp, "/captcha", methods=["POST"])
def new_captcha():
    body(bp.current_request)  # no fields; still refuses junk
    return json_response(captcha.create_captcha(), 201)


@route(bp, "/captcha/audio", methods=["POST"])
def new_audio_captcha():
    """The captcha's non-visual alternative: Persian digits over noise, same rules."""
    body(bp.current_request)  # no fields; still refuses junk
    return json_response(captcha.create_audio_captcha(), 201)


@route(bp, "/auth/otp", methods=["POST"])
def request_otp():
    data = body(
        bp.current_request, required={"msisdn": str, "captcha_id": str, "captcha_answer": str}
    )
    msisdn = parse_msisdn(data["msisdn"])
    captcha.check_captcha(data["captcha_id"], data["captcha_answer"])
    return json_response(otp.send_code(msisdn, otp.LOGIN), 202)


@route(bp, "/auth/otp/verify", methods=["POST"])
def verify_otp():
    data = body(bp.current_request, required={"msisdn": str, "code": str})
    msisdn = parse_msisdn(data["msisdn"])
    token, ttl = accounts.sim_login(msisdn, parse_code(data["code"]))
    return json_response(
        {"token": token, "expires_in": ttl, "cartable": {"kind": sessions.SIM, "msisdn": msisdn}}
    )


@route(bp, "/auth/register", methods=["POST"])
def register():
    who = caller(bp.current_request, kinds=(sessions.SIM,))
    data = body(
        bp.current_request, required={"national_id": str, "birth_date": str, "password": str}
    )
    national_id = parse_national_id(data["national_id"])
    birth_date = parse_birth_date(data["birth_date"])
    return json_response(accounts.register(who, national_id, birth_date, data["password"]), 201)


@route(bp, "/auth/login", methods=["POST"])
def login():
    data = body(
        bp.current_request,
        required={"national_id": str, "password": str, "captcha_id": str, "captcha_answer": str},
    )
    national_id = parse_national_id(data["national_id"])
    captcha.check_captcha(data["captcha_id"], data["captcha_answer"])
    return json_response(accounts.login(national_id, data["password"]))


@route(bp, "/me/password", methods=["PUT"])
def change_password():
    # The one route a temporary-password session may use: to set its own password.
    who = caller(bp.current_request, kinds=(sessions.NATIONAL_ID,), admit_temporary_password=True)
    data = body(bp.current_request, required={"old_password": str, "new_password": str})
    accounts.change_password(who, data["old_password"], data["new_password"])
    return no_content()


@route(bp, "/auth/password/forgot", methods=["POST"])
def forgot_password():
    data = body(
        bp.current_request,
        required={"national_id": str, "msisdn": str, "birth_date": str, "channel": str},
    )
    if data["channel"] != "sms":
        raise HamtaError("invalid_request", field="channel")
    national_id = parse_national_id(data["national_id"])
    msisdn = parse_msisdn(data["msisdn"])
    birth_date = parse_birth_date(data["birth_date"])
    started = time.monotonic()
    forgot.forgot_password(national_id, msisdn, birth_date)
    # One timing class whatever the outcome: every answer waits out the same floor, which
    # is above the slowest path (a send); bench/forgot_timing.py measures it.
    time.sleep(max(0.0, started + settings.FORGOT_ANSWER_FLOOR_MS / 1000 - time.monotonic()))
    return json_response(
        {"status": "accepted", "message": FORGOT_MESSAGE[lang(bp.current_request)]}, 202
    )


# One body for every well-formed request, whatever happened (in the caller's language).
FORGOT_MESSAGE = {
    "fa": "اگر اطلاعات وارد شده درست باشد، رمز عبور موقت به شماره تلفن همراه پیامک می‌شود.",
    "en": "If the details are right, a temporary password is sent by SMS to the mobile number.",
}


@route(bp, "/auth/logout", methods=["POST"])
def logout():
    who = caller(bp.current_request)
    sessions.end_session(who)
    return no_content()


@route(bp, "/me/sessions", methods=["DELETE"])
def end_all_sessions():
    # A temporary-password session may only choose a new password (403 from caller()).
    who = caller(bp.current_request)
    who.end_all_sessions()
    return no_content()


@route(bp, "/me", methods=["GET"])
def me():
    who = caller(bp.current_request)
    cartable = who.cartable()
    if cartable["kind"] == "sim":
        # Whether this SIM is in a national-ID cartable (its phones are kept there): the
        # page then offers no second cartable and says where the phones are.
        cartable["in_national_id_cartable"] = who.linked_national_id() is not None
    return json_response({"cartable": cartable, "sims": who.listed_sims()})
