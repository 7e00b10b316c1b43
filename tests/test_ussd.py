"""USSD *7777# (API.md "USSD *7777# and SMS to 7777"): one conversation per branch and per error,
as an operator's USSD gateway drives it: every step is a POST /ussd with all that was typed."""
from __future__ import annotations

import re

import pytest

from chalicelib import clock
from chalicelib.identifiers import to_e164
from chalicelib.store.devices import find_device
from testkit import ids
from tests.conftest import OPERATOR_KEY, REGISTRAR_KEY, sms_sent
from tests.flows import PASSWORD, login, new_nid_cartable, new_sim_cartable, own_device, sim_login
from tests.ussd_flows import codes_in, conversation, ussd

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


# --- The menu and bad requests -----------------------------------------------------------


def test_dialling_shows_the_menu(api):
    (menu,) = conversation(api, ids.msisdn(), "")
    assert menu["end"] is False
    for label in ("استعلام اصالت", "فعالسازی", "انتقال مالکیت"):
        assert label in menu["reply"]
    for number in "123":
        assert number in menu["reply"]


@pytest.mark.parametrize("text", ["9", "0", "abc", "#", "4*1", "*", "1" * 300])
def test_a_wrong_choice_is_a_persian_reply_not_an_error(api, text):
    status, data = ussd(api, ids.msisdn(), text)
    assert status == 200 and data["end"] is True
    assert "نامعتبر" in data["reply"]


def test_the_gateway_must_hold_an_operator_key(api):
    body = {"session_id": "s", "msisdn": ids.msisdn(), "text": ""}
    assert api.post("/ussd", body)[0] == 401
    assert api.post("/ussd", body, token="not-a-key")[0] == 401
    status, data, _ = api.post("/ussd", body, token=REGISTRAR_KEY)
    assert (status, data["error"]["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        '{"session_id": "s", "msisdn": "09121234567"}',
        '{"session_id": "s", "msisdn": "09121234567", "text": 1}',
        '{"session_id": "s", "msisdn": "09121234567", "text": "", "extra": 1}',
        '{"session_id": "", "msisdn": "09121234567", "text": ""}',
        '{"session_id": "s", "msisdn": "09121234567", "text": "1*\\udc00"}',
        '{"session_id": "s", "msisdn": "09121234567", "text": "1*\\u0000"}',
        "[]",
    ],
)
def test_a_malformed_gateway_request_is_400(api, raw):
    status, data, _ = api.call("POST", "/ussd", raw=raw, token=OPERATOR_KEY)
    assert (status, data["error"]["code"]) == (400, "invalid_request")


def test_a_number_that_is_no_iranian_mobile_is_400(api):
    status, data = ussd(api, "+14155550100", "")
    assert (status, data["error"]["code"]) == (400, "invalid_msisdn")


# --- 1: استعلام اصالت ---------------------------------------------------------------------


def test_inquiry_of_a_registered_device_in_persian_digits(api):
    imei = ids.imei()
    api.register_device(imei, brand="Apple", model="iPhone 8")
    ask, answer = conversation(api, ids.msisdn(), "1", "1*" + imei.translate(PERSIAN))
    assert ask["end"] is False and "IMEI" in ask["reply"]
    assert answer["end"] is True
    assert imei in answer["reply"] and "ثبت شده" in answer["reply"] and "iPhone 8" in answer["reply"]


def test_inquiry_of_an_unregistered_and_of_a_blocked_device(api):
    unknown, blocked = ids.imei(), ids.imei()
    (answer,) = conversation(api, ids.msisdn(), "1*" + unknown.translate(ARABIC))
    assert "ثبت نشده" in answer["reply"] and answer["end"] is True
    api.register_device(blocked)
    device = find_device(blocked)
    device.state = "blocked"  # as a lost/stolen block leaves it
    device.save()
    (answer,) = conversation(api, ids.msisdn(), f"1*{blocked[:7]} {blocked[7:]}")
    assert "مسدود" in answer["reply"]


def test_inquiry_of_a_mistyped_imei(api):
    imei = ids.imei()
    bad = imei[:-1] + str((int(imei[-1]) + 1) % 10)
    for text in ("1*" + bad, "1*12345", "1*" + imei + "*5"):
        status, data = ussd(api, ids.msisdn(), text)
        assert status == 200 and data["end"] is True
        assert "معتبر نیست" in data["reply"]


