"""The service's log lines (chalicelib/log.py): JSON from the one logger, each request's
lines carrying its request id and route, and never a code, password, token or whole
national ID or number."""
from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest

from chalicelib import log
from tests.flows import PASSWORD, activate_new_device, latest_code, new_nid_cartable


@pytest.fixture
def lines():
    """read() -> the JSON lines the service wrote since the test began."""
    handler = log.logger.registered_handler
    out = io.StringIO()
    previous = handler.setStream(out)

    def read() -> list[dict]:
        return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]

    yield read
    handler.setStream(previous)


def test_request_lines_carry_request_id_and_route_and_no_secret(api, lines):
    national_id, msisdn, token = new_nid_cartable(api)
    code = latest_code(msisdn)
    status, _ = activate_new_device(api, token)
    assert status == 201
    records = lines()
    assert records, "the flow logged nothing"
    for record in records:
        assert record["service"] == "hamta"
        assert record["request_id"] and record["route"].split(" ")[0] in ("GET", "POST", "PUT", "DELETE")
    routes = {r["route"] for r in records}
    assert "POST /auth/otp" in routes and "POST /devices/activate" in routes
    text = json.dumps(records, ensure_ascii=False)
    for secret in (code, PASSWORD, token, national_id, msisdn, msisdn[-10:]):
        assert secret not in text
    # One id per request: no id spans two routes.
    routes_of: dict[str, set] = {}
    for r in records:
        routes_of.setdefault(r["request_id"], set()).add(r["route"])
    assert all(len(r) == 1 for r in routes_of.values())


def test_lambda_handlers_log_with_the_lambda_context(lines):
    seen = []

    @log.lambda_handler
    def handler(event):
        log.logger.info("inside")
        seen.append(event)
        return "done"

    context = SimpleNamespace(
        function_name="hamta-dev-enforce", memory_limit_in_mb=512, aws_request_id="req-1",
        invoked_function_arn="arn:aws:lambda:us-east-1:1:function:hamta-dev-enforce",
    )
    event = SimpleNamespace(context=context)
    assert handler(event) == "done" and seen == [event]
    record = lines()[-1]
    assert record["message"] == "inside" and record["function_request_id"] == "req-1"
    assert record["function_name"] == "hamta-dev-enforce"
    # Without a Lambda context (a test, scripts/local.py) the handler still runs.
    assert handler(SimpleNamespace(context=None)) == "done"
