"""The HTTP edge shared by every route: bodies in, callers resolved, answers and errors out.

Routes are declared with `route(blueprint, path, ...)`, which renders every HamtaError
as `{"error": {"code", "message"}}` in the caller's language, an AWS fault into 503
service_unavailable and anything else into a bare 500 (logged, never shown).
"""
from __future__ import annotations

import functools
import json
import re
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError
from chalice import Blueprint, Response
from pynamodb.exceptions import PynamoDBException

from chalicelib import keys, log
from chalicelib.errors import HamtaError
from chalicelib.lazy import lazy

# Imported on first use (chalicelib/lazy.py): partner routes never need it.
if TYPE_CHECKING:  # the imports as tools and IDEs see them
    from chalicelib.services.registry import partners
    from chalicelib.services.signin import sessions
    from chalicelib.services.signin.sessions import Caller
    from chalicelib.store.read_ahead import ReadAhead
else:
    partners = lazy("chalicelib.services.registry.partners")
    sessions = lazy("chalicelib.services.signin.sessions")


@functools.lru_cache(maxsize=1)
def _logger():  # -> aws_lambda_powertools.Logger, built on the first fault (cold start)
    from aws_lambda_powertools import Logger

    return Logger(service=log.SERVICE, child=True)


MAX_BODY_BYTES = 16 * 1024
# Accepted so a client that forgets the header still gets our 400s, not Chalice's 415.
CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded"]


def lang(request: Any) -> str:
    header = (request.headers or {}).get("accept-language", "") if request else ""
    first = header.split(",")[0].split(";")[0].strip().lower()
    return "en" if first.startswith("en") else "fa"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def no_content() -> Response:
    return Response(body="", status_code=204)


def error_response(error: HamtaError, request: Any) -> Response:
    return json_response(error.body(lang(request)), error.status, error.headers())


# Answers Chalice makes itself, before any view runs, and the codes we give them.
_FRAMEWORK_ERRORS = {405: "method_not_allowed", 415: "unsupported_media_type"}


def shape_framework_errors(event: Any, get_response: Callable) -> Response:
    """HTTP middleware: Chalice's own 405 and 415 answers (`{"Code", "Message"}`) in our
    error shape and the caller's language. (API Gateway's own answers on AWS are shaped
    by the GatewayResponses in infra/template.json.)"""
    response = get_response(event)
    code = _FRAMEWORK_ERRORS.get(response.status_code)
    if code is None:
        return response
    headers = {k: v for k, v in (response.headers or {}).items() if k.lower() != "content-type"}
    return json_response(HamtaError(code).body(lang(event)), response.status_code, headers)


