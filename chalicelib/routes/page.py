"""The web page (API.md "Web page"): `GET /` and its files from `web/`, same origin as the API.

The files are read once, at the first request, with their ETag; a browser that already has
a file gets `304`. Only the files listed below are served (no path from the request ever
reaches the file system), each with a strict Content-Security-Policy: nothing from another
origin, no inline script or style, no framing.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
from typing import Any

from chalice import Blueprint, Response

from chalicelib import web
from chalicelib.errors import HamtaError

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "web")

# The captcha is a data: URL from POST /captcha; everything else comes from this origin.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
    "img-src 'self' data:; media-src data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
BINARY = ["font/woff2"]
# HTML, CSS and JS are revalidated on every load (a deploy shows at once, a 304 costs
# nothing); a font never changes under its name, so it is kept for a year.
REVALIDATE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


class PageBlueprint(Blueprint):
    """A blueprint that also tells the app (and API Gateway) that fonts are binary."""

    def register(self, app: Any, options: dict[str, Any]) -> None:
        super().register(app, options)
        for kind in BINARY:
            if kind not in app.api.binary_types:
                app.api.binary_types.append(kind)


bp = PageBlueprint(__name__)


@functools.lru_cache(maxsize=None)
def files() -> dict[str, tuple[bytes, str, str, str]]:
    """URL path -> (content, content type, ETag, Cache-Control) for every file of the page."""
    served: dict[str, tuple[bytes, str, str, str]] = {}
    for folder, cache in (("assets", REVALIDATE), ("fonts", IMMUTABLE)):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            kind = TYPES.get(os.path.splitext(name)[1])
            if kind:
                served[f"/{folder}/{name}"] = _entry(os.path.join(ROOT, folder, name), kind, cache)
    served["/"] = _entry(os.path.join(ROOT, "index.html"), TYPES[".html"], REVALIDATE)
    return served


def _entry(path: str, kind: str, cache: str) -> tuple[bytes, str, str, str]:
    with open(path, "rb") as f:
        content = f.read()
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    return content, kind, etag, cache


def serve(path: str) -> Response:
    entry = files().get(path)
    if entry is None:
        raise HamtaError("not_found")
    content, kind, etag, cache = entry
    headers = {
        "Content-Type": kind,
        "ETag": etag,
        "Cache-Control": cache,
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
    asked = (bp.current_request.headers or {}).get("if-none-match", "")
    if etag in [tag.strip().removeprefix("W/") for tag in asked.split(",")]:
        return Response(body="", status_code=304, headers=headers)
    body: Any = content if kind in BINARY else content.decode("utf-8")
    return Response(body=body, status_code=200, headers=headers)


@web.route(bp, "/", methods=["GET"])
def index() -> Response:
    return serve("/")


# The page's file names are plain ASCII; anything else is bad input, not a missing file.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", re.ASCII)


def _file_name(name: str) -> str:
    if not FILE_NAME.fullmatch(name):
        raise HamtaError("invalid_request", field="name")
    return name


@web.route(bp, "/assets/{name}", methods=["GET"])
def asset(name: str) -> Response:
    return serve("/assets/" + _file_name(name))


@web.route(bp, "/fonts/{name}", methods=["GET"])
def font(name: str) -> Response:
    return serve("/fonts/" + _file_name(name))
