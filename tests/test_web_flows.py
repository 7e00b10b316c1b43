"""The web page in a real browser, walked the way a person clicks it (API.md "Web page").

One `scripts/local.py` on free ports (CAPTCHA_MODE=off, a 2-second resend timer) serves the
page and the API; Chromium opens it at a phone's width; SMS codes are read from the emulated
SNS. Every test also checks that the page asked nothing of another origin and logged no
error or CSP violation. The guide's menu is walked in tests/test_web_menu.py, the issue-23
points (messages, confirmations, layout, audio captcha) in tests/test_web_page.py.
"""
from __future__ import annotations

import re

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from testkit import ids  # noqa: E402
from testkit.browser import PHONE, chromium_path, persian, secret_in  # noqa: E402
from testkit.page_steps import (  # noqa: E402
    BIRTH, PASSWORD, captcha_ready, nid_login, register_cartable, sim_login,
)
from tests.web_walk import (  # noqa: E402,F401  (fixtures are used by name)
    Counted, browser, confirm_in_dialog, device_rows, new_nid_cartable, open_page, site,
)

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="no Chromium found: apt-get install chromium")

HEADERS = ["ردیف", "شناسه دستگاه (IMEI)", "مدل تلفن همراه", "کد فعالسازی", "شماره تلفن همراه"]


# ---- the page itself ---------------------------------------------------------------------

def test_the_page_is_persian_right_to_left_with_its_own_font_and_strict_csp(site, open_page):
    page = open_page()
    assert page.locator("html").get_attribute("lang") == "fa"
    assert page.locator("html").get_attribute("dir") == "rtl"
    response = page.request.get(site.url + "/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    # The font in use is the shipped Vazirmatn, loaded from this origin.
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px Vazirmatn', 'سامانه همتا')")
    assert page.evaluate("[...document.fonts].some(f => f.family.includes('Vazirmatn') && f.status === 'loaded')")
    # bench/page_weight.py weighs exactly what the browser fetched for the first screen.
    from bench.page_weight import first_load

    fetched = {url[len(site.url):] or "/" for url in page.requested if url.startswith(site.url)}
    assert fetched - {"/captcha"} == set(first_load())
    # A phone's screen: nothing wider than 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# ---- SIM login ---------------------------------------------------------------------------

def test_sim_login_with_captcha_countdown_and_resend(site, open_page):
    page = open_page()
    msisdn = ids.msisdn()
    site.operator_sim(msisdn, ids.national_id())
    # What a person types: Persian digits, spaces, +98.
    page.get_by_label("شماره تلفن همراه").fill("+۹۸ " + persian(msisdn[1:4]) + " " + persian(msisdn[4:]))
    captcha_ready(page)
    page.get_by_label("کد امنیتی").fill("۷۱۳۳۷")
    page.get_by_role("button", name="ورود").click()
    first = secret_in(site.next_sms(msisdn, 0))

    resend = page.get_by_role("button", name="ارسال مجدد رمز عبور موقت")
    expect(resend).to_be_disabled()
    expect(page.get_by_role("timer")).to_have_text(re.compile("^۰۰:۰[۰-۲]$"))
    expect(page.get_by_text(persian(msisdn[:4]) + "***" + persian(msisdn[7:]))).to_be_visible()
    # The timer ends (2 s here): the resend button opens with a fresh captcha.
    expect(resend).to_be_enabled()
    captcha_ready(page)
    page.get_by_label("کد امنیتی").fill("۱")
    resend.click()
    second = secret_in(site.next_sms(msisdn, 1))
    expect(resend).to_be_disabled()

    # The first code died with the second one: its Persian error shows by the form.
    page.get_by_label("رمز عبور موقت").fill(first)
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_role("alert")).to_contain_text("رمز")
    expect(page.get_by_label("رمز عبور موقت")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("رمز عبور موقت").fill(persian(second))
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
    expect(page.get_by_text("دستگاهی در این کارتابل نیست")).to_be_visible()


def test_a_wrong_number_and_an_unsent_captcha_show_persian_errors(site, open_page):
    page = open_page()
    page.get_by_label("شماره تلفن همراه").fill("۱۲۳")
    captcha_ready(page)
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_role("alert")).to_contain_text("شماره")
    expect(page.get_by_label("شماره تلفن همراه")).to_be_focused()


# ---- national-ID cartable -----------------------------------------------------------------

