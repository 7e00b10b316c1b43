"""The page's own logic (web/assets/*.js), run in the browser as the page runs it:
digit normalisation and Persian digits, masked numbers, the resend countdown, Jalali dates.

The modules are served straight from web/ to Chromium (no server needed) and called
through `page.evaluate`.
"""
from __future__ import annotations

import mimetypes
import os

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

from testkit.browser import chromium_path, launch  # noqa: E402

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="no Chromium found: apt-get install chromium")

WEB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web")
ORIGIN = "http://hamta.test"


@pytest.fixture(scope="module")
def page():
    with playwright_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context()

        def from_disk(route):
            path = route.request.url[len(ORIGIN):].split("?")[0]
            file = os.path.join(WEB, path.lstrip("/"))
            if path == "/blank":
                route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>t</title>")
            elif os.path.isfile(file):
                kind = "text/javascript" if file.endswith(".js") else mimetypes.guess_type(file)[0]
                with open(file, "rb") as f:
                    route.fulfill(status=200, content_type=kind or "application/octet-stream", body=f.read())
            else:
                route.fulfill(status=404, body="")

        context.route(ORIGIN + "/**", from_disk)
        tab = context.new_page()
        tab.goto(ORIGIN + "/blank")
        yield tab
        browser.close()


def run(page, module: str, body: str):
    """Evaluates `body` (an expression over `m`, the module) in the browser."""
    return page.evaluate(f"async () => {{ const m = await import('/assets/{module}.js'); return {body}; }}")


@pytest.mark.parametrize("typed, ascii_", [
    ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "09121234567"),                 # Persian digits and spaces
    ("٠٩١٢-١٢٣-٤٥٦٧", "09121234567"),                 # Arabic-Indic digits and dashes
    ("+۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷", "+989121234567"),            # +98 kept for the server to read
    ("\u200e۳۵۶۷۰۷\u200c۱۲۳۴۵۶۷۸۹", "356707123456789"),  # marks a copied text brings
    ("12 34\t56", "123456"),
])
def test_what_a_person_types_becomes_ascii_digits(page, typed, ascii_):
    assert run(page, "digits", f"m.normaliseNumber({typed!r})") == ascii_


def test_digits_of_other_scripts_are_left_for_the_server_to_refuse(page):
    # Fullwidth and Devanagari digits are not digits here (API.md): passed on, not converted.
    assert run(page, "digits", "m.normaliseNumber('０９１२')") == "０９１२"


def test_the_page_shows_persian_digits_and_masked_numbers(page):
    assert run(page, "digits", "m.toPersian('IMEI 356707, 01:57')") == "IMEI ۳۵۶۷۰۷, ۰۱:۵۷"
    assert run(page, "digits", "m.toAscii('۱۴۰۵/٠٩/04')") == "1405/09/04"
    # One mask everywhere, the API's own (0912***4567): the page's and the API's numbers match.
    assert run(page, "digits", "m.maskMsisdn('09301234567')") == "۰۹۳۰***۴۵۶۷"
    assert run(page, "digits", "m.maskMsisdn('۰۹۱۳۷۶۵۴۳۲۱')") == "۰۹۱۳***۴۳۲۱"
    # The header chip's national ID is masked the same way.
    assert run(page, "digits", "m.maskNationalId('0012345679')") == "۰۰۱***۷۹"
    # Anything that is not a whole mobile number is shown as it is, never half-masked.
    assert run(page, "digits", "m.maskMsisdn('0912***4567')") == "۰۹۱۲***۴۵۶۷"


@pytest.mark.parametrize("seconds, shown", [
    (117, "۰۱:۵۷"), (116.2, "۰۱:۵۷"), (120, "۰۲:۰۰"), (59.01, "۰۱:۰۰"), (0.4, "۰۰:۰۱"),
    (0, "۰۰:۰۰"), (-3, "۰۰:۰۰"), (3600, "۶۰:۰۰"),
])
def test_the_countdown_reads_minutes_and_seconds_in_persian(page, seconds, shown):
    assert run(page, "countdown", f"m.formatClock({seconds})") == shown


def test_the_countdown_follows_the_clock_and_ends_once(page):
    # A fake clock and timer: the countdown is driven by time, not by how often it ticks.
    result = page.evaluate("""async () => {
        const m = await import('/assets/countdown.js');
        let now = 1000000, tick = null, stopped = 0;
        const shown = [], done = [];
        const stop = m.startCountdown(120, {
            onTick: (left) => shown.push(m.formatClock(left)),
            onDone: () => done.push(now),
            now: () => now,
            every: (fn) => { tick = fn; return 7; },
            stop: () => { stopped += 1; },
        });
        now += 3000; tick();                 // 3 s later
        now += 60000; tick();                // a phone that slept for a minute
        now += 57000; tick();                // the deadline
        now += 5000; tick();                 // after the end: nothing more
        return {shown, done: done.length, stopped};
    }""")
    assert result["shown"] == ["۰۲:۰۰", "۰۱:۵۷", "۰۰:۵۷", "۰۰:۰۰"]
    assert result["done"] == 1 and result["stopped"] == 1


def test_a_countdown_of_zero_is_done_at_once_and_can_be_stopped_early(page):
    result = page.evaluate("""async () => {
        const m = await import('/assets/countdown.js');
        let done = 0, scheduled = 0;
        m.startCountdown(0, {onDone: () => done++, every: () => { scheduled++; return 1; }});
        let ended = 0, tick = null;
        const stop = m.startCountdown(10, {onDone: () => ended++, now: () => 0,
            every: (fn) => { tick = fn; return 2; }, stop: () => {}});
        stop(); tick();
        return {done, scheduled, ended};
    }""")
    assert result == {"done": 1, "scheduled": 0, "ended": 0}


@pytest.mark.parametrize("instant, date", [
    ("2026-11-25T08:00:00Z", "۱۴۰۵/۰۹/۰۴"),
    ("2026-03-20T20:29:59Z", "۱۴۰۴/۱۲/۲۹"),   # the last minute of the year in Tehran
    ("2026-03-20T20:30:00Z", "۱۴۰۵/۰۱/۰۱"),   # Nowruz 1405 begins at midnight Tehran time
    ("1991-08-03T00:00:00Z", "۱۳۷۰/۰۵/۱۲"),
])
def test_dates_are_shown_in_the_jalali_calendar_in_tehran(page, instant, date):
    assert run(page, "jalali", f"m.jalaliDate({instant!r})") == date


def test_date_and_time_and_bad_input(page):
    assert run(page, "jalali", "m.jalaliDateTime('2026-11-25T08:05:00Z')") == "۱۴۰۵/۰۹/۰۴ ساعت ۱۱:۳۵"
    assert run(page, "jalali", "m.jalaliDate('not a date')") == ""
    assert run(page, "jalali", "m.jalaliDate(new Date(Date.UTC(2027, 2, 21, 12)))") == "۱۴۰۶/۰۱/۰۱"