def test_inquiries_are_limited_per_dialling_number_not_per_gateway(api, set_env):
    set_env(IMEI_INQUIRY_MAX_PER_WINDOW=2)
    busy, other = ids.msisdn(), ids.msisdn()
    for _ in range(2):
        assert "ثبت نشده" in ussd(api, busy, "1*" + ids.imei())[1]["reply"]
    status, data = ussd(api, busy, "1*" + ids.imei())
    assert status == 200 and "بیش از حد" in data["reply"]
    # Everyone else behind the same gateway still gets answers.
    assert "ثبت نشده" in ussd(api, other, "1*" + ids.imei())[1]["reply"]


# --- 2: فعالسازی ----------------------------------------------------------------------------


def test_activation_joins_the_dialling_sims_cartable(api):
    msisdn, _, token = new_sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei, brand="Samsung", model="Galaxy A54")
    replies = conversation(
        api, msisdn, "", "2", "2*" + imei.translate(PERSIAN),
        "2*" + imei.translate(PERSIAN) + "*" + code.translate(ARABIC),
    )
    assert [r["end"] for r in replies] == [False, False, False, True]
    assert "کد فعالسازی" in replies[2]["reply"]
    assert "فعال شد" in replies[3]["reply"] and imei in replies[3]["reply"]
    devices = api.get("/devices", token=token)[1]["devices"]
    assert [(d["imeis"], d["msisdn"]) for d in devices] == [([imei], msisdn)]


def test_activation_works_for_a_number_the_web_never_saw(api):
    # The gateway vouches for the number; the SIM cartable exists from then on.
    msisdn, imei = ids.msisdn(), ids.imei()
    code = api.register_device(imei)
    (done,) = conversation(api, msisdn, f"2*{imei}*{code}")
    assert "فعال شد" in done["reply"]
    devices = api.get("/devices", token=sim_login(api, msisdn))[1]["devices"]
    assert [d["imeis"] for d in devices] == [[imei]]


def test_activation_refusals_read_in_persian(api):
    msisdn, imei = ids.msisdn(), ids.imei()
    code = api.register_device(imei)
    wrong = "000000" if code != "000000" else "111111"
    (mistyped,) = conversation(api, msisdn, "2*1234")
    assert mistyped["end"] is True and "معتبر نیست" in mistyped["reply"]
    (refused,) = conversation(api, msisdn, f"2*{imei}*{wrong}")
    assert refused["end"] is True and "اشتباه" in refused["reply"]
    # An IMEI nobody registered reads exactly like a wrong code.
    (unknown,) = conversation(api, msisdn, f"2*{ids.imei()}*{code}")
    assert unknown["reply"] == refused["reply"]
    conversation(api, msisdn, f"2*{imei}*{code}")
    (again,) = conversation(api, msisdn, f"2*{imei}*{code}")
    assert "در کارتابل شما قرار دارد" in again["reply"]


def test_a_replayed_or_copied_activation_gets_nothing(api):
    owner, stranger, imei = ids.msisdn(), ids.msisdn(), ids.imei()
    code = api.register_device(imei)
    text = f"2*{imei}*{code}"
    assert "فعال شد" in ussd(api, owner, text, session_id="same")[1]["reply"]
    # The same session id and text from another phone: the code is spent, nothing moves.
    status, data = ussd(api, stranger, text, session_id="same")
    assert status == 200 and "اشتباه" in data["reply"]
    assert find_device(imei).msisdn == owner


def test_activation_shares_the_webs_lock(api, set_env):
    set_env(ACTIVATION_MAX_ATTEMPTS=3)
    msisdn, _, token = new_sim_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(2):
        assert "اشتباه" in ussd(api, msisdn, f"2*{imei}*{wrong}")[1]["reply"]
    # The third wrong code, from the web, spends the same budget of guesses.
    status, _, _ = api.post("/devices/activate", {"imei": imei, "activation_code": wrong}, token=token)
    assert status == 404
    status, data = ussd(api, msisdn, f"2*{imei}*{code}")
    assert status == 200 and "دقیقه دیگر" in data["reply"]
    assert find_device(imei).state == "unclaimed"
    clock.advance(3600 + 1)
    assert "فعال شد" in ussd(api, msisdn, f"2*{imei}*{code}")[1]["reply"]


def test_activation_on_an_expired_sim_is_refused(api):
    msisdn, nid = ids.msisdn(), ids.national_id()
    api.operator_sim(msisdn, nid, status="expired")
    imei = ids.imei()
    code = api.register_device(imei)
    (refused,) = conversation(api, msisdn, f"2*{imei}*{code}")
    assert "فعال نیست" in refused["reply"]
    assert find_device(imei).state == "unclaimed"


