"""The browser tests' shared walk: the local run and Chromium as fixtures, a new cartable,
a confirmed dialog, for tests/test_web_*.py (the sign-in, register and activate steps are
testkit/page_steps.py's, which the screenshots and the audit take too).

A helper module, not a test module: each test module imports the fixtures it uses.
"""
from __future__ import annotations


import pytest
from playwright import sync_api as playwright_api
from playwright.sync_api import expect

from testkit import ids
from testkit.browser import PHONE, Site, launch
from testkit.page_steps import activate_on_page, nid_login, register_cartable, sim_login

expect.set_options(timeout=10_000)  # a busy CI machine: wait longer, never sleep



@pytest.fixture(scope="module")
def site():
    running = Site(env={"OTP_RESEND_SECONDS": "2"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(site, browser):
    """New browser tabs (each its own context: no shared storage) that must stay clean."""
    contexts, problems = [], []

    def new(viewport=PHONE):
        context = browser.new_context(viewport=viewport, locale="fa-IR")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.requested = []  # what the page asked for, in order
        page.on("request", lambda r: page.requested.append(r.url))
        page.on("request", lambda r: r.url.startswith((site.url, "data:")) or problems.append(r.url))
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(site.url + "/")
        return page

    yield new
    for context in contexts:
        context.close()
    # 4xx answers are part of the flows (wrong code...): the console logs them as failed loads.
    assert [p for p in problems if "status of 4" not in p] == []


def new_nid_cartable(page, site):
    msisdn, national_id = ids.msisdn(), ids.national_id()
    site.operator_sim(msisdn, national_id)
    sim_login(page, site, msisdn)
    register_cartable(page, national_id)
    page.get_by_role("button", name="خروج").click()
    nid_login(page, national_id)
    expect(page.get_by_role("heading", name="مدیریت دستگاهها")).to_be_visible()
    return msisdn, national_id


def sim_cartable_with_phone(page, site, brand, model):
    """A SIM in no national-ID cartable, signed in, with one registered phone activated on
    it: (msisdn, the phone's IMEIs, its activation code)."""
    msisdn = ids.msisdn()
    site.operator_sim(msisdn, ids.national_id())
    imeis, code = site.registered_device(brand, model)
    sim_login(page, site, msisdn)
    activate_on_page(page, imeis[0], code)
    return msisdn, imeis, code


def device_rows(page):
    return page.locator("#device-table tbody tr")


class Counted:
    """A person's actions (fills, clicks, checks) on a page, counted as they are made."""

    def __init__(self, page):
        self.page, self.actions = page, 0

    def fill(self, label, text, **kw):
        self.actions += 1
        self.page.get_by_label(label, **kw).fill(text)

    def click(self, name):
        self.actions += 1
        self.page.get_by_role("button", name=name).click()


def confirm_in_dialog(page, title, yes, names=()):
    """A real modal <dialog> that holds the focus, names what it is about, and is confirmed."""
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.tagName === 'DIALOG' && d.matches(':modal')")
    for name in names:
        expect(dialog).to_contain_text(name)
    assert dialog.evaluate("d => d.contains(document.activeElement)")
    for _ in range(4):  # Tab goes round inside the dialog, never to the page behind
        page.keyboard.press("Tab")
        assert dialog.evaluate("d => d.contains(document.activeElement) || document.activeElement === document.body")
    dialog.get_by_role("button", name=yes).click()
    expect(page.get_by_role("dialog")).to_have_count(0)
