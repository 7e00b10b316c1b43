"""POST /auth/register: a SIM cartable becomes the first SIM of a national-ID cartable."""
from __future__ import annotations

import pytest

from chalicelib import clock
from testkit import ids
from tests.flows import (
    PASSWORD, login, new_sim_cartable, nid_login, register_cartable, sim_login,
)
from tests.flows import activate_new_device as activate


def register(api, token, national_id, password=PASSWORD, birth_date="1370/05/12"):
    return api.post(
        "/auth/register",
        {"national_id": national_id, "birth_date": birth_date, "password": password},
        token=token,
    )



def test_register_creates_the_cartable_with_the_sim(api):
    msisdn, nid, token = new_sim_cartable(api)
    status, data, _ = register(api, token, nid)
    assert status == 201, data
    assert data == {"cartable": {"kind": "national_id", "national_id": nid}}
    nid_token = nid_login(api, nid)
    status, me, _ = api.get("/me", token=nid_token)
    assert me["cartable"] == {"kind": "national_id", "national_id": nid}
    assert me["sims"] == [{"msisdn": msisdn, "status": "active"}]


def test_national_id_in_persian_digits_and_gregorian_birth_date(api):
    msisdn, nid, token = new_sim_cartable(api)
    persian = nid.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    status, data, _ = register(api, token, persian, birth_date="1991-08-03")
    assert status == 201 and data["cartable"]["national_id"] == nid


def test_devices_of_the_sim_move_into_the_cartable(api):
    msisdn, nid, token = new_sim_cartable(api)
    status, imei = activate(api, token)
    assert status == 201
    register_cartable(api, token, nid)
    nid_token = nid_login(api, nid)
    status, data, _ = api.get("/devices", token=nid_token)
    assert status == 200
    assert [d["imeis"][0] for d in data["devices"]] == [imei]


def test_operator_must_name_this_national_id(api):
    msisdn, nid, token = new_sim_cartable(api)
    status, data, _ = register(api, token, ids.national_id())
    assert status == 403 and data["error"]["code"] == "sim_not_owned"


def test_sim_the_operator_never_named_cannot_register(api):
    token = sim_login(api, ids.msisdn())
    status, data, _ = register(api, token, ids.national_id())
    assert status == 403 and data["error"]["code"] == "sim_not_owned"


def test_expired_sim_cannot_register(api):
    msisdn, nid, token = new_sim_cartable(api)
    api.operator_sim(msisdn, nid, status="active",
                     expires_at=clock.now_dt().isoformat())  # expires now
    clock.advance(1)
    status, data, _ = register(api, token, nid)
    assert status == 403 and data["error"]["code"] == "sim_not_owned"


def test_existing_cartable_is_409(api):
    msisdn, nid, token = new_sim_cartable(api)
    register_cartable(api, token, nid)
    other = ids.msisdn()
    api.operator_sim(other, nid)
    status, data, _ = register(api, sim_login(api, other), nid, password="another-Pass-2")
    assert status == 409 and data["error"]["code"] == "cartable_exists"
    # The first password still works: nothing was overwritten.
    assert nid_login(api, nid)


@pytest.mark.parametrize("password", [
    "short1",
    "{nid}",
    "{nid_persian}",
    "{msisdn}",
    "{msisdn_bare}",
    "+98{msisdn_bare}",
    "{nid_dashed}",
    "{nid_prefix}",
])
def test_weak_passwords_are_refused(api, password):
    msisdn, nid, token = new_sim_cartable(api)
    written = password.format(
        nid=nid, nid_persian=nid.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
        msisdn=msisdn, msisdn_bare=msisdn[1:], nid_dashed=f"{nid[:3]}-{nid[3:9]}-{nid[9]}",
        nid_prefix=nid[:8],
    )
    status, data, _ = register(api, token, nid, password=written)
    assert status == 400 and data["error"]["code"] == "weak_password"
    assert login(api, nid, written)[0] == 401  # no cartable was made


def test_eight_characters_are_enough(api):
    msisdn, nid, token = new_sim_cartable(api)
    assert register(api, token, nid, password="abcd1234")[0] == 201


def test_national_id_token_is_forbidden(api):
    msisdn, nid, token = new_sim_cartable(api)
    register_cartable(api, token, nid)
    nid_token = nid_login(api, nid)
    status, data, _ = register(api, nid_token, nid)
    assert status == 403 and data["error"]["code"] == "forbidden"


