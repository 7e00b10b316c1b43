"""docs/openapi.yaml is a valid OpenAPI document of exactly the routes app.py serves."""
from __future__ import annotations

import os

import yaml
from openapi_spec_validator import validate

from chalicelib.errors import MESSAGES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
    DOC = yaml.safe_load(f)


def documented_codes() -> dict[str, set[int]]:
    codes: dict[str, set[int]] = {}
    for operations in DOC["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                for part in schema.get("allOf", []):
                    enum = part.get("properties", {}).get("error", {}).get("properties", {}).get(
                        "code", {}).get("enum", [])
                    for code in enum:
                        codes.setdefault(code, set()).add(int(status))
                # A row rejected by index (POST /operator/observations) carries a 400's code.
                rows = schema.get("properties", {}).get("rejected", {}).get("items", {})
                for code in rows.get("properties", {}).get("code", {}).get("enum", []):
                    codes.setdefault(code, set()).add(400)
    return codes


def test_the_document_is_valid_openapi():
    validate(DOC)


def test_the_document_and_the_app_have_the_same_routes():
    import app as app_module

    served = {(method.lower(), path) for path, methods in app_module.app.routes.items()
              for method in methods if method != "OPTIONS"}
    documented = {(method, path) for path, operations in DOC["paths"].items()
                  for method in operations}
    assert served == documented


def test_every_error_code_is_documented_with_its_status():
    codes = documented_codes()
    assert set(codes) == set(MESSAGES)
    for code, statuses in codes.items():
        assert statuses == {MESSAGES[code][0]}, code


def test_every_rate_limited_answer_documents_retry_after():
    for operations in DOC["paths"].values():
        for operation in operations.values():
            if "429" in operation["responses"]:
                assert "Retry-After" in operation["responses"]["429"]["headers"]
