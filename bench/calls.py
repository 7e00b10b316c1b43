"""The harness of the route benches: the environment every bench runs in, the app on
in-process moto with its partner keys, each route's AWS calls against its budget (counted
by testkit/calls.py), and the report.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any, Iterator

from testkit.calls import count_calls

def prepare_environment(**extra: str) -> None:
    """The environment every bench runs in: in-process moto (no endpoint), dummy
    credentials, its own stage. Call before anything imports chalicelib."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "HAMTA_STAGE": "bench",
            "HAMTA_SECRET_KEY": "bench-secret-key",
            "POWERTOOLS_LOG_LEVEL": "WARNING",  # stdout is the JSON result
            "POWERTOOLS_METRICS_DISABLED": "true",  # and so no EMF lines there
            **extra,
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


class RouteCalls:
    """Routes called through chalice's test client, with the AWS calls of each measured."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.results: dict[str, dict] = {}

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple:
        """(status, JSON body) of one request; `token` is a session token or a partner key."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body) if body is not None else None
        response = getattr(self.client.http, method.lower())(path, headers=headers, body=payload)
        return response.status_code, (json.loads(response.body) if response.body else None)

    def measure(self, case: str, budget: int | None, method: str, path: str, body: Any = None,
                token: str | None = None, want: int | None = None) -> Any:
        """Call the route, record its calls under `case` against `budget`; the JSON body."""
        with count_calls() as counts:
            status, data = self.call(method, path, body, token)
        assert want is None or status == want, (case, status, data)
        self.results[case] = {
            "status": status,
            "calls": counts.total,
            "ops": counts.ops,
            "budget": budget,
            "ok": None if budget is None else counts.total <= budget,
        }
        return data


class AppBench(RouteCalls):
    """The app on in-process moto with its tables and partner keys (`bench-<role>`), and
    the setup steps every route bench repeats: register a phone, name a SIM's holder, open
    a SIM session."""

    def register(self, imei: str, imei2: str | None = None, brand: str = "Apple",
                 model: str = "iPhone X") -> str:
        """Register a phone (one or two IMEIs) as the registrar does; its activation code."""
        body = {"imei": imei, "source": "import", "brand": brand, "model": model}
        if imei2:
            body["imei2"] = imei2
        status, data = self.call("POST", "/registrar/devices", body, token="bench-registrar")
        assert status == 201, data
        return data["activation_code"]

    def own(self, token: str, imei: str, imei2: str | None = None, **model: str) -> str:
        """Register and activate (the bench's side of tests/flows.py `own_device`, which a
        bench cannot import): the registrar registers the phone, the cartable of `token`
        activates it. Its activation code."""
        code = self.register(imei, imei2, **model)
        status, data = self.call("POST", "/devices/activate", {"imei": imei, "activation_code": code}, token)
        assert status == 201, data
        return code

    def operator(self, msisdn: str, national_id: str, status: str = "active") -> None:
        """The operator feed names the SIM's holder (or ends the SIM, by `status`)."""
        body = {"national_id": national_id, "status": status}
        status_code, data = self.call("PUT", f"/operator/sims/{msisdn}", body, token="bench-operator")
        assert status_code == 200, data

    def sim_session(self, msisdn: str) -> str:
        """A SIM session's token, opened as a verified OTP would (the bench measures the
        routes behind the sign-in, not the sign-in)."""
        from chalicelib.services.signin import sessions
        from chalicelib.services.sims import sim_records

        sim = sim_records.ensure_sim(msisdn)
        return sessions.open_session(sessions.SIM, msisdn=msisdn, ownership=int(sim.ownership))[0]

    @staticmethod
    def imei(n: int, tac: str = "35670700") -> str:
        """The n-th valid IMEI under a TAC."""
        from testkit.ids import luhn_complete

        return luhn_complete(f"{tac}{n:06d}")


@contextlib.contextmanager
def app_bench(roles: tuple[str, ...] = ("registrar", "operator"), setup: Any = None) -> Iterator[AppBench]:
    """Moto, the tables, a key per partner role, then `setup()` (a bench's own rows or
    overrides, before `app` is imported), and chalice's test client around `app`."""
    from chalice.test import Client
    from moto import mock_aws

    with mock_aws():
        from chalicelib.services.registry import partners
        from chalicelib.store import tables

        tables.configure()
        tables.create_tables()
        for role in roles:
            partners.provision_key(role, f"bench-{role}")
        if setup is not None:
            setup()
        import app as app_module

        with Client(app_module.app, stage_name="local") as client:
            yield AppBench(client)


def report(results: dict[str, dict], extra: dict | None = None) -> None:
    """Print the results as one JSON object (stdout), then one line per route on stderr,
    calls against budget; exit non-zero when any route is over its budget."""
    print(json.dumps({"routes": results, **(extra or {})}, ensure_ascii=False, indent=1))
    width = max((len(case) for case in results), default=0)
    over = []
    for case, r in results.items():
        budget = "-" if r["budget"] is None else r["budget"]
        mark = {True: "ok", False: "OVER", None: ""}[r["ok"]]
        print(f"{case:<{width}}  {r['calls']:>2} / {budget:<2} {mark}", file=sys.stderr)
        if r["ok"] is False:
            over.append(case)
    if over:
        raise SystemExit(f"over budget: {', '.join(over)}")