# --- 3: انتقال مالکیت ---------------------------------------------------------------------


def _with_devices(api, token, msisdn, *names):
    return [own_device(api, token, brand=brand, model=model).imei for brand, model in names]


def test_the_list_numbers_the_sim_cartables_devices_like_the_web(api):
    msisdn, _, token = new_sim_cartable(api)
    (empty,) = conversation(api, msisdn, "3")
    assert empty["end"] is True and "دستگاهی" in empty["reply"]
    imeis = _with_devices(api, token, msisdn, ("Apple", "Apple iPhone 8"), ("HTC", "Desire"))
    (listed,) = conversation(api, msisdn, "3")
    assert listed["end"] is False
    assert f"1- {imeis[0]} Apple iPhone 8" in listed["reply"]
    assert f"2- {imeis[1]} HTC Desire" in listed["reply"]


def test_whole_model_names_where_they_fit_in_a_reply(api):
    msisdn, _, token = new_sim_cartable(api)
    long_name = ("Xiaomi", "Redmi Note 13 Pro+ 5G")
    imeis = _with_devices(api, token, msisdn, long_name, ("Samsung", "Galaxy A54"))
    (listed,) = conversation(api, msisdn, "3")
    assert f"1- {imeis[0]} Xiaomi Redmi Note 13 Pro+ 5G" in listed["reply"], listed["reply"]
    (answer,) = conversation(api, ids.msisdn(), "1*" + imeis[0])
    assert "Xiaomi Redmi Note 13 Pro+ 5G" in answer["reply"]
    imei = ids.imei()
    code = api.register_device(imei, brand="Xiaomi", model="Redmi Note 13 Pro+ 5G")
    (activated,) = conversation(api, ids.msisdn(), f"2*{imei}*{code}")
    assert "Xiaomi Redmi Note 13 Pro+ 5G" in activated["reply"] and len(activated["reply"]) <= 160


def test_a_long_list_still_fits_one_page(api):
    msisdn, _, token = new_sim_cartable(api)
    _with_devices(api, token, msisdn, *[("Brand" * 5, "Model" * 10)] * 6)
    (listed,) = conversation(api, msisdn, "3")
    assert listed["reply"].startswith("ردیف") and listed["reply"].endswith("…")


def test_sale_without_a_national_id_cartable_says_make_one_first(api):
    msisdn, _, token = new_sim_cartable(api)
    (imei,) = _with_devices(api, token, msisdn, ("Apple", "iPhone X"))
    for text in ("3*1", "3*1*" + PASSWORD):
        (reply,) = conversation(api, msisdn, text)
        assert reply["end"] is True and "کارتابل کد ملی تشکیل دهید" in reply["reply"]
    assert find_device(imei).state == "active"


def test_sale_with_the_cartables_password_gives_the_code_by_reply_and_sms(api):
    nid, msisdn, token = new_nid_cartable(api)
    imeis = _with_devices(api, token, msisdn, ("Apple", "iPhone X"), ("Nokia", "3310"))
    listed, ask, sold = conversation(
        api, msisdn, "3", "3*۲", "3*۲*" + PASSWORD
    )
    assert listed["end"] is False and ask["end"] is False and "رمز عبور" in ask["reply"]
    # The IMEI in Persian digits: the code is the reply's one ASCII number (sms.py's rule).
    assert sold["end"] is True and imeis[1].translate(PERSIAN) in sold["reply"] and "Nokia 3310" in sold["reply"]
    (code,) = codes_in(sold["reply"])
    # The same code by SMS to the dialling SIM, its one ASCII word; the buyer activates with it.
    texts = [t for n, t in sms_sent() if n == to_e164(msisdn)]
    assert re.findall(r"[A-Za-z0-9]{6,}", texts[-1]) == [code]
    devices = api.get("/devices", token=token)[1]["devices"]
    assert [d["status"] for d in devices] == ["active", "transfer_pending"]
    buyer = new_sim_cartable(api)[2]
    status, data, _ = api.post(
        "/devices/activate", {"imei": imeis[1], "activation_code": code}, token=buyer
    )
    assert status == 201, data
    assert [d["imeis"] for d in api.get("/devices", token=token)[1]["devices"]] == [[imeis[0]]]


