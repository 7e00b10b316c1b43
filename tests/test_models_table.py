"""The model table by TAC (API.md "Models (registrar)") and what registration and the
inquiry take from it."""
from __future__ import annotations

import pytest

from testkit import ids
from tests.conftest import OPERATOR_KEY, REGISTRAR_KEY


def tac_imei(tac: str) -> str:
    """A fresh valid IMEI with this TAC."""
    serial = ids.imei()[8:14]
    return ids.luhn_complete(tac + serial)


def put_model(api, tac, brand="Samsung", model="Galaxy A54", sim_slots=2, key=REGISTRAR_KEY):
    return api.put(f"/registrar/models/{tac}", {"brand": brand, "model": model, "sim_slots": sim_slots},
                   token=key)


def register(api, body):
    return api.post("/registrar/devices", body, token=REGISTRAR_KEY)


def test_a_registrar_puts_a_model_and_registration_takes_its_names(api):
    status, data, _ = put_model(api, "35123456", sim_slots=2)
    assert status == 200 and data["tac"] == "35123456" and data["sim_slots"] == 2
    imei, imei2 = tac_imei("35123456"), tac_imei("35123456")
    status, data, _ = register(api, {"imei": imei, "imei2": imei2, "source": "import"})
    assert status == 201, data
    answer = api.get(f"/imei/{imei}")[1]
    assert (answer["brand"], answer["model"], answer["source"]) == ("Samsung", "Galaxy A54", "import")


def test_putting_a_tac_again_replaces_its_row(api):
    put_model(api, "35123457", model="Old name", sim_slots=1)
    put_model(api, "35123457", model="Galaxy S24", sim_slots=1)
    imei = tac_imei("35123457")
    assert register(api, {"imei": imei, "source": "manufacture"})[0] == 201
    assert api.get(f"/imei/{imei}")[1]["model"] == "Galaxy S24"


@pytest.mark.parametrize("typed", ["۳۵۱۲۳۴۵۸", "٣٥١٢٣٤٥٨", "3512-3458", "3512 3458"])
def test_a_tac_in_every_digit_form(api, typed):
    status, data, _ = put_model(api, typed)
    assert status == 200 and data["tac"] == "35123458"


@pytest.mark.parametrize("tac", ["1234567", "123456789", "abcdefgh", "３５１２３４５６", "1234567x"])
def test_a_bad_tac_is_invalid_tac(api, tac):
    status, data, _ = put_model(api, tac)
    assert (status, data["error"]["code"]) == (400, "invalid_tac")


@pytest.mark.parametrize(
    "body",
    [
        {"brand": "A", "model": "B", "sim_slots": 3},
        {"brand": "A", "model": "B", "sim_slots": 0},
        {"brand": "A", "model": "B", "sim_slots": True},
        {"brand": "A", "model": "B", "sim_slots": "2"},
        {"brand": "", "model": "B", "sim_slots": 1},
        {"brand": "A" * 101, "model": "B", "sim_slots": 1},
        {"brand": "A\u0000", "model": "B", "sim_slots": 1},
        {"brand": "A", "sim_slots": 1},
        {"brand": "A", "model": "B", "sim_slots": 1, "colour": "red"},
    ],
)
def test_a_bad_model_row_is_invalid_request(api, body):
    status, data, _ = api.put("/registrar/models/35123459", body, token=REGISTRAR_KEY)
    assert (status, data["error"]["code"]) == (400, "invalid_request")


def test_only_a_registrar_puts_models(api):
    assert put_model(api, "35123460", key=OPERATOR_KEY)[0] == 403
    assert put_model(api, "35123460", key="not-a-key")[0] == 401
    assert api.put("/registrar/models/35123460", {"brand": "A", "model": "B", "sim_slots": 1})[0] == 401


def test_the_imei_count_must_fit_the_models_sim_slots(api):
    put_model(api, "35123461", brand="Nokia", model="105", sim_slots=1)
    put_model(api, "35123462", brand="Xiaomi", model="Redmi 13", sim_slots=2)
    # A second IMEI for a single-SIM phone (the abuse Turkey's registry saw), and none for
    # a dual-SIM one.
    status, data, _ = register(api, {"imei": tac_imei("35123461"), "imei2": ids.imei(), "source": "import"})
    assert (status, data["error"]["code"]) == (400, "imei_count_mismatch")
    status, data, _ = register(api, {"imei": tac_imei("35123462"), "source": "import"})
    assert (status, data["error"]["code"]) == (400, "imei_count_mismatch")
    assert register(api, {"imei": tac_imei("35123461"), "source": "import"})[0] == 201


def test_given_names_win_and_an_unknown_tac_registers_as_given(api):
    put_model(api, "35123463", brand="Apple", model="iPhone 15", sim_slots=1)
    imei = tac_imei("35123463")
    assert register(api, {"imei": imei, "source": "import", "model": "iPhone 15 Pro"})[0] == 201
    answer = api.get(f"/imei/{imei}")[1]
    assert (answer["brand"], answer["model"]) == ("Apple", "iPhone 15 Pro")
    unknown = tac_imei("99887766")
    assert register(api, {"imei": unknown, "source": "import", "brand": "X", "model": "Y"})[0] == 201


def test_the_inquiry_names_an_unregistered_imeis_model_from_its_tac(api):
    put_model(api, "35123464", brand="Samsung", model="Galaxy A15", sim_slots=2)
    imei = tac_imei("35123464")
    assert api.get(f"/imei/{imei}")[1] == {
        "imei": imei, "status": "not_registered", "brand": "Samsung", "model": "Galaxy A15",
    }
    other = tac_imei("11112222")
    assert api.get(f"/imei/{other}")[1] == {"imei": other, "status": "not_registered"}


def test_a_device_registered_without_names_is_named_by_its_tac_later(api):
    imei = tac_imei("35123465")
    assert register(api, {"imei": imei, "source": "manufacture"})[0] == 201
    assert "brand" not in api.get(f"/imei/{imei}")[1]
    put_model(api, "35123465", brand="Nokia", model="105", sim_slots=1)
    answer = api.get(f"/imei/{imei}")[1]
    assert (answer["status"], answer["brand"], answer["model"], answer["source"]) == (
        "registered", "Nokia", "105", "manufacture")