def test_registration_national_id_login_and_password_change(site, open_page):
    page = open_page()
    msisdn, national_id = ids.msisdn(), ids.national_id()
    site.operator_sim(msisdn, national_id)
    imeis, code = site.registered_device("Samsung", "Galaxy A54")
    sim_login(page, site, msisdn)
    page.get_by_role("button", name="فعال سازی تلفن همراه").click()
    page.get_by_label("شناسه دستگاه (IMEI)").fill(persian(imeis[0]))
    page.get_by_label("کد فعالسازی").fill(persian(code))
    page.get_by_role("button", name="فعال سازی دستگاه").click()
    expect(device_rows(page)).to_have_count(1)

    # A password that is only the national ID's digits is refused, in Persian, by the field.
    page.get_by_role("button", name="حساب کاربری").click()
    page.get_by_label("کد ملی").fill(national_id)
    page.get_by_label("تاریخ تولد").fill(persian(BIRTH))
    page.get_by_label("رمز عبور", exact=True).fill(national_id)
    page.get_by_label("تکرار رمز عبور").fill(national_id)
    page.get_by_role("button", name="ثبت نام").click()
    expect(page.get_by_role("alert")).to_contain_text("رمز")
    register_cartable(page, national_id)
    page.get_by_role("button", name="خروج").click()
    expect(page.get_by_role("status")).to_contain_text("خارج شدید")

    nid_login(page, national_id, "not-the-password")
    expect(page.get_by_role("alert")).to_be_visible()
    nid_login(page, national_id)
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
    # The header chip masks the national ID as every number is masked.
    expect(page.locator("#who")).to_have_text(f"کارتابل کد ملی {persian(national_id[:3])}***{persian(national_id[8:])}")
    expect(page.locator("#who")).not_to_contain_text(persian(national_id))
    # The SIM's device moved into the national-ID cartable.
    expect(device_rows(page)).to_have_count(1)

    page.get_by_role("button", name="حساب کاربری").click()
    page.get_by_label("رمز عبور فعلی").fill("wrong-old-password")
    page.get_by_label("رمز عبور جدید", exact=True).fill("Another-pass-77")
    page.get_by_label("تکرار رمز عبور جدید").fill("Another-pass-77")
    page.get_by_role("button", name="تغییر رمز عبور").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("رمز عبور فعلی").fill(PASSWORD)
    page.get_by_label("رمز عبور جدید", exact=True).fill("Another-pass-77")
    page.get_by_label("تکرار رمز عبور جدید").fill("Another-pass-77")
    page.get_by_role("button", name="تغییر رمز عبور").click()
    expect(page.get_by_role("status")).to_contain_text("رمز عبور تغییر کرد")
    page.get_by_role("button", name="خروج").click()
    nid_login(page, national_id, "Another-pass-77")
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()


def test_forgot_password_by_sms_then_a_new_password_in_eleven_actions(site, open_page):
    page = open_page()
    msisdn, national_id = new_nid_cartable(page, site)
    page.get_by_role("button", name="خروج").click()

    person = Counted(page)
    person.click("فراموشی رمز عبور")
    expect(page.get_by_role("radio", name="پیامک کوتاه")).to_be_checked()
    person.fill("کد ملی", persian(national_id))
    person.fill("شماره تلفن همراه", persian(msisdn))
    person.fill("تاریخ تولد", persian(BIRTH))
    seen = len(site.texts(msisdn))
    person.click("بازیابی")
    # What happens next, to which number, for how long, and when to ask again.
    sent = page.locator("#forgot-sent")
    expect(sent).to_contain_text("پیامک می‌شود")
    expect(sent).to_contain_text(persian(msisdn[:4]) + "***" + persian(msisdn[7:]))
    expect(sent).to_contain_text("دوباره درخواست دهید")
    temporary = secret_in(site.next_sms(msisdn, seen))
    person.fill("رمز عبور موقت", temporary)
    captcha_ready(page)
    person.fill("کد امنیتی", "۱")
    person.click("ورود")
    expect(page.get_by_role("heading", name="تعیین رمز عبور جدید")).to_be_visible()
    # Only the password change is open to this session: no menu; the temporary password
    # is not asked again.
    expect(page.get_by_role("button", name="مدیریت دستگاهها")).to_have_count(0)
    expect(page.get_by_label("رمز عبور موقت")).to_have_count(0)
    person.fill("رمز عبور جدید", "Fresh-pass-2026", exact=True)
    person.fill("تکرار رمز عبور جدید", "Fresh-pass-2026")
    person.click("تغییر رمز عبور")
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("رمز عبور جدید ثبت شد")
    assert person.actions == 11  # was 17: the temporary password typed twice, a second login
    page.get_by_role("button", name="خروج").click()
    nid_login(page, national_id, "Fresh-pass-2026")
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()


