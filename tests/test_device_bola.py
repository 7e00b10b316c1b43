"""BOLA: a second cartable tries every device route on someone else's IMEI and learns nothing.

Every answer must be exactly the answer for an IMEI nobody registered: same status, same
error code, same message (in Persian and in English), no extra headers.
"""
from __future__ import annotations

import pytest

from testkit import ids
from tests import flows

ROUTES = [
    ("get", "/devices/{imei}/history", None),
    ("post", "/devices/{imei}/transfer", None),
    ("delete", "/devices/{imei}/transfer", None),
    ("post", "/devices", {"imei": "{imei}"}),
    ("post", "/devices", {"imei": "{imei}", "previous_msisdn": "{owner_msisdn}"}),
    ("post", "/devices/activate", {"imei": "{imei}", "activation_code": "{code}"}),
]


def _fill(template, **values):
    if template is None:
        return None
    return {key: value.format(**values) for key, value in template.items()}


def ask(api, token, method, path, body, lang, **values):
    status, data, headers = getattr(api, method)(
        path.format(**values), body=_fill(body, **values) if body else None,
        token=token, headers={"Accept-Language": lang},
    )
    kept = {k: v for k, v in headers.items() if k.lower() in ("retry-after", "content-type")}
    return status, data, kept


def sim_owner(api):
    msisdn, _, token = flows.linked_sim_cartable(api)  # its SIM in a national-ID cartable: it may sell
    return msisdn, token


def nid_owner(api):
    _, msisdn, token = flows.new_nid_cartable(api)
    return msisdn, token


@pytest.mark.parametrize("owner_kind", [sim_owner, nid_owner], ids=["sim", "national_id"])
@pytest.mark.parametrize("stranger_kind", [sim_owner, nid_owner], ids=["sim", "national_id"])
@pytest.mark.parametrize("lang", ["fa", "en"])
def test_someone_elses_device_answers_like_an_unknown_imei(api, owner_kind, stranger_kind, lang):
    owner_msisdn, owner = owner_kind(api)
    imei, imei2, _ = flows.own_device(api, owner, dual=True)
    # A sale in progress: the stranger does not get to see or cancel it either.
    status, offer, _ = api.post(f"/devices/{imei}/transfer", flows.SALE, token=owner)
    assert status == 201, offer
    _, stranger = stranger_kind(api)
    guess = "000000" if offer["activation_code"] != "000000" else "111111"

    for method, path, body in ROUTES:
        for target in (imei, imei2):
            theirs = ask(api, stranger, method, path, body, lang, imei=target,
                         owner_msisdn=owner_msisdn, code=guess)
            nobodys = ask(api, stranger, method, path, body, lang, imei=ids.imei(),
                          owner_msisdn=owner_msisdn, code=guess)
            assert theirs == nobodys, (method, path)
            assert theirs[0] == 404 and theirs[1]["error"]["code"] == "not_found"

    # Nothing changed for the owner: the offer stands and the device is still theirs.
    status, data, _ = api.get("/devices", token=owner)
    assert [(d["imeis"], d["status"], d["activation_code"]) for d in data["devices"]] == [
        ([imei, imei2], "transfer_pending", offer["activation_code"])
    ]
    status, data, _ = api.get("/devices", token=stranger)
    assert data["devices"] == []
