"""Every field of every route: bad text is a 400 in the error shape, never a 500 (API.md
"Conventions", issue 10 item 1 and 4).

Parametrised over the app's own route table, so a route merged later is swept too. For each
route the test finds, by asking the route itself, which credential opens it and which body
fields it takes (`invalid_request` names the missing or unknown field), then puts a lone
surrogate, a control character, deep nesting and fullwidth digits into each field, each
path parameter and a query parameter.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from testkit import ids
from tests.conftest import OPERATOR_KEY, REGISTRAR_KEY
from tests.flows import new_nid_cartable, new_sim_cartable


def _app_routes() -> list[tuple[str, str]]:
    import app as app_module

    return sorted(
        (method, path)
        for path, entries in app_module.app.routes.items()
        for method in entries
    )


ROUTES = _app_routes()

# A well-formed value for each field name the API uses; anything else gets "x".
SAMPLES = {
    "msisdn": lambda: ids.msisdn(),
    "previous_msisdn": lambda: ids.msisdn(),
    "national_id": lambda: ids.national_id(),
    "imei": lambda: ids.imei(),
    "imei2": lambda: ids.imei(),
    "new_imei": lambda: ids.imei(),
    "new_imei2": lambda: ids.imei(),
    "birth_date": lambda: "1370/05/12",
    "entry_date": lambda: "2026-01-01",
    "code": lambda: "123456",
    "activation_code": lambda: "123456",
    "captcha_id": lambda: "no-such-captcha",
    "captcha_answer": lambda: "12345",
    "password": lambda: "a-Strong-pass-1",
    "old_password": lambda: "a-Strong-pass-1",
    "new_password": lambda: "another-Strong-2",
    "channel": lambda: "sms",
    "source": lambda: "import",
    "status": lambda: "active",
    "tac": lambda: "35000000",
    "passport": lambda: "X1234567",
}
PATH_SAMPLES = {"imei": "356938035643809", "msisdn": "09121234567", "tac": "35693803"}
# Names an optional field may have; each is offered to every route, which refuses the
# ones it does not take (invalid_request naming them).
CANDIDATE_FIELDS = sorted(SAMPLES) + ["brand", "model", "reason", "sim_slots", "expires_at"]

SURROGATE = "12\udc00"
CONTROL = "12\u0000"
DEEP = "[" * 10_000
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _sample(name):
    return SAMPLES.get(name, lambda: "x")()


class Credentials:
    """A national-ID and a SIM session, made once and made again on demand: a route may
    end a session (logout, DELETE /me/sessions)."""

    def __init__(self, api):
        self.api = api
        self.tokens = None

    def all(self, fresh=False):
        if fresh or self.tokens is None:
            _, _, nid_token = new_nid_cartable(self.api)
            _, _, sim_token = new_sim_cartable(self.api)
            self.tokens = [nid_token, sim_token, OPERATOR_KEY, REGISTRAR_KEY, None]
        return self.tokens

    def accepted(self, method, url):
        """The first credential the route does not refuse (401/403), with new sessions when
        the ones in hand were ended; the last one tried (none) when it refuses them all."""
        for fresh in (False, True):
            for token in self.all(fresh):
                status, _ = _call(self.api, method, url, token)
                if status not in (401, 403):
                    return token
        return token


def _call(api, method, path, token, body=None, raw=None):
    status, data, headers = api.call(method, path, body=body, token=token, raw=raw)
    assert status < 500, (method, path, status, data)
    return status, data


def _names_field(data, name):
    return (
        isinstance(data, dict)
        and data.get("error", {}).get("code") == "invalid_request"
        and data["error"].get("field") == name
    )


def _assert_error_shape(status, data, context):
    assert status == 400, context
    assert isinstance(data, dict) and set(data["error"]) >= {"code", "message"}, context


def _fill(path):
    return re.sub(r"\{(\w+)\}", lambda m: PATH_SAMPLES.get(m[1], "x"), path)


def _discover(api, method, path, tokens):
    """(token, required fields with good values, optional field names) or None when the
    route reads no body."""
    url = _fill(path)
    for token in tokens:
        status, data = _call(api, method, url, token, body={"zz_probe": 1})
        if _names_field(data, "zz_probe"):
            break
    else:
        return None
    good: dict = {}
    for _ in range(12):
        status, data = _call(api, method, url, token, body=good)
        missing = data.get("error", {}).get("field") if isinstance(data, dict) else None
        if missing is None or not _names_field(data, missing):
            break
        if missing not in good:
            good[missing] = _sample(missing)
            continue
        for other in (1, True, [], {}):  # the sample's type is wrong for it: try others
            status, data = _call(api, method, url, token, body={**good, missing: other})
            if not _names_field(data, missing):
                good[missing] = other
                break
        else:
            break
    optional = []
    for name in CANDIDATE_FIELDS:
        if name not in good:
            status, data = _call(api, method, url, token, body={**good, name: _sample(name)})
            if not _names_field(data, name):
                optional.append(name)
    return token, good, optional


@pytest.mark.parametrize("method,path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_bad_text_in_every_field_is_a_400(api, method, path):
    credentials = Credentials(api)
    found = _discover(api, method, path, credentials.all())
    swept = 0
    if found is not None:
        token, good, optional = found
        url = _fill(path)
        # Deep nesting, as the whole body and inside a field.
        for raw in (DEEP, json.dumps({**good})[:-1] + ', "zz": ' + "[" * 5000 + "]" * 5000 + "}"):
            status, data = _call(api, method, url, token, raw=raw)
            _assert_error_shape(status, data, (method, path, "deep"))
            assert data["error"]["code"] == "invalid_request"
            swept += 1
        for name in list(good) + optional:
            for bad in (SURROGATE, CONTROL, "x\u009f"):
                status, data = _call(api, method, url, token, body={**good, name: bad})
                _assert_error_shape(status, data, (method, path, name, bad))
                assert _names_field(data, name), (method, path, name, data)
                swept += 1
            sample = good.get(name, _sample(name))
            if isinstance(sample, str) and re.search(r"[0-9]", sample):
                if name in ("password", "old_password", "new_password"):
                    continue  # any character may be in a password
                fullwidth = sample[:-1] + sample[-1].translate(FULLWIDTH)
                if sample[-1].isdigit():
                    status, data = _call(api, method, url, token, body={**good, name: fullwidth})
                    _assert_error_shape(status, data, (method, path, name, fullwidth))
                    if data["error"]["code"] == "invalid_request":
                        assert data["error"].get("field") == name, data
                    swept += 1
    # Path parameters and the query string, with whichever credential the route accepts.
    params = re.findall(r"\{(\w+)\}", path)
    token = credentials.accepted(method, _fill(path))
    for param in params:
        good_value = PATH_SAMPLES.get(param, "x")
        for bad in ("%00", quote("x\u009f"), quote(good_value[:-1]) + "%EF%BC%91"):
            url = path.replace("{" + param + "}", bad)
            url = re.sub(r"\{(\w+)\}", lambda m: PATH_SAMPLES.get(m[1], "x"), url)
            status, data = _call(api, method, url, token)
            _assert_error_shape(status, data, (method, url))
            swept += 1
    status, data = _call(api, method, _fill(path) + "?q=%01", token)
    _assert_error_shape(status, data, (method, path, "query"))
    assert _names_field(data, "q"), data
    assert swept or (not params and found is None)


def test_fullwidth_digits_do_not_make_a_second_number(api):
    """0912128000１ is not 09121280001 with its own counters: it is not a number at all."""
    from tests.flows import captcha

    captcha_id, answer = captcha(api)
    status, data, _ = api.post(
        "/auth/otp", {"msisdn": "0912128000１", "captcha_id": captcha_id, "captcha_answer": answer}
    )
    assert (status, data["error"]["code"]) == (400, "invalid_msisdn")
    status, data, _ = api.get("/imei/" + quote("35693803564380９"))
    assert (status, data["error"]["code"]) == (400, "invalid_imei")


def test_persian_and_arabic_indic_digits_still_work(api):
    status, data, _ = api.get("/imei/" + quote("۳۵۶۹۳۸۰۳۵۶۴۳۸۰۹"))
    assert status == 200 and data["imei"] == "356938035643809"
    status, data, _ = api.get("/imei/" + quote("٣٥٦٩٣٨٠٣٥٦٤٣٨٠٩"))
    assert status == 200 and data["imei"] == "356938035643809"


def test_login_with_a_lone_surrogate_is_the_same_400_for_any_id(api):
    """Issue 10 item 1: a 500 for IDs with a cartable and a 401 for others told them apart."""
    from tests.flows import captcha

    nid, _, _ = new_nid_cartable(api)
    answers = []
    for national_id in (nid, ids.national_id()):
        captcha_id, answer = captcha(api)
        status, data, _ = api.post("/auth/login", raw=json.dumps({
            "national_id": national_id, "password": "x\udc00",
            "captcha_id": captcha_id, "captcha_answer": answer,
        }))
        answers.append((status, data["error"]["code"], data["error"].get("field")))
    assert answers == [(400, "invalid_request", "password")] * 2


@pytest.mark.parametrize("typed", ["1370/05/12", "1370-05-12", "۱۳۷۰-۰۵-۱۲", "1991-08-03", "1370/5/12"])
def test_birth_dates_typed_either_way_name_the_same_day(typed):
    from datetime import date

    from chalicelib.identifiers import parse_birth_date

    assert parse_birth_date(typed) == date(1991, 8, 3)


@pytest.mark.parametrize("typed", ["１370/05/12", "1991/08/03", "1991-8-3", "१३७०/०५/१२"])
def test_birth_dates_of_other_scripts_or_mixed_forms_are_refused(typed):
    from chalicelib.errors import HamtaError
    from chalicelib.identifiers import parse_birth_date

    with pytest.raises(HamtaError) as refused:
        parse_birth_date(typed)
    assert refused.value.code == "invalid_birth_date"


@pytest.mark.parametrize("typed", ["12345６", "१२३४५६", "12345\uff16"])
def test_codes_with_digits_of_other_scripts_are_refused_unchecked(typed):
    from chalicelib.errors import HamtaError
    from chalicelib.identifiers import parse_code

    with pytest.raises(HamtaError) as refused:
        parse_code(typed, "activation_code")
    assert (refused.value.code, refused.value.field) == ("invalid_request", "activation_code")
