"""The steps a person takes on the web page (Playwright), shared by the browser tests
(tests/web_walk.py), the screenshots and the audit: sign in, register, activate."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from testkit.browser import persian, secret_in

PASSWORD = "Hamta-pass-2026"
BIRTH = "1370/05/12"


def captcha_ready(page):
    expect(page.get_by_role("img", name="تصویر کد امنیتی")).to_have_attribute("src", re.compile("^data:image/png"))


def sim_login(page, site, msisdn):
    """SIM login as a person does it: number, captcha, the SMS's temporary password, «ورود»."""
    page.get_by_role("tab", name="ورود با شماره همراه").click()
    page.get_by_label("شماره تلفن همراه").fill(persian(msisdn))
    captcha_ready(page)
    page.get_by_label("کد امنیتی").fill("۱۲۳۴")
    seen = len(site.texts(msisdn))
    page.get_by_role("button", name="ورود").click()
    try:
        sms = site.next_sms(msisdn, seen, timeout=3)
    except AssertionError:
        # An earlier code's resend timer still runs (2 s on the tests' local run): as a
        # person does, wait it out and ask again.
        expect(page.get_by_text("رمز عبور موقت به تازگی ارسال شده است")).to_be_visible()
        page.wait_for_timeout(2500)
        page.get_by_role("button", name="ورود").click()
        sms = site.next_sms(msisdn, seen)
    code = secret_in(sms)
    page.get_by_label("رمز عبور موقت").fill(persian(code))
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()


def nid_login(page, national_id, password=PASSWORD):
    page.get_by_role("tab", name="ورود با کد ملی").click()
    page.get_by_label("کد ملی").fill(persian(national_id))
    page.get_by_label("رمز عبور", exact=True).fill(password)
    captcha_ready(page)
    page.get_by_label("کد امنیتی").fill("۱")
    page.get_by_role("button", name="ورود").click()


def register_cartable(page, national_id):
    """From a SIM session: «حساب کاربری» → the national-ID cartable's form → «ثبت نام»."""
    page.get_by_role("button", name="حساب کاربری").click()
    page.get_by_label("کد ملی").fill(persian(national_id))
    page.get_by_label("تاریخ تولد").fill(persian(BIRTH))
    page.get_by_label("رمز عبور", exact=True).fill(PASSWORD)
    page.get_by_label("تکرار رمز عبور").fill(PASSWORD)
    page.get_by_role("button", name="ثبت نام").click()
    expect(page.get_by_role("status")).to_contain_text("کارتابل کد ملی تشکیل شد")


def activate_on_page(page, imei, code):
    page.get_by_role("button", name="فعال سازی تلفن همراه").click()
    page.get_by_label("شناسه دستگاه (IMEI)").fill(persian(imei))
    page.get_by_label("کد فعالسازی").fill(persian(code))
    page.get_by_role("button", name="فعال سازی دستگاه").click()
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
