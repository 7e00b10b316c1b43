"""The cold start (issue 16): `import app` declares every route but imports no service
until a request reaches it (chalicelib/lazy.py); the first request imports what it needs."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HEAVY = ["argon2", "PIL", "jdatetime", "chalicelib.captcha", "chalicelib.services.network.enforcement",
         "chalicelib.services.network.observations", "chalicelib.services.channels.ussd",
         "chalicelib.services.channels.inbound_sms", "chalicelib.services.signin.accounts"]


def _modules_after(code: str) -> dict:
    env = {**os.environ, "HAMTA_STAGE": "coldstart", "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_app_declares_every_route_and_imports_no_service():
    seen = _modules_after(
        "import json, sys, app\n"
        "print(json.dumps({'routes': sorted(app.app.routes), 'modules': sorted(sys.modules)}))"
    )
    assert {"/devices", "/auth/otp", "/ussd", "/operator/observations"} <= set(seen["routes"])
    assert [name for name in HEAVY if name in seen["modules"]] == []


def test_a_route_imports_its_service_on_first_use():
    seen = _modules_after(
        "import json, sys, app\n"
        "from chalicelib.routes import auth\n"
        "auth.accounts.login  # the first use\n"
        "print(json.dumps({'modules': sorted(sys.modules)}))"
    )
    assert "chalicelib.services.signin.accounts" in seen["modules"]
