"""Issue 20 on the web page, in a real browser: the Hamta password for a sale and a repair
from a SIM session, the lead to make a national-ID cartable (409 password_required), the
reset hold's end as a Jalali date, the repair part by its field, and «سیم کارتهای به نام شما»
with a dispute."""
from __future__ import annotations

import re
import time

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from testkit import ids  # noqa: E402
from testkit.browser import chromium_path, persian, secret_in  # noqa: E402
from testkit.local_run import OPERATOR, REGISTRAR  # noqa: E402
from testkit.page_steps import BIRTH, PASSWORD, activate_on_page, nid_login, register_cartable, sim_login  # noqa: E402
from tests.web_walk import (  # noqa: E402,F401  (fixtures are used by name)
    browser, confirm_in_dialog, device_rows, new_nid_cartable, open_page, sim_cartable_with_phone, site,
)

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="no Chromium found: apt-get install chromium")

HOLD_SECONDS = 259200  # RESET_HOLD_SECONDS' default: three days


def field_error(scope, label):
    """The error shown right under the field `label` names (its next sibling)."""
    return scope.get_by_label(label, exact=True).locator("xpath=following-sibling::*[1][@role='alert']")


def model_imei(tac):
    return ids.luhn_complete(tac + ids.imei()[8:14])


def repair_part(site, tac, brand, model):
    """A replacement board's IMEI, registered by a registrar as a repair part."""
    imei = model_imei(tac)
    status, data = site.api("POST", "/registrar/devices",
                            {"imei": imei, "brand": brand, "model": model, "source": "repair_part"}, token=REGISTRAR)
    assert status == 201, data
    return imei


def phone_of_model(site, tac, brand, model):
    site.phone_model(tac, brand, model)
    return site.registered_device(brand, model, imeis=[model_imei(tac)])


def test_a_sim_session_sells_and_repairs_with_the_national_id_cartables_password(site, open_page):
    page = open_page()
    msisdn, national_id = ids.msisdn(), ids.national_id()
    site.operator_sim(msisdn, national_id)
    (old,), code = phone_of_model(site, "86480012", "HUAWEI", "nova 3i")
    sim_login(page, site, msisdn)
    activate_on_page(page, old, code)
    register_cartable(page, national_id)  # the SIM session goes on; its SIM is in the cartable now
    page.get_by_role("button", name="مدیریت دستگاهها").click()
    expect(device_rows(page)).to_have_count(1)

    # A sale: the confirmation asks the national-ID cartable's password; a wrong one is told
    # by its field, the right one makes the buyer's code.
    page.get_by_role("button", name="انتقال مالکیت/فروش").click()
    dialog = page.get_by_role("dialog", name="انتقال مالکیت/فروش")
    dialog.get_by_label("رمز عبور کارتابل کد ملی").fill("not-my-password")
    dialog.get_by_role("button", name="تأیید فروش").click()
    expect(field_error(dialog, "رمز عبور کارتابل کد ملی")).to_contain_text("رمز عبور")
    seen = len(site.texts(msisdn))
    dialog.get_by_label("رمز عبور کارتابل کد ملی").fill(PASSWORD)
    dialog.get_by_role("button", name="تأیید فروش").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#sale-code strong")).to_have_text(re.compile("^[۰-۹]{4,}$"))
    assert site.api("GET", f"/imei/{old}")[1]["status"] == "registered"
    assert "nova 3i" in site.next_sms(msisdn, seen)  # every SIM of the cartable is told
    page.get_by_role("button", name="لغو فروش").click()
    expect(device_rows(page).first).not_to_contain_text("در انتظار انتقال")

    # A repair: the form names the part and asks the same password.
    part = repair_part(site, "86480012", "HUAWEI", "nova 3i")
    page.get_by_role("button", name="ثبت گوشی تعمیراتی").click()
    expect(page.get_by_label("گوشی تعمیر شده")).to_contain_text(persian(old))  # the list loaded
    expect(page.get_by_text("قطعه تعمیراتی (برد) همین مدل گوشی")).to_be_visible()
    expect(page.get_by_label("شناسه جدید دستگاه (IMEI)")).to_have_accessible_description(
        re.compile("مرکز خدمات مجاز"))
    page.get_by_label("شناسه جدید دستگاه (IMEI)").fill(persian(part))
    page.get_by_label("رمز عبور کارتابل کد ملی").fill(PASSWORD)
    page.get_by_role("button", name="ثبت تعمیر").click()
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
    expect(device_rows(page).first).to_contain_text(persian(part))
    expect(device_rows(page).first).to_contain_text(persian(code))
    assert site.api("GET", f"/imei/{old}")[1]["status"] == "replaced"