# ---- devices ---------------------------------------------------------------------------

def test_device_table_activation_sale_and_its_cancelling(site, open_page):
    page = open_page()
    msisdn, _ = new_nid_cartable(page, site)  # a sale needs the Hamta password: a national-ID session
    single, code1 = site.registered_device("Apple", "iPhone 8")
    dual, code2 = site.registered_device("HUAWEI", "nova 3i", dual=True)

    page.get_by_role("button", name="فعال سازی تلفن همراه").click()
    page.get_by_label("شناسه دستگاه (IMEI)").fill(persian(single[0]))
    page.get_by_label("کد فعالسازی").fill("000000" if code1 != "000000" else "111111")
    page.get_by_role("button", name="فعال سازی دستگاه").click()
    # A wrong code: not_found, whose words name both fields and blame neither.
    expect(page.get_by_role("alert")).to_contain_text("شناسه دستگاه (IMEI) یا کد فعالسازی")
    page.get_by_label("کد فعالسازی").fill(persian(code1))
    page.get_by_role("button", name="فعال سازی دستگاه").click()
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
    # The second IMEI of a dual-IMEI phone activates the whole phone.
    page.get_by_role("button", name="فعال سازی تلفن همراه").click()
    page.get_by_label("شناسه دستگاه (IMEI)").fill(persian(dual[1][:5] + " " + dual[1][5:]))
    page.get_by_label("کد فعالسازی").fill(code2)
    page.get_by_role("button", name="فعال سازی دستگاه").click()

    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_text(HEADERS)
    expect(device_rows(page)).to_have_count(2)
    first, second = device_rows(page).nth(0), device_rows(page).nth(1)
    expect(first).to_contain_text("۱")
    expect(first).to_contain_text(persian(single[0]))
    expect(first).to_contain_text("برند: Apple")
    expect(first).to_contain_text(persian(code1))
    expect(first).to_contain_text(persian(msisdn[:4]) + "***")
    expect(second).to_contain_text(persian(dual[0]))
    expect(second).to_contain_text(persian(dual[1]))

    # No row chosen (a fresh load of the page): the page says to choose one.
    page.reload()
    expect(device_rows(page)).to_have_count(2)
    page.get_by_role("button", name="انتقال مالکیت/فروش").click()
    expect(page.get_by_role("alert")).to_contain_text("انتخاب")
    page.get_by_role("radio", name="انتخاب ردیف ۱").check()
    # «تولید کد فعال سازی» on a device not on sale makes no code: it says how one is made.
    page.get_by_role("button", name="تولید کد فعال سازی").click()
    expect(page.get_by_role("status")).to_contain_text("«انتقال مالکیت/فروش»")
    expect(first).not_to_contain_text("در انتظار انتقال")
    # A sale asks first, naming the device; cancelling the dialog sells nothing.
    page.get_by_role("button", name="انتقال مالکیت/فروش").click()
    page.get_by_role("dialog").get_by_role("button", name="انصراف").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="انتقال مالکیت/فروش")).to_be_focused()
    expect(first).not_to_contain_text("در انتظار انتقال")
    page.get_by_role("button", name="انتقال مالکیت/فروش").click()
    confirm_in_dialog(page, "انتقال مالکیت/فروش", "تأیید فروش", names=["Apple iPhone 8", persian(single[0])])
    expect(first).to_contain_text("در انتظار انتقال به خریدار")
    sale_code = page.locator(".code-box strong bdi").get_attribute("data-value")
    assert re.fullmatch(r"[0-9]+", sale_code)
    expect(first).to_contain_text(persian(sale_code))
    expect(page.locator(".code-box")).to_contain_text("معتبر تا")
    # «تولید کد فعال سازی» shows the same code again, with its expiry, even after a reload.
    page.reload()
    page.get_by_role("radio", name="انتخاب ردیف ۱").check()
    page.get_by_role("button", name="تولید کد فعال سازی").click()
    expect(page.get_by_role("status")).to_contain_text(persian(sale_code))
    expect(page.get_by_role("status")).to_contain_text("معتبر تا")
    expect(page.locator(".code-box strong bdi")).to_have_attribute("data-value", sale_code)

    # Cancelling the sale kills its code: a buyer gets not_found.
    page.get_by_role("button", name="لغو فروش").click()
    expect(page.get_by_role("status")).to_contain_text("فروش لغو شد")
    expect(first).not_to_contain_text("در انتظار انتقال")

    # Offered again; the buyer activates it in another browser.
    page.get_by_role("button", name="انتقال مالکیت/فروش").click()
    confirm_in_dialog(page, "انتقال مالکیت/فروش", "تأیید فروش")
    expect(first).to_contain_text("در انتظار انتقال به خریدار")
    sale_code = page.locator(".code-box strong bdi").get_attribute("data-value")
    buyer = open_page()
    buyer_msisdn = ids.msisdn()
    site.operator_sim(buyer_msisdn, ids.national_id())
    sim_login(buyer, site, buyer_msisdn)
    buyer.get_by_role("button", name="فعال سازی تلفن همراه").click()
    buyer.get_by_label("شناسه دستگاه (IMEI)").fill(single[0])
    buyer.get_by_label("کد فعالسازی").fill(persian(sale_code))
    buyer.get_by_role("button", name="فعال سازی دستگاه").click()
    expect(device_rows(buyer)).to_have_count(1)
    expect(device_rows(buyer).first).to_contain_text(persian(buyer_msisdn[:4]) + "***")
    page.get_by_role("button", name="مدیریت دستگاهها").click()
    expect(device_rows(page)).to_have_count(1)


