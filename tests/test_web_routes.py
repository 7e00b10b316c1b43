"""GET / and the page's files (API.md "Web page"): served by the app itself, cacheable,
under a strict Content-Security-Policy, and nothing else of the disk reachable."""
from __future__ import annotations

import base64
import re

from chalicelib.routes import page

INDEX_ASSETS = re.compile(r'(?:src|href)="(/[^"]+)"')


def test_the_page_is_served_at_the_root_in_persian_right_to_left(client):
    response = client.http.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.body.decode("utf-8")
    assert '<html lang="fa" dir="rtl">' in html
    csp = response.headers["Content-Security-Policy"]
    for rule in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "font-src 'self'",
                 "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"):
        assert rule in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-cache"


def test_everything_the_page_loads_is_from_its_own_origin_and_is_served(client):
    html = client.http.get("/").body.decode("utf-8")
    assert "http://" not in html and "https://" not in html and "//" not in html.replace("<!--", "")
    for path in INDEX_ASSETS.findall(html):
        if path.startswith("data:"):
            continue
        # A browser asks for any type (Accept: */*), which lets a binary font through.
        assert client.http.get(path, headers={"Accept": "*/*"}).status_code == 200, path
    for name in ("app.js", "api.js", "digits.js", "countdown.js", "jalali.js", "app.css"):
        text = client.http.get("/assets/" + name).body.decode("utf-8")
        assert "http://" not in text and "https://" not in text, name


def test_files_carry_an_etag_and_an_unchanged_file_answers_304(client):
    first = client.http.get("/assets/app.js")
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "text/javascript; charset=utf-8"
    etag = first.headers["ETag"]
    again = client.http.get("/assets/app.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.body in (b"", "")
    other = client.http.get("/assets/app.js", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_the_font_is_binary_woff2_kept_for_a_year_with_its_licence(client):
    response = client.http.get("/fonts/vazirmatn-regular.woff2", headers={"Accept": "*/*"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "font/woff2"
    assert "immutable" in response.headers["Cache-Control"]
    body = response.body
    if isinstance(body, str):  # the test client may hand back API Gateway's base64
        body = base64.b64decode(body)
    assert body[:4] == b"wOF2"
    licence = client.http.get("/fonts/OFL.txt")
    assert licence.status_code == 200 and b"SIL Open Font License" in licence.body


def test_unknown_files_and_paths_outside_the_page_answer_404(client):
    for path in ("/assets/nothing.js", "/assets/index.html", "/fonts/app.py"):
        response = client.http.get(path)
        assert response.status_code == 404, path
        assert b'"not_found"' in response.body
    # A name that is no plain file name (a path, other scripts' digits) is bad input.
    for path in ("/assets/..%2Fapp.py", "/fonts/..%2F..%2Fapp.py", "/assets/%2Fetc%2Fpasswd",
                 "/assets/..", "/fonts/%EF%BC%91.woff2"):
        response = client.http.get(path)
        assert response.status_code == 400, path
        assert b'"invalid_request"' in response.body and b'"name"' in response.body
    assert all(not name.endswith(".py") for name in page.files())


def test_the_first_load_is_under_150_kb_compressed():
    from bench.page_weight import BUDGET, weigh

    rows = weigh()
    assert {url for url, _, _ in rows} >= {"/", "/assets/app.js", "/assets/app.css",
                                           "/fonts/vazirmatn-regular.woff2"}
    assert sum(sent for _, _, sent in rows) <= BUDGET


def test_every_module_the_page_imports_is_preloaded_at_once():
    """index.html's modulepreload list is the import graph (so nothing waits a level)."""
    import os

    from bench.page_weight import WEB, first_load

    with open(os.path.join(WEB, "index.html"), encoding="utf-8") as f:
        preloaded = set(re.findall(r'<link rel="modulepreload" href="(/assets/[^"]+)">', f.read()))
    imported = {url for url in first_load() if url.endswith(".js")} - {"/assets/app.js"}
    assert preloaded == imported
