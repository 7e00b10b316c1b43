"""Helpers for the network-enforcement tests: operator rows, SMS by kind, devices blocked."""
from __future__ import annotations

from chalicelib import clock
from chalicelib.store.devices import find_device
from tests.conftest import OPERATOR_KEY
from tests.flows import activate_new_device, messages_to, new_nid_cartable, new_sim_cartable

WARNING = "تا تاریخ"
BLOCKED_SEEN = "مسدود شده"
DUPLICATE = "جعل"


def observe(api, *rows, token=OPERATOR_KEY):
    """POST /operator/observations; rows are (imei, msisdn) or (imei, msisdn, seen_at)."""
    body = [
        {"imei": r[0], "msisdn": r[1], "seen_at": r[2] if len(r) > 2 else int(clock.now()) - 60}
        for r in rows
    ]
    return api.post("/operator/observations", {"observations": body}, token=token)


def texts(msisdn: str, marker: str) -> list[str]:
    return [t for t in messages_to(msisdn) if marker in t]


def activated_on_sim(api) -> tuple[str, str]:
    """(imei, msisdn): a device activated in the SIM cartable of that SIM."""
    msisdn, _, token = new_sim_cartable(api)
    status, imei = activate_new_device(api, token)
    assert status == 201
    return imei, msisdn


def in_nid_cartable(api) -> tuple[str, str, str]:
    """(imei, msisdn, national_id): a device in a national-ID cartable listing the SIM."""
    nid, msisdn, token = new_nid_cartable(api)
    status, imei = activate_new_device(api, token, msisdn)
    assert status == 201
    return imei, msisdn, nid


def block(imei: str) -> None:
    """The device as a lost/stolen block leaves it (the block route is another branch's)."""
    device = find_device(imei)
    device.state = "blocked"
    device.save()