def test_add_device_asks_for_the_old_number_and_brings_the_device_back(site, open_page):
    page = open_page()
    national_id, old, new = ids.national_id(), ids.msisdn(), ids.msisdn()
    site.operator_sim(old, national_id)
    site.operator_sim(new, national_id)
    imeis, code = site.registered_device("Sony", "Xperia Z1 Compact")
    sim_login(page, site, old)
    page.get_by_role("button", name="فعال سازی تلفن همراه").click()
    page.get_by_label("شناسه دستگاه (IMEI)").fill(imeis[0])
    page.get_by_label("کد فعالسازی").fill(code)
    page.get_by_role("button", name="فعال سازی دستگاه").click()
    expect(device_rows(page)).to_have_count(1)
    # The old number changes hands: its cartable is gone, the device awaits recovery.
    site.operator_sim(old, ids.national_id())

    page2 = open_page()
    sim_login(page2, site, new)
    page2.get_by_role("button", name="افزودن دستگاه").click()
    dialog = page2.get_by_role("dialog", name="افزودن دستگاه")
    dialog.get_by_label("شناسه دستگاه (IMEI)").fill(persian(imeis[0]))
    dialog.get_by_role("button", name="ثبت").click()
    expect(dialog.get_by_label("شماره سیم کارت قبلی")).to_be_visible()
    dialog.get_by_label("شماره سیم کارت قبلی").fill(persian(ids.msisdn()))
    dialog.get_by_role("button", name="تأیید").click()
    expect(dialog.get_by_role("alert")).to_be_visible()  # a wrong number: not_found, in Persian
    dialog.get_by_label("شماره سیم کارت قبلی").fill(persian(old))
    dialog.get_by_role("button", name="تأیید").click()
    expect(page2.get_by_role("dialog")).to_have_count(0)
    expect(page2.get_by_role("status")).to_contain_text("اضافه شد")
    expect(device_rows(page2)).to_have_count(1)
    expect(device_rows(page2).first).to_contain_text(persian(code))
    expect(device_rows(page2).first).to_contain_text(persian(new[:4]) + "***")

    # Its history, in Persian with Jalali dates, shows the way it came.
    page2.get_by_role("button", name="سوابق دستگاه").click()
    history = page2.get_by_role("dialog")
    expect(history.get_by_role("listitem")).to_have_count(3)  # registered, activated, recovered
    expect(history).to_contain_text("ثبت در سامانه")
    expect(history).to_contain_text("فعال سازی")
    expect(history).to_contain_text("بازیابی در کارتابل")
    expect(history).to_contain_text(re.compile("[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}"))
    history.get_by_role("button", name="بستن").click()
    expect(page2.get_by_role("dialog")).to_have_count(0)


# ---- SIM management ------------------------------------------------------------------------

