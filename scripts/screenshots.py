"""docs/screenshots/: the web page's main screens at a phone's width (360 px) and two at a
desktop's (1280 px), for the README, docs/channels.md and docs/page.md.

Starts `scripts/local.py` on free ports (CAPTCHA_MODE=off), makes a SIM, a national-ID
cartable and a few devices through the partner routes, then walks the page in Debian's
Chromium the way a person does and saves one PNG per screen.

    python scripts/screenshots.py [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from testkit import ids  # noqa: E402
from testkit.browser import PHONE, Site, launch, persian, secret_in  # noqa: E402
from testkit.page_steps import (  # noqa: E402
    activate_on_page, captcha_ready, nid_login, register_cartable, sim_login,
)

DESKTOP = {"width": 1280, "height": 800}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "screenshots"))
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    site = Site()
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_page(viewport=PHONE, locale="fa-IR", device_scale_factor=1)
            page.set_default_timeout(15_000)

            def shot(name: str, **options: object) -> None:
                page.mouse.move(0, 0)  # no hover left on a button from the last click
                page.screenshot(path=os.path.join(args.out, name), **options)

            walk(site, page, shot)
            browser.close()
    finally:
        site.stop()
    print(f"screenshots in {args.out}")
    return 0


def walk(site: Site, page, shot) -> None:  # type: ignore[no-untyped-def]
    msisdn, old, national_id = "09301234567", "09131234567", ids.national_id()
    site.operator_sim(msisdn, national_id)
    site.operator_sim(old, national_id)
    phones = [site.registered_device("Apple", "iPhone 8"),
              site.registered_device("HUAWEI", "nova 3i", dual=True),
              site.registered_device("Samsung", "Galaxy A54")]
    lost, lost_code = site.registered_device("Sony", "Xperia Z1 Compact")

    # The old SIM held the Sony; then it changed hands: the phone awaits recovery.
    page.goto(site.url + "/")
    sim_login(page, site, old)
    activate_on_page(page, lost[0], lost_code)
    page.get_by_role("button", name="خروج").click()
    site.operator_sim(old, ids.national_id())

    page.goto(site.url + "/")
    page.get_by_label("شماره تلفن همراه").fill(persian(msisdn))
    captcha_ready(page)
    shot("01-login.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    shot("11-login-desktop.png")
    page.set_viewport_size(PHONE)
    page.get_by_label("کد امنیتی").fill("۴۲")
    seen = len(site.texts(msisdn))
    page.get_by_role("button", name="ورود").click()
    code = secret_in(site.next_sms(msisdn, seen))
    page.wait_for_timeout(2300)  # let the countdown run to 01:57, as in the guide
    shot("02-temporary-password.png", full_page=True)
    page.get_by_label("رمز عبور موقت").fill(persian(code))
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
    for imeis, activation_code in phones:
        activate_on_page(page, imeis[0], activation_code)

    # A national-ID cartable (a sale needs its password), then signed in with it.
    register_cartable(page, national_id)
    page.get_by_role("button", name="خروج").click()
    nid_login(page, national_id)
    expect(page.locator("#device-table tbody tr")).to_have_count(3)

    page.get_by_role("radio", name="انتخاب ردیف ۳").check()
    page.get_by_role("button", name="انتقال مالکیت/فروش").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    shot("10-confirm-sale.png")
    page.get_by_role("dialog").get_by_role("button", name="تأیید فروش").click()
    expect(page.locator(".code-box")).to_be_visible()
    page.get_by_role("radio", name="انتخاب ردیف ۱").check()
    page.get_by_role("button", name="مدیریت دستگاهها").click()
    expect(page.locator("#device-table tbody tr")).to_have_count(3)
    page.evaluate("document.getElementById('notice').textContent = ''")
    shot("03-devices.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    shot("09-desktop.png")
    page.set_viewport_size(PHONE)

    page.get_by_role("button", name="افزودن دستگاه").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("شناسه دستگاه (IMEI)").fill(persian(lost[0]))
    dialog.get_by_role("button", name="ثبت").click()
    expect(dialog.get_by_label("شماره سیم کارت قبلی")).to_be_visible()
    dialog.get_by_label("شماره سیم کارت قبلی").fill(persian(old))
    shot("04-add-device-old-number.png")
    dialog.get_by_role("button", name="تأیید").click()
    expect(page.locator("#device-table tbody tr")).to_have_count(4)

    page.get_by_role("radio", name="انتخاب ردیف ۴").check()
    page.get_by_role("button", name="سوابق دستگاه").click()
    expect(page.get_by_role("dialog").get_by_role("listitem")).to_have_count(3)
    shot("05-history.png")
    page.get_by_role("dialog").get_by_role("button", name="بستن").click()

    page.get_by_role("button", name="استعلام اصالت دستگاه").click()
    page.get_by_label("شناسه دستگاه (IMEI)").fill(persian(phones[0][0][0]))
    page.get_by_role("button", name="بررسی اصالت").click()
    expect(page.locator(".result")).to_contain_text("اصالت")
    shot("06-inquiry.png", full_page=True)

    page.get_by_role("button", name="مدیریت سیم کارتها").click()
    expect(page.get_by_role("row")).to_have_count(2)
    shot("07-sims.png", full_page=True)

    # A SIM in this name the person never added: «سیم کارتهای به نام شما» and its dispute.
    stranger = "09351234567"
    site.operator_sim(stranger, national_id)
    page.get_by_role("button", name="سیم کارتهای به نام شما").click()
    expect(page.locator("#connection-table tbody tr")).to_have_count(2)
    shot("13-sims-in-your-name.png", full_page=True)
    page.get_by_role("button", name=f"سیم کارت {persian(stranger)} متعلق به من نیست").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    shot("14-dispute.png")
    page.get_by_role("dialog").get_by_role("button", name="انصراف").click()

    page.get_by_role("button", name="خروج").click()
    page.get_by_role("button", name="فراموشی رمز عبور").click()
    page.get_by_label("کد ملی").fill(persian(national_id))
    page.get_by_label("شماره تلفن همراه").fill(persian(msisdn))
    page.get_by_label("تاریخ تولد").fill("۱۳۷۰/۰۵/۱۲")
    shot("08-forgot-password.png", full_page=True)
    page.get_by_role("button", name="بازیابی").click()
    captcha_ready(page)
    page.get_by_role("button", name="کد امنیتی صوتی").click()
    expect(page.locator("audio.captcha-audio")).to_be_visible()
    shot("12-forgot-sent-audio-captcha.png", full_page=True)


if __name__ == "__main__":
    sys.exit(main())
