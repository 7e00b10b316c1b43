"""The web page's first load: every file a browser fetches to show `GET /`, compressed.

Follows what the page asks for, from index.html: its <link>s and <script>s, each JS
module's imports, and the style sheet's fonts. Text is measured gzipped at level 9 (what
API Gateway or a CDN sends to a browser that accepts gzip); the woff2 fonts are already
compressed (Brotli inside) and are counted as they are. The budget is 150 KB (issue 13).

    python bench/page_weight.py
"""
from __future__ import annotations

import gzip
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEB = os.path.join(ROOT, "web")
BUDGET = 150 * 1024

HTML_REFS = re.compile(r'<(?:link|script)\b[^>]*?(?:href|src)="(/[^"]+)"')
JS_IMPORTS = re.compile(r'^\s*(?:import|export)\b[^;]*?from\s+"(\./[^"]+)"', re.M)
CSS_URLS = re.compile(r'url\("?(/[^")]+)"?\)')


def _path(url: str) -> str:
    return os.path.join(WEB, "index.html" if url == "/" else url.lstrip("/"))


def first_load() -> list[str]:
    """The URL paths of the first load, in the order they are found."""
    seen: list[str] = []
    todo = ["/"]
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.append(url)
        with open(_path(url), encoding="utf-8", errors="ignore") as f:
            text = f.read()
        if url == "/":
            todo += HTML_REFS.findall(text)
        elif url.endswith(".js"):
            base = url.rsplit("/", 1)[0]
            todo += [f"{base}/{name[2:]}" for name in JS_IMPORTS.findall(text)]
        elif url.endswith(".css"):
            todo += CSS_URLS.findall(text)
    return seen


def weigh() -> list[tuple[str, int, int]]:
    """(URL path, bytes, bytes as sent) for each file of the first load."""
    rows = []
    for url in first_load():
        with open(_path(url), "rb") as f:
            raw = f.read()
        sent = len(raw) if url.endswith(".woff2") else len(gzip.compress(raw, 9))
        rows.append((url, len(raw), sent))
    return rows


def main() -> int:
    rows = weigh()
    width = max(len(url) for url, _, _ in rows)
    print(f"{'file':<{width}}  {'bytes':>8}  {'sent':>8}")
    for url, raw, sent in rows:
        print(f"{url:<{width}}  {raw:>8,}  {sent:>8,}")
    raw_total, sent_total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'first load':<{width}}  {raw_total:>8,}  {sent_total:>8,}  "
          f"({sent_total / 1024:.1f} KB compressed, budget {BUDGET // 1024} KB)")
    return 0 if sent_total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