def test_a_repair_names_the_part_and_its_refusals_stand_by_the_new_imei(site, open_page):
    page = open_page()
    new_nid_cartable(page, site)
    (old,), code = phone_of_model(site, "86480013", "Xiaomi", "Redmi 12")
    activate_on_page(page, old, code)
    site.phone_model("86480014", "Xiaomi", "Redmi 13")
    other_model = repair_part(site, "86480014", "Xiaomi", "Redmi 13")
    page.get_by_role("button", name="ثبت گوشی تعمیراتی").click()
    expect(page.get_by_label("گوشی تعمیر شده")).to_contain_text(persian(old))  # the list loaded
    expect(page.get_by_label("رمز عبور کارتابل کد ملی")).to_have_count(0)  # a national-ID session proved it
    new_imei = page.get_by_label("شناسه جدید دستگاه (IMEI)")
    new_imei.fill(model_imei("86480013"))  # of the model, but no registered part
    page.get_by_role("button", name="ثبت تعمیر").click()
    expect(field_error(page, "شناسه جدید دستگاه (IMEI)")).to_contain_text("قطعه تعمیراتی از یک مرکز خدمات مجاز ثبت نشده")
    expect(new_imei).to_have_attribute("aria-invalid", "true")
    new_imei.fill(other_model)  # a part, of another model
    page.get_by_role("button", name="ثبت تعمیر").click()
    expect(field_error(page, "شناسه جدید دستگاه (IMEI)")).to_contain_text("برای برند و مدل دیگری ثبت شده است")
    expect(page.get_by_role("alert")).to_have_count(1)  # the one error, by its field
    assert site.api("GET", f"/imei/{old}")[1]["status"] == "registered"