def test_sim_management_add_with_sms_code_and_remove(site, open_page):
    page = open_page()
    first, national_id = new_nid_cartable(page, site)
    second = ids.msisdn()
    site.operator_sim(second, national_id)

    page.get_by_role("button", name="مدیریت سیم کارتها").click()
    expect(page.get_by_role("row")).to_have_count(2)  # the header and the first SIM
    page.get_by_label("شماره سیم کارت جدید").fill(persian(second))
    page.get_by_role("button", name="ارسال کد تأیید").click()
    code = secret_in(site.next_sms(second, 0))
    page.get_by_label("کد تأیید پیامک شده").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="افزودن سیم کارت").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("کد تأیید پیامک شده").fill(persian(code))
    page.get_by_role("button", name="افزودن سیم کارت").click()
    expect(page.get_by_role("status")).to_contain_text("اضافه شد")
    expect(page.get_by_role("row")).to_have_count(3)
    expect(page.get_by_role("table")).to_contain_text(persian(second))

    page.get_by_role("button", name=f"حذف سیم کارت {persian(first)}").click()
    confirm_in_dialog(page, "حذف سیم کارت", "حذف سیم کارت", names=[persian(first)])
    expect(page.get_by_role("status")).to_contain_text("حذف شد")
    expect(page.get_by_role("row")).to_have_count(2)
    # The last active SIM stays: the refusal is shown in Persian.
    page.get_by_role("button", name=f"حذف سیم کارت {persian(second)}").click()
    page.get_by_role("dialog").get_by_role("button", name="حذف سیم کارت").click()
    expect(page.get_by_role("dialog").get_by_role("alert")).to_contain_text("آخرین سیم کارت")
    page.get_by_role("dialog").get_by_role("button", name="انصراف").click()
    expect(page.get_by_role("row")).to_have_count(2)


# ---- public inquiry --------------------------------------------------------------------------

def test_authenticity_and_imei_status_need_no_login(site, open_page):
    page = open_page()
    imeis, _ = site.registered_device("Xiaomi", "Redmi Note 13")
    page.get_by_role("button", name="استعلام اصالت دستگاه").click()
    page.get_by_label("شناسه دستگاه (IMEI)").fill(persian(imeis[0]))
    page.get_by_role("button", name="بررسی اصالت").click()
    expect(page.get_by_text("ثبت شده و اصالت آن تأیید است")).to_be_visible()
    expect(page.get_by_text("Redmi Note 13")).to_be_visible()
    page.get_by_label("شناسه دستگاه (IMEI)").fill("123")
    page.get_by_role("button", name="بررسی اصالت").click()
    expect(page.get_by_role("alert")).to_be_visible()

    page.get_by_role("button", name="وضعیت شناسه دستگاه (IMEI)").click()
    page.get_by_label("شناسه دستگاه (IMEI)").fill(ids.imei())
    page.get_by_role("button", name="بررسی وضعیت").click()
    expect(page.get_by_text("وضعیت: ثبت نشده")).to_be_visible()


# ---- the session token --------------------------------------------------------------------

def test_the_token_lives_only_in_this_tab_and_dies_at_logout(site, open_page):
    page = open_page()
    msisdn = ids.msisdn()
    site.operator_sim(msisdn, ids.national_id())
    sim_login(page, site, msisdn)
    stored = page.evaluate("JSON.parse(sessionStorage.getItem('hamta.session'))")
    token = stored["token"]
    assert page.evaluate("localStorage.length") == 0
    assert token not in page.url
    assert site.api("GET", "/me", token=token)[0] == 200
    # A reload keeps the tab's session.
    page.reload()
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
    page.get_by_role("button", name="خروج").click()
    expect(page.get_by_role("tab", name="ورود با شماره همراه")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('hamta.session')") is None
    assert site.api("GET", "/me", token=token)[0] == 401


def test_a_dead_session_returns_to_login_with_a_message(site, open_page):
    page = open_page()
    msisdn = ids.msisdn()
    site.operator_sim(msisdn, ids.national_id())
    sim_login(page, site, msisdn)
    token = page.evaluate("JSON.parse(sessionStorage.getItem('hamta.session')).token")
    site.api("POST", "/auth/logout", token=token)  # ended elsewhere
    page.get_by_role("button", name="فعال سازی تلفن همراه").click()
    page.get_by_label("شناسه دستگاه (IMEI)").fill(ids.imei())
    page.get_by_label("کد فعالسازی").fill("123456")
    page.get_by_role("button", name="فعال سازی دستگاه").click()
    expect(page.get_by_role("status")).to_contain_text("نشست شما به پایان رسیده است")
    expect(page.get_by_role("tab", name="ورود با شماره همراه")).to_be_visible()


# ---- keyboard, desktop ---------------------------------------------------------------------

def test_keyboard_only_login_tabs_and_enter(site, open_page):
    page = open_page(viewport={"width": 1280, "height": 800})
    tab = page.get_by_role("tab", name="ورود با شماره همراه")
    tab.focus()
    page.keyboard.press("ArrowLeft")  # right to left: the next tab is on the left
    expect(page.get_by_role("tab", name="ورود با کد ملی")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="ورود با کد ملی")).to_be_focused()
    page.get_by_label("کد ملی").fill("۱۲۳")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("کد ملی")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
