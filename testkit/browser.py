"""A real browser for the web page's tests: Debian's Chromium driven by Playwright for Python.

`playwright install` downloads browsers and cannot run here, so the tests launch the system
Chromium (`executable_path`); `make test` installs Debian's `chromium` when it is missing.
Without any Chromium the browser tests skip, saying why.
"""
from __future__ import annotations

import os
import shutil
import time
from typing import Any

import pytest
import requests

from testkit import ids
from testkit.local_run import OPERATOR, REGISTRAR, LocalRun

PHONE = {"width": 360, "height": 740}
CUSTOMS = "local-customs-key"


def chromium_path() -> str | None:
    """The Chromium to drive: $CHROMIUM, else Debian's /usr/bin/chromium, else one on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def launch(playwright: Any) -> Any:
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)")
    # Chromium refuses to start its sandbox as root (as CI runs here).
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return playwright.chromium.launch(executable_path=path, args=args)


class Site:
    """scripts/local.py in a subprocess, and what a test needs besides the browser:
    the operator's and the registrar's side, and the SMS the emulated SNS received."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.local = LocalRun("--customs-key", CUSTOMS, env=env)
        self.local.wait_for(lambda line: line == "ready")
        self.url = self.local.url

    def stop(self) -> None:
        self.local.stop()

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        return self.local.call(method, path, body, token)

    def operator_sim(self, msisdn: str, national_id: str, status: str = "active") -> None:
        status_code, _ = self.api("PUT", f"/operator/sims/{msisdn}",
                                  {"national_id": national_id, "status": status}, token=OPERATOR)
        assert status_code == 200

    def registered_device(self, brand: str = "Apple", model: str = "iPhone 8",
                          dual: bool = False, imeis: list[str] | None = None) -> tuple[list[str], str]:
        imeis = imeis or [ids.imei()] + ([ids.imei()] if dual else [])
        dual = len(imeis) == 2
        body = {"imei": imeis[0], "brand": brand, "model": model, "source": "import"}
        if dual:
            body["imei2"] = imeis[1]
        status, data = self.api("POST", "/registrar/devices", body, token=REGISTRAR)
        assert status == 201, data
        return imeis, data["activation_code"]

    def phone_model(self, tac: str, brand: str, model: str, sim_slots: int = 1) -> None:
        status, data = self.api("PUT", f"/registrar/models/{tac}",
                                {"brand": brand, "model": model, "sim_slots": sim_slots}, token=REGISTRAR)
        assert status == 200, data

    def traveller(self, msisdn: str, brand: str = "Apple", model: str = "iPhone 15") -> str:
        """A traveller's phone registered by customs today for `msisdn`; returns its IMEI."""
        from datetime import date

        imei = ids.imei()
        body = {"passport": "L" + imei[-8:], "entry_date": date.today().isoformat(),
                "msisdn": msisdn, "imei": imei, "brand": brand, "model": model}
        status, data = self.api("POST", "/customs/travellers", body, token=CUSTOMS)
        assert status == 201, data
        return imei

    def texts(self, msisdn: str) -> list[str]:
        sms = requests.get(self.local.aws + "/moto-api/data.json", timeout=10).json().get("sns", {}).get("SMS", [])
        return [m["message"] for m in sms if m["phone_number"] == "+98" + msisdn[1:]]

    def next_sms(self, msisdn: str, seen: int, timeout: float = 20) -> str:
        """The SMS after the first `seen` ones to this SIM, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts(msisdn)
            if len(texts) > seen:
                return texts[seen]
            time.sleep(0.1)
        raise AssertionError(f"no SMS #{seen + 1} to {msisdn}")


def secret_in(text: str) -> str:
    """The one ASCII word of an SMS: the code or the temporary password."""
    words = [w for w in text.split() if w.isascii() and w.isalnum() and len(w) >= 6]
    assert len(words) == 1, text
    return words[0]


def persian(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