def test_sale_with_a_wrong_password_counts_toward_the_login_lock(api, set_env):
    set_env(LOGIN_MAX_FAILURES=3)
    nid, msisdn, token = new_nid_cartable(api)
    (imei,) = _with_devices(api, token, msisdn, ("Apple", "iPhone X"))
    for _ in range(2):
        (reply,) = conversation(api, msisdn, "3*1*wrong-password")
        assert "رمز عبور کارتابل کد ملی اشتباه است" in reply["reply"]
    # The third failure, on the web, locks the cartable for both channels.
    assert login(api, nid, "another-wrong-one")[0] == 401
    (locked,) = conversation(api, msisdn, "3*1*" + PASSWORD)
    assert "دقیقه دیگر" in locked["reply"] and not codes_in(locked["reply"])
    assert login(api, nid)[0] == 429
    assert find_device(imei).state == "active"


def test_sale_of_a_row_that_is_not_there(api):
    nid, msisdn, token = new_nid_cartable(api)
    (imei,) = _with_devices(api, token, msisdn, ("Apple", "iPhone X"))
    for text in ("3*2", "3*0*" + PASSWORD, "3*x*" + PASSWORD, "3*9*" + PASSWORD):
        (reply,) = conversation(api, msisdn, text)
        assert reply["end"] is True and "ردیف دستگاه نامعتبر" in reply["reply"]
    assert find_device(imei).state == "active"


def test_a_session_that_skips_steps_gets_only_what_its_text_proves(api):
    nid, msisdn, token = new_nid_cartable(api)
    (imei,) = _with_devices(api, token, msisdn, ("Apple", "iPhone X"))
    # Straight to the last step, never having listed: the password is what counts.
    (wrong,) = conversation(api, msisdn, "3*1*guess")
    assert not codes_in(wrong["reply"]) and find_device(imei).state == "active"
    # Another phone replaying the owner's whole session text sells nothing of the owner's.
    stranger, _, _ = new_sim_cartable(api)
    (replayed,) = conversation(api, stranger, "3*1*" + PASSWORD)
    assert not codes_in(replayed["reply"]) and find_device(imei).state == "active"
    (sold,) = conversation(api, msisdn, "3*1*" + PASSWORD)
    assert len(codes_in(sold["reply"])) == 1


def test_a_blocked_device_cannot_be_sold(api):
    nid, msisdn, token = new_nid_cartable(api)
    (imei,) = _with_devices(api, token, msisdn, ("Apple", "iPhone X"))
    device = find_device(imei)
    device.state = "blocked"
    device.save()
    (reply,) = conversation(api, msisdn, "3*1*" + PASSWORD)
    assert "مسدود" in reply["reply"] and not codes_in(reply["reply"])


def test_a_fault_is_a_persian_reply_and_changes_nothing(api, monkeypatch):
    from botocore.exceptions import ClientError

    from chalicelib.services.devices import devices

    nid, msisdn, token = new_nid_cartable(api)
    (imei,) = _with_devices(api, token, msisdn, ("Apple", "iPhone X"))

    class Refusing:
        def __enter__(self):
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}},
                              "TransactWriteItems")

        def __exit__(self, *exc):
            return False

    # The sale's one transaction is refused (DynamoDB throttling after botocore's retries).
    monkeypatch.setattr(devices, "transact_write", lambda: Refusing())
    status, data = ussd(api, msisdn, "3*1*" + PASSWORD)
    assert status == 200 and "موقتاً در دسترس نیست" in data["reply"]
    assert find_device(imei).state == "active"


def test_the_stage_policies_allow_every_call_the_channels_make(api, client):
    """The USSD steps and an inbound SMS use only what .chalice/policy-<stage>.json allows."""
    import json
    import os

    from testkit.calls import count_calls

    nid, msisdn, token = new_nid_cartable(api)
    imei = ids.imei()
    code = api.register_device(imei)
    with count_calls() as calls:
        for text in ("", "1*" + imei, f"2*{imei}*{code}", "3", "3*1*wrong", "3*1*" + PASSWORD):
            assert ussd(api, msisdn, text)[0] == 200
        message = json.dumps({"originationNumber": to_e164(msisdn), "messageBody": imei})
        client.lambda_.invoke("inbound_sms", client.events.generate_sns_event(message=message))
    assert calls["TransactWriteItems"] and calls["Publish"] >= 2
    used = {("sns:" if op == "Publish" else "dynamodb:") + op for op in calls}
    used.discard("dynamodb:TransactWriteItems")  # authorised per item: Put/Update/Delete
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for stage in ("dev", "prod"):
        with open(os.path.join(root, ".chalice", f"policy-{stage}.json"), encoding="utf-8") as f:
            policy = json.load(f)
        allowed = {a for s in policy["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
        assert used <= allowed, used - allowed
