"""Shared fixtures: an in-process moto AWS with every table, the app's test client, a clock.

The environment is set here, before anything imports `app` or `chalicelib`: table names
and endpoints are read at import (DESIGN.md "Known pitfalls").
"""
from __future__ import annotations

import copy
import itertools
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# Tests own their environment: nothing from the caller's shell leaks into table names,
# limits or endpoints. Every name chalicelib/settings.py reads is cleared, found in its
# source so a setting added there is covered without a change here.
with open(os.path.join(ROOT, "chalicelib", "settings.py"), encoding="utf-8") as _source:
    SETTING_NAMES = set(
        re.findall(r"""(?:_int|_str|environ\.get)\(\s*["']([A-Z0-9_]+)["']""", _source.read())
    )
for _name in list(os.environ):
    if _name.startswith(("HAMTA_", "AWS_")) or _name in SETTING_NAMES:
        del os.environ[_name]
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HAMTA_STAGE": "test",
        "HAMTA_SECRET_KEY": "test-secret-key-not-for-production",
        "CAPTCHA_MODE": "image",
        # The answer's timing floor is measured in bench/forgot_timing.py; tests skip the wait.
        "FORGOT_ANSWER_FLOOR_MS": "0",
    }
)

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import clock, settings  # noqa: E402
from chalicelib.store import tables  # noqa: E402

OPERATOR_KEY = "operator-test-key"
REGISTRAR_KEY = "registrar-test-key"
_addresses = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch):
    """Each test starts from the default settings and the real clock."""
    settings.reload()
    clock.reset()
    yield
    clock.reset()
    settings.reload()


@pytest.fixture(scope="session")
def _emulated_aws():
    """One in-process moto for the session: the botocore clients are built once and the
    tables created once; what they are like empty is kept to hand each test a copy. Its
    writes are made atomic as DynamoDB's are: the jobs' and the SMS gate's transactions run
    on threads, and moto copies whole tables inside a transaction."""
    from scripts.moto_patches import atomic_moto_writes

    atomic_moto_writes()
    with mock_aws():
        tables.configure()
        tables.create_tables()
        empty = {name: copy.deepcopy(table) for name, table in _dynamodb().tables.items()}
        yield empty
    tables.configure()


def _dynamodb():  # -> moto's DynamoDB backend of the account and region the tests use
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.REGION]


@pytest.fixture
def aws(_emulated_aws, request):
    """The emulated AWS with every table, empty; yields nothing.

    Each test gets empty tables copied from the session's (no CreateTable calls). Shared
    tables would be cheaper still, but moto deep-copies every table a transaction touches
    (its rollback), so each transaction would cost more as the session filled them (~0.4 s
    a copy at 2,000 items). The other services (SNS's SMS, SQS, S3, SSM) are the session's;
    a test marked `fresh_backend` (it reads what other tests leave there: queues, buckets)
    gets every service emptied first."""
    if request.node.get_closest_marker("fresh_backend"):
        from moto.core.base_backend import BackendDict

        BackendDict.reset()
    if _pointed_elsewhere():  # a test changed the stage or endpoint, then configure()d
        tables.configure()
    backend = _dynamodb()
    for name, table in _emulated_aws.items():
        backend.tables[name] = copy.deepcopy(table)
    yield


def _pointed_elsewhere() -> bool:
    from chalicelib.store.base import table_name

    return any(
        model.Meta.table_name != table_name(model.SHORT_NAME) or model.Meta.host != settings.AWS_ENDPOINT
        for model in tables.iter_models_sharing_tables()
    )


@pytest.fixture
def app(aws):
    import app as app_module

    return app_module.app


@pytest.fixture
def client(app):
    from chalice.test import Client

    with Client(app, stage_name="local") as test_client:
        # Each test calls from an address of its own, as it has its own numbers: the
        # per-address limit (the public IMEI inquiry) then counts only that test's requests
        # in the session's shared tables. (chalice's test client has no public setting.)
        n = next(_addresses)
        test_client.http._local_gateway.event_converter.LOCAL_SOURCE_IP = (
            f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        )
        yield test_client


@pytest.fixture
def partner_keys(aws):
    from chalicelib.services.registry.partners import provision_key

    provision_key("operator", OPERATOR_KEY)
    provision_key("registrar", REGISTRAR_KEY)
    return {"operator": OPERATOR_KEY, "registrar": REGISTRAR_KEY}


@pytest.fixture
def set_env(monkeypatch):
    """set_env(NAME=value, ...): change settings for one test (then settings.reload())."""

    def apply(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, str(value))
        settings.reload()

    return apply


class Api:
    """The test client spoken to like a front end: JSON in, status and JSON out."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, body=None, token=None, headers=None, raw=None):
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = getattr(self.client.http, method.lower())(path, headers=sent, body=payload)
        try:
            data = json.loads(response.body) if response.body else None
        except ValueError:
            data = response.body
        return response.status_code, data, response.headers

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    # Partners, as the operator and the registrar would call us.
    def operator_sim(self, msisdn, national_id, status="active", expires_at=None):
        body = {"national_id": national_id, "status": status}
        if expires_at:
            body["expires_at"] = expires_at
        return self.put(f"/operator/sims/{msisdn}", body, token=OPERATOR_KEY)

    def register_device(self, imei, imei2=None, brand="Samsung", model="Galaxy A54",
                        source="import"):
        body = {"imei": imei, "source": source, "brand": brand, "model": model}
        if imei2:
            body["imei2"] = imei2
        status, data, _ = self.post("/registrar/devices", body, token=REGISTRAR_KEY)
        assert status == 201, data
        return data["activation_code"]


@pytest.fixture
def api(client, partner_keys):
    return Api(client)


@pytest.fixture
def run():
    """run(*flags, env=None): scripts/local.py started in a subprocess (testkit/local_run.py),
    ready; every one started is stopped after the test."""
    from testkit.local_run import LocalRun

    started: list[LocalRun] = []

    def start(*flags, env=None) -> LocalRun:
        local = LocalRun(*flags, env=env)
        started.append(local)
        local.wait_for(lambda line: line == "ready")
        return local

    yield start
    for local in started:
        local.stop()


def sms_sent(region: str = "us-east-1") -> list[tuple[str, str]]:
    """Every SMS the emulated SNS has accepted so far: (E.164 number, text)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return list(sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.values())


def pytest_collection_modifyitems(items):
    """Tests that drive Chromium (their module uses testkit/browser.py) are marked `browser`:
    `make test-fast` leaves them out with `-m "not browser"`."""
    browser = sys.modules.get("testkit.browser")
    for item in items:
        module = getattr(item, "module", None)
        if browser is not None and getattr(module, "chromium_path", None) is browser.chromium_path:
            item.add_marker(pytest.mark.browser)