def test_a_sim_in_no_national_id_cartable_is_led_to_make_one(site, open_page):
    page = open_page()
    msisdn, imeis, code = sim_cartable_with_phone(page, site, "Nokia", "G21")
    page.get_by_role("button", name="انتقال مالکیت/فروش").click()
    dialog = page.get_by_role("dialog", name="انتقال مالکیت/فروش")
    expect(dialog.get_by_label("رمز عبور کارتابل کد ملی")).to_have_count(0)  # it has none to give
    dialog.get_by_role("button", name="تأیید فروش").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("heading", name="حساب کاربری")).to_be_visible()
    expect(page.get_by_role("heading", name="تشکیل کارتابل کد ملی")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("ابتدا کارتابل کد ملی تشکیل دهید")
    assert site.api("GET", f"/imei/{imeis[0]}")[1]["status"] == "registered"

    page.get_by_role("button", name="ثبت گوشی تعمیراتی").click()
    expect(page.get_by_label("گوشی تعمیر شده")).to_contain_text(persian(imeis[0]))  # the list loaded
    expect(page.get_by_label("رمز عبور کارتابل کد ملی")).to_have_count(0)
    page.get_by_label("شناسه جدید دستگاه (IMEI)").fill(ids.imei())
    page.get_by_role("button", name="ثبت تعمیر").click()
    expect(page.get_by_role("heading", name="تشکیل کارتابل کد ملی")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("ابتدا کارتابل کد ملی تشکیل دهید")


def jalali_in_tehran(epoch):
    import jdatetime
    from datetime import datetime, timedelta, timezone

    tehran = datetime.fromtimestamp(epoch, timezone(timedelta(hours=3, minutes=30)))
    return persian(jdatetime.date.fromgregorian(date=tehran.date()).strftime("%Y/%m/%d"))


def test_the_reset_hold_shows_its_end_as_a_jalali_date(site, open_page):
    page = open_page()
    msisdn, national_id = new_nid_cartable(page, site)
    imeis, code = site.registered_device("Apple", "iPhone 12")
    activate_on_page(page, imeis[0], code)
    # A forgot-password reset, used to sign in and set a new password: the hold starts.
    seen = len(site.texts(msisdn))
    assert site.api("POST", "/auth/password/forgot", {"national_id": national_id, "msisdn": msisdn,
                                                      "birth_date": BIRTH, "channel": "sms"})[0] == 202
    temporary = secret_in(site.next_sms(msisdn, seen))
    captcha_id = site.api("POST", "/captcha")[1]["captcha_id"]
    status, data = site.api("POST", "/auth/login", {"national_id": national_id, "password": temporary,
                                                   "captcha_id": captcha_id, "captcha_answer": "1"})
    assert status == 200, data
    began = time.time()
    assert site.api("PUT", "/me/password", {"old_password": temporary, "new_password": PASSWORD + "!"},
                    token=data["token"])[0] == 204

    page.reload()  # the reset ended this session
    nid_login(page, national_id, PASSWORD + "!")
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
    page.get_by_role("button", name="انتقال مالکیت/فروش").click()
    dialog = page.get_by_role("dialog", name="انتقال مالکیت/فروش")
    dialog.get_by_role("button", name="تأیید فروش").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("پس از بازیابی رمز عبور، فروش و ثبت تعمیر")
    text = alert.inner_text()
    assert any(jalali_in_tehran(began + HOLD_SECONDS + slack) in text for slack in (-60, 0, 60)), text
    assert "ثانیه" not in text
    assert site.api("GET", f"/imei/{imeis[0]}")[1]["status"] == "registered"


def test_the_sims_in_your_name_and_a_dispute_confirmed(site, open_page):
    page = open_page()
    first, national_id = new_nid_cartable(page, site)
    stranger = ids.msisdn()
    site.operator_sim(stranger, national_id)  # a SIM in this name the person never added
    page.get_by_role("button", name="سیم کارتهای به نام شما").click()
    expect(page.get_by_role("heading", name="سیم کارتهای به نام شما")).to_be_focused()
    rows = page.locator("#connection-table tbody tr")
    expect(rows).to_have_count(2)
    mine = page.locator(f'#connection-table tr[data-msisdn="{first}"]')
    theirs = page.locator(f'#connection-table tr[data-msisdn="{stranger}"]')
    expect(mine).to_contain_text(persian(first))  # whole: the person's own numbers
    expect(mine).to_contain_text("بله")
    expect(theirs).to_contain_text(persian(stranger))
    expect(theirs).to_contain_text("خیر")
    expect(page.locator("#connections-limit")).to_contain_text("سقف سیم کارتهای یک کد ملی ۱۰ سیم کارت")

    theirs.get_by_role("button", name=f"سیم کارت {persian(stranger)} متعلق به من نیست").click()
    confirm_in_dialog(page, "اعتراض به سیم کارت", "ثبت اعتراض", names=[persian(stranger)])
    expect(page.get_by_role("status")).to_contain_text("اعتراض شما به سیم کارت")
    expect(theirs).to_contain_text("اعتراض ثبت شده است")
    expect(theirs.get_by_role("button")).to_have_count(0)
    disputes = site.api("GET", "/operator/disputes", token=OPERATOR)[1]["disputes"]
    assert [d["msisdn"] for d in disputes if d["national_id"] == national_id] == [stranger]

    # A SIM session is not shown the national ID's SIMs, not even by the address.
    page.get_by_role("button", name="خروج").click()
    sim_login(page, site, first)
    expect(page.get_by_role("button", name="سیم کارتهای به نام شما")).to_have_count(0)
    page.goto(site.url + "/#/connections")
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