def route(bp: Blueprint, path: str, **options: Any) -> Callable:
    """`bp.route` with our error rendering; JSON and the body limit for every method."""
    options.setdefault("content_types", CONTENT_TYPES)

    def register(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            request = bp.current_request
            # API Gateway's request id (a fresh one locally) and the route on every line.
            log.start_request(f"{request.method} {path}", (request.context or {}).get("requestId"))
            try:
                return answer(*args, **kwargs)
            finally:
                log.end_request()

        def answer(*args: Any, **kwargs: Any) -> Any:
            # Path parameters may arrive percent-encoded ("+98%20912..."): decode them once.
            kwargs = {k: unquote(v) if isinstance(v, str) else v for k, v in kwargs.items()}
            try:
                check_text(kwargs)
                check_text(dict(bp.current_request.query_params or {}))
                return view(*args, **kwargs)
            except HamtaError as error:
                request = bp.current_request
                return error_response(error.on_route(request.method, path), request)
            except (BotoCoreError, ClientError, PynamoDBException):
                # AWS refused or is out of reach (throttled after botocore's retries): every
                # write is conditional or transactional, so nothing was half done. Try again.
                _logger().exception("aws unavailable", extra={"path": path})
                return error_response(
                    HamtaError("service_unavailable", retry_after=1), bp.current_request
                )
            except Exception:  # a fault, not the caller's doing: log it, show nothing
                _logger().exception("unhandled error", extra={"path": path})
                return error_response(HamtaError("internal_error"), bp.current_request)

        bp.route(path, **options)(guarded)
        return view

    return register


_TYPES: dict[type, tuple[type, ...]] = {str: (str,), int: (int,), bool: (bool,), list: (list,)}

# JSON deeper than this is refused before it is parsed: Python's parser recurses, and a
# body of 10 KB of "[" would otherwise end in a RecursionError (a 500).
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# Text no field may hold: C0 and C1 control characters and lone surrogates ("\udc00" is
# valid JSON but not Unicode; it would fail later in argon2, HMAC or DynamoDB).
_BAD_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _too_deep(text: str) -> bool:
    depth = 0
    for ch in _JSON_STRING.sub("", text):
        if ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def bad_text(value: Any) -> bool:
    """True if any text in `value` (keys too, nested too) holds a control character or a
    lone surrogate."""
    if isinstance(value, str):
        return _BAD_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(bad_text(k) or bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(bad_text(v) for v in value)
    return False


def check_text(values: dict[str, Any]) -> None:
    """400 invalid_request naming the first field (path parameter, query parameter)
    whose text is not clean Unicode."""
    for name, value in values.items():
        if bad_text(name) or bad_text(value):
            raise HamtaError("invalid_request", field=name if not bad_text(name) else None)


# Python refuses to read an int of more than 4,300 digits (a ValueError for the whole
# body); longer than this, a number is read as an infinity, which no field accepts, so
# one such row is rejected alone (API.md "Network enforcement").
MAX_INT_DIGITS = 64


def _bounded_int(text: str) -> int | float:
    if len(text) <= MAX_INT_DIGITS:
        return int(text)
    return float("-inf") if text.startswith("-") else float("inf")


def body(
    request: Any,
    required: dict[str, type] | None = None,
    optional: dict[str, type] | None = None,
    max_bytes: int = MAX_BODY_BYTES,
) -> dict[str, Any]:
    """The JSON object in the request, checked against the fields a route takes.

    Oversized, malformed, too deeply nested, not an object, unknown fields, missing
    fields, wrong types and text that is not clean Unicode (control characters, lone
    surrogates) are all `400 invalid_request`, naming the field when it is about one.
    """
    required = required or {}
    optional = optional or {}
    try:
        raw = request.raw_body or b""
    except UnicodeError:  # a body that is no text at all
        raise HamtaError("invalid_request") from None
    if len(raw) > max_bytes:
        raise HamtaError("invalid_request")
    if not raw.strip():
        data: Any = {}
    else:
        try:
            text = raw.decode("utf-8")
            if _too_deep(text):
                raise HamtaError("invalid_request")
            data = json.loads(text, parse_int=_bounded_int)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise HamtaError("invalid_request") from None
    if not isinstance(data, dict):
        raise HamtaError("invalid_request")
    fields = {**optional, **required}
    for name in sorted(data):
        if name not in fields:
            raise HamtaError("invalid_request", field=None if bad_text(name) else name)
    for name in sorted(required):
        if name not in data:
            raise HamtaError("invalid_request", field=name)
    for name, value in data.items():
        wanted = fields[name]
        if value is None and name in optional:
            continue
        # bool is an int in Python; JSON true is never a number here.
        if not isinstance(value, _TYPES[wanted]) or (wanted is int and isinstance(value, bool)):
            raise HamtaError("invalid_request", field=name)
        # A list's rows are judged one by one by its service (API.md: the operators'
        # observations reject a malformed row by index and keep the others).
        if wanted is not list and bad_text(value):
            raise HamtaError("invalid_request", field=name)
    return data


def optional(parse: Callable[[Any], Any], value: Any) -> Any:
    """`parse(value)` for an optional field, None when it was left out (or sent as null).

    Every route parses its typed input here, at the edge (identifiers.parse_* on the body's
    fields and the path's parameters, after the session and `body`), and hands the services
    canonical values: a service never sees what a person typed."""
    return None if value is None else parse(value)


def peek(request: Any, name: str) -> str | None:
    """A text field of the body, or None, with no judgement: for reading ahead only (the
    route still checks its body with `body`, after the session, so 401 comes first)."""
    try:
        raw = request.raw_body or b""
        if not raw or len(raw) > MAX_BODY_BYTES or _too_deep(raw.decode("utf-8")):
            return None
        data = json.loads(raw)
    except (UnicodeError, ValueError, RecursionError):
        return None
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def bearer(request: Any) -> str | None:
    header = (request.headers or {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def caller(
    request: Any,
    kinds: tuple[str, ...] = ("sim", "national_id"),  # sessions.SIM, sessions.NATIONAL_ID
    admit_temporary_password: bool = False,
) -> Caller:
    """The session behind the request: 401 without one, 403 for the wrong cartable kind,
    403 password_change_required for a temporary-password session outside PUT /me/password."""
    return caller_with(request, (), kinds, admit_temporary_password)[0]


def caller_with(
    request: Any,
    also: list,
    kinds: tuple[str, ...] = ("sim", "national_id"),
    admit_temporary_password: bool = False,
) -> tuple[Caller, ReadAhead]:
    """`caller`, with `also` [(model, keys)] the route's service will read fetched with
    the session in one call: (the caller, what was read ahead, for the service's `ahead=`)."""
    who, ahead = sessions.resolve_with(bearer(request), also)
    if who.kind not in kinds:
        if kinds == (sessions.NATIONAL_ID,):
            # A SIM session on a national-ID route: say how to get there.
            raise HamtaError("forbidden", reason="national_id_cartable_required")
        raise HamtaError("forbidden")
    if who.must_change_password and not admit_temporary_password:
        raise HamtaError("password_change_required")
    return who, ahead


def partner(request: Any, role: str) -> str:
    """The partner key's holder name: 401 for no or a wrong key, 403 for the other role."""
    return partner_with(request, role)[0]


def partner_identity(request: Any, role: str) -> str:
    """Who a partner is, for what it registers: its name, or for a key provisioned without
    one (named after its role) the key itself, so two unnamed registrars stay apart."""
    name = partner(request, role)
    if name != role:
        return name
    return "key#" + keys.token_hash(bearer(request) or "")[:32]


def partner_with(request: Any, role: str, also: list = ()) -> tuple[str, ReadAhead]:
    """`partner`, with `also` [(model, keys)] the route's service will read fetched with
    the key in one BatchGetItem (services/registry/partners.py): (holder name, what was
    read ahead)."""
    item, ahead = partners.check_key(bearer(request), also)
    if item is None:
        raise HamtaError("unauthorized", reason="partner_key")
    if item.role != role:
        raise HamtaError("forbidden", reason="partner_role")
    return item.name or role, ahead


def client_address(request: Any) -> str:
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown"