def test_without_a_token_is_401(api):
    status, data, _ = register(api, None, ids.national_id())
    assert status == 401 and data["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("field,value,code", [
    ("national_id", "1234567890", "invalid_national_id"),
    ("national_id", "0000000000", "invalid_national_id"),
    ("birth_date", "1370/13/40", "invalid_birth_date"),
    ("birth_date", "03-08-1991", "invalid_birth_date"),
    ("password", 12345678, "invalid_request"),
])
def test_bad_fields(api, field, value, code):
    msisdn, nid, token = new_sim_cartable(api)
    body = {"national_id": nid, "birth_date": "1370/05/12", "password": PASSWORD, field: value}
    status, data, _ = api.post("/auth/register", body, token=token)
    assert status == 400 and data["error"]["code"] == code


def test_unknown_field_is_invalid_request(api):
    msisdn, nid, token = new_sim_cartable(api)
    body = {"national_id": nid, "birth_date": "1370/05/12", "password": PASSWORD, "x": 1}
    assert api.post("/auth/register", body, token=token)[1]["error"]["code"] == "invalid_request"


def test_a_failed_transaction_leaves_nothing(api, monkeypatch):
    """A transaction refused by DynamoDB: no half-made cartable."""
    from chalicelib.services.sims import cartable_sims

    msisdn, nid, token = new_sim_cartable(api)

    def refuse(*a, **kw):
        raise RuntimeError("DynamoDB unavailable")

    monkeypatch.setattr(cartable_sims, "transact_write", refuse)
    status, data, _ = register(api, token, nid)
    assert status == 500 and data["error"]["code"] == "internal_error"
    monkeypatch.undo()
    assert login(api, nid)[0] == 401
    assert register(api, token, nid)[0] == 201


def nid_devices(api, nid):
    status, data, _ = api.get("/devices", token=nid_login(api, nid))
    assert status == 200, data
    return [d["imeis"][0] for d in data["devices"]]


def test_a_sim_with_more_devices_than_one_transaction_holds_brings_them_all(api, monkeypatch):
    """98 devices fit in the join's transaction with the person and the SIM; the rest follow.

    At a smaller scale (as the next test): DynamoDB's 100 actions a transaction become 5,
    enforced on the emulator, and the service's figures shrink with it (98 -> 3, 100 -> 5)."""
    from moto.dynamodb.exceptions import TooManyTransactionsException
    from moto.dynamodb.models import DynamoDBBackend

    from chalicelib.services.sims import cartable_sims

    limit, real_limit = 5, 100
    shrink = real_limit - limit
    monkeypatch.setattr(cartable_sims, "MAX_DEVICES_PER_JOIN", cartable_sims.MAX_DEVICES_PER_JOIN - shrink)
    monkeypatch.setattr(cartable_sims, "MAX_DEVICES_PER_TRANSACTION",
                        cartable_sims.MAX_DEVICES_PER_TRANSACTION - shrink)
    real_write = DynamoDBBackend.transact_write_items

    def at_most_limit(self, transact_items):
        if len(transact_items) > limit:
            raise TooManyTransactionsException()
        return real_write(self, transact_items)

    msisdn, nid, token = new_sim_cartable(api)
    imeis = [activate(api, token)[1] for _ in range(cartable_sims.MAX_DEVICES_PER_JOIN + 3)]
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", at_most_limit)
    assert register(api, token, nid)[0] == 201
    assert sorted(nid_devices(api, nid)) == sorted(imeis)


def test_the_rest_follow_in_transactions_of_their_own_and_a_fault_between_loses_none(api, monkeypatch):
    from botocore.exceptions import ClientError

    from chalicelib.services.sims import cartable_sims
    from tests.flows import add_sim

    # The same code at a smaller scale: 2 devices join with the SIM, then 2 a transaction.
    monkeypatch.setattr(cartable_sims, "MAX_DEVICES_PER_JOIN", 2)
    monkeypatch.setattr(cartable_sims, "MAX_DEVICES_PER_TRANSACTION", 2)
    msisdn, nid, token = new_sim_cartable(api)
    imeis = [activate(api, token)[1] for _ in range(7)]
    real = cartable_sims.transact_write
    opened = []

    def second_one_throttled():
        opened.append(1)
        if len(opened) == 3:  # the join, one more transaction, then DynamoDB refuses
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}},
                              "TransactWriteItems")
        return real()

    monkeypatch.setattr(cartable_sims, "transact_write", second_one_throttled)
    assert register(api, token, nid)[0] == 201  # the cartable exists, with its SIM
    assert sorted(nid_devices(api, nid)) == sorted(imeis[:4])
    status, data, _ = api.get("/devices", token=token)  # the rest: still in the SIM cartable
    assert sorted(d["imeis"][0] for d in data["devices"]) == sorted(imeis)

    add_sim(api, nid_login(api, nid), msisdn)  # adding the SIM again brings them in
    assert sorted(nid_devices(api, nid)) == sorted(imeis)
