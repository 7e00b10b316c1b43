"""Traveller registration (API.md "Traveller registration"): customs registers a
traveller's phone; the traveller's SIM cartable sees it and activates it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib import clock
from chalicelib.services.registry import travellers
from chalicelib.store.travellers import TravellerModel
from testkit import ids
from tests import flows
from tests.conftest import OPERATOR_KEY, REGISTRAR_KEY

CUSTOMS_KEY = "customs-test-key"


@pytest.fixture
def customs(api):
    from chalicelib.services.registry.partners import provision_key

    provision_key("customs", CUSTOMS_KEY, "IKA airport")
    return api


@pytest.fixture(autouse=True)
def _noon_utc():
    """Noon UTC, when Iran's day and UTC's are the same date: the tests do not depend on
    the hour they run at (the day boundaries have their own test)."""
    from datetime import datetime, timezone

    now = datetime.fromtimestamp(clock.now(), tz=timezone.utc)
    clock.advance(now.replace(hour=12, minute=0, second=0).timestamp() - clock.now())


def today() -> date:
    return travellers.today()


def body(msisdn, imei=None, passport=None, entry=None, **extra):
    data = {
        "passport": passport or ids.passport(),
        "entry_date": (entry or today()).isoformat(),
        "msisdn": msisdn,
        "imei": imei or ids.imei(),
        "brand": "Apple",
        "model": "iPhone 15",
    }
    data.update(extra)
    return data


def register(api, data, key=CUSTOMS_KEY):
    return api.post("/customs/travellers", data, token=key)


def test_customs_registers_and_the_traveller_activates_from_the_sms(customs):
    api = customs
    msisdn = ids.msisdn()
    imei = ids.imei()
    status, data, _ = register(api, body(msisdn, imei))
    assert status == 201 and data["registration_id"]
    answer = api.get(f"/imei/{imei}")[1]
    assert (answer["status"], answer["source"], answer["model"]) == ("registered", "passenger", "iPhone 15")
    code = flows.latest_code(msisdn)
    token = flows.sim_login(api, msisdn)
    listed = api.get("/travellers", token=token)[1]["registrations"]
    assert len(listed) == 1
    row = listed[0]
    assert row["registration_id"] == data["registration_id"] and row["imeis"] == [imei]
    assert (row["brand"], row["model"], row["entry_date"]) == ("Apple", "iPhone 15", today().isoformat())
    assert row["status"] == "awaiting_activation"
    status, _, _ = api.post("/devices/activate", {"imei": imei, "activation_code": code}, token=token)
    assert status == 201
    assert api.get("/travellers", token=token)[1]["registrations"][0]["status"] == "activated"


def test_the_passport_is_never_stored_in_clear(customs):
    import boto3

    from chalicelib import settings

    msisdn = ids.msisdn()
    registration = register(customs, body(msisdn, passport="K98765432"))[1]["registration_id"]
    dynamodb = boto3.client("dynamodb", region_name=settings.REGION)
    table = TravellerModel.Meta.table_name
    keys = [travellers.passport_key("K98765432"), f"reg#{registration}"]
    items = [dynamodb.get_item(TableName=table, Key={"key": {"S": k}})["Item"] for k in keys]
    assert len(items) == 2 and "98765432" not in str(items)
    # The quota item is keyed by the keyed hash and counts the registration.
    assert len(items[0]["times"]["L"]) == 1
    assert items[1]["passport_hash"]["S"] == keys[0].split("#", 1)[1]


@pytest.mark.parametrize("days_ago", [0, 30])
def test_inside_the_window(customs, days_ago):
    status, _, _ = register(customs, body(ids.msisdn(), passport=f"W{days_ago}0000001",
                                          entry=today() - timedelta(days=days_ago)))
    assert status == 201


@pytest.mark.parametrize("days", [-1, 31, 400])
def test_outside_the_window_is_closed(customs, days):
    status, data, _ = register(customs, body(ids.msisdn(), entry=today() - timedelta(days=days)))
    assert (status, data["error"]["code"]) == (409, "registration_window_closed")


def test_the_window_follows_the_setting(customs, set_env):
    set_env(TRAVELLER_WINDOW_DAYS=3)
    status, data, _ = register(customs, body(ids.msisdn(), entry=today() - timedelta(days=4)))
    assert (status, data["error"]["code"]) == (409, "registration_window_closed")


def test_one_passport_one_device_a_year(customs):
    passport = "Q11223344"
    assert register(customs, body(ids.msisdn(), passport=passport))[0] == 201
    # The same passport typed differently is the same passport.
    status, data, _ = register(customs, body(ids.msisdn(), passport="q1122 3344"))
    assert (status, data["error"]["code"]) == (409, "traveller_quota_used")
    clock.advance(366 * 24 * 3600)
    assert register(customs, body(ids.msisdn(), passport=passport))[0] == 201


def test_the_yearly_quota_follows_the_setting(customs, set_env):
    set_env(TRAVELLER_DEVICES_PER_YEAR=2)
    for _ in range(2):
        assert register(customs, body(ids.msisdn(), passport="R55555555"))[0] == 201
    status, data, _ = register(customs, body(ids.msisdn(), passport="R55555555"))
    assert (status, data["error"]["code"]) == (409, "traveller_quota_used")


def test_a_registered_imei_is_refused_and_uses_no_quota(customs):
    imei = ids.imei()
    customs.register_device(imei)
    status, data, _ = register(customs, body(ids.msisdn(), imei, passport="S12121212"))
    assert (status, data["error"]["code"]) == (409, "already_registered")
    assert register(customs, body(ids.msisdn(), passport="S12121212"))[0] == 201


def test_a_dual_imei_phone_and_the_model_table(customs):
    api = customs
    api.put("/registrar/models/35666601", {"brand": "Xiaomi", "model": "Redmi 13", "sim_slots": 2},
            token=REGISTRAR_KEY)
    imei = ids.luhn_complete("35666601" + "000001")
    status, data, _ = register(api, body(ids.msisdn(), imei, passport="T10000001"))
    assert (status, data["error"]["code"]) == (400, "imei_count_mismatch")
    imei2 = ids.luhn_complete("35666601" + "000002")
    assert register(api, body(ids.msisdn(), imei, passport="T10000001", imei2=imei2))[0] == 201
    assert api.get(f"/imei/{imei2}")[1]["source"] == "passenger"


@pytest.mark.parametrize(
    "change",
    [
        {"passport": "ab"},
        {"passport": "P1234567890123456789012"},
        {"passport": 12345678},
        {"entry_date": "1403/01/01"},
        {"entry_date": "2026-13-01"},
        {"entry_date": "yesterday"},
        {"brand": ""},
        {"model": "x" * 101},
        {"unknown": 1},
    ],
)
def test_bad_input_is_invalid_request(customs, change):
    status, data, _ = register(customs, body(ids.msisdn(), **change))
    assert (status, data["error"]["code"]) == (400, "invalid_request"), change


def test_identifiers_in_every_digit_form(customs):
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    msisdn, imei = ids.msisdn(), ids.imei()
    data = body("+98" + msisdn[1:], imei.translate(persian), passport="U۱۲۳۴۵۶۷۸",
                entry=None)
    data["entry_date"] = today().isoformat().translate(persian)
    assert register(customs, data)[0] == 201
    token = flows.sim_login(customs, msisdn)
    assert customs.get("/travellers", token=token)[1]["registrations"][0]["imeis"] == [imei]
    for field, value, code in (("msisdn", "12345", "invalid_msisdn"), ("imei", "1234", "invalid_imei")):
        data = body(ids.msisdn())
        data[field] = value
        status, data, _ = register(customs, data)
        assert (status, data["error"]["code"]) == (400, code)


def test_only_customs_registers_travellers(customs):
    for key, expected in ((OPERATOR_KEY, 403), (REGISTRAR_KEY, 403), ("nope", 401), (None, 401)):
        assert register(customs, body(ids.msisdn()), key=key)[0] == expected


def test_sms_down_loses_nothing(customs, monkeypatch):
    msisdn, imei = ids.msisdn(), ids.imei()
    tried = flows.break_sns(monkeypatch)
    assert register(customs, body(msisdn, imei, passport="V10000001"))[0] == 201 and tried
    monkeypatch.undo()
    token = flows.sim_login(customs, msisdn)
    row = customs.get("/travellers", token=token)[1]["registrations"][0]
    # The SIM's own cartable shows the code the SMS could not carry.
    assert row["status"] == "awaiting_activation"
    status, _, _ = customs.post("/devices/activate", {"imei": imei, "activation_code": row["activation_code"]},
                                token=token)
    assert status == 201


def test_a_national_id_cartable_sees_its_sims_registrations_and_a_new_holder_does_not(customs):
    api = customs
    nid, msisdn, token = flows.new_nid_cartable(api)
    imei = ids.imei()
    register(api, body(msisdn, imei, passport="X10000001"))
    assert [r["imeis"] for r in api.get("/travellers", token=token)[1]["registrations"]] == [[imei]]
    # The number changes hands: its next holder sees nothing of the traveller's.
    api.operator_sim(msisdn, ids.national_id())
    newcomer = flows.sim_login(api, msisdn)
    assert api.get("/travellers", token=newcomer)[1]["registrations"] == []
    _, _, stranger = flows.new_sim_cartable(api)
    assert api.get("/travellers", token=stranger)[1]["registrations"] == []
    assert api.get("/travellers")[0] == 401


def test_the_window_takes_a_day_of_iran_or_of_utc(customs):
    from datetime import datetime, timezone

    # 22:00 UTC is already the next day in Tehran (UTC+03:30).
    clock.advance(datetime(2026, 3, 10, 22, 0, tzinfo=timezone.utc).timestamp() - clock.now())
    for entry in ("2026-03-11", "2026-03-10", "2026-02-08"):  # Iran's today, UTC's, 30 UTC days back
        assert register(customs, body(ids.msisdn(), passport=f"Z{entry.replace('-', '')}",
                                      entry=date.fromisoformat(entry)))[0] == 201, entry
    for entry in ("2026-03-12", "2026-02-07"):
        status, data, _ = register(customs, body(ids.msisdn(), entry=date.fromisoformat(entry)))
        assert (status, data["error"]["code"]) == (409, "registration_window_closed"), entry
