"""The README stays a few screens long, and its layout says what the tree holds: every file
it names exists, and every module of chalicelib/ (and its folders), app.py, scripts/ and
bench/ is named there."""
from __future__ import annotations

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The folders whose every module the layout names, and app.py.
# Every folder of Python modules: chalicelib/ and each of its folders, found afresh, so a
# new area is covered without a change here; scripts/, bench/ and testkit/.
COVERED = tuple(sorted(
    os.path.relpath(folder, ROOT) for folder, _, files in os.walk(os.path.join(ROOT, "chalicelib"))
    if any(f.endswith(".py") and f != "__init__.py" for f in files)
)) + ("scripts", "bench", "testkit")
_NAME = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*/?")
_FILE = re.compile(r"[A-Za-z0-9_./-]+\.(?:py|json|yaml|yml|html|js|css|md|txt|ini)\b")


def readme() -> list[str]:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read().split("\n")


def layout_entries() -> list[tuple[str, str]]:
    """(path, description) for each entry of the README's layout block: a line's first
    column holds one or more names (space-separated) under the folder its indentation
    is in; its description (two spaces or more after) runs on in deeper-indented lines."""
    lines = readme()
    start = lines.index("## Layout")
    block_start = lines.index("```", start) + 1
    block = lines[block_start:lines.index("```", block_start)]
    entries: list[list[str]] = []
    folders: list[tuple[int, str]] = []  # (indent, folder path) enclosing the next name
    for line in block:
        indent = len(line) - len(line.lstrip())
        names_part, _, description = line.strip().partition("  ")
        if indent >= 20 or not names_part:  # a description running on
            if entries:
                entries[-1][1] += " " + line.strip()
            continue
        while folders and folders[-1][0] >= indent:
            folders.pop()
        parent = folders[-1][1] if folders else ""
        for name in names_part.split():
            assert _NAME.fullmatch(name), f"layout: {name!r} is no file or folder name"
            path = parent + name
            entries.append([path, description.strip()])
            if name.endswith("/"):
                folders.append((indent, path))
    return [(path, description) for path, description in entries]


def test_the_readme_is_at_most_250_lines():
    assert len(readme()) <= 250


def test_every_file_the_layout_names_exists():
    for path, description in layout_entries():
        assert os.path.exists(os.path.join(ROOT, path)), f"layout names {path}: not in the tree"
        folder = path if path.endswith("/") else os.path.dirname(path) + "/"
        for named in _FILE.findall(description):
            candidates = [os.path.join(ROOT, folder.lstrip("/"), named), os.path.join(ROOT, named)]
            assert any(os.path.exists(c) for c in candidates), (
                f"layout: {path} speaks of {named}, not in the tree")


def test_every_module_is_in_the_layout():
    entries = layout_entries()
    named = {path for path, _ in entries}
    said = {path: description for path, description in entries}
    missing = [] if "app.py" in named else ["app.py"]
    for folder in COVERED:
        for file in sorted(os.listdir(os.path.join(ROOT, folder))):
            if not file.endswith(".py") or file == "__init__.py":
                continue
            path = f"{folder}/{file}"
            # By its own entry, or in its folder's description (by file name, or by module
            # name for the long lists of routes/ and services/).
            text = said.get(folder + "/", "")
            words = set(re.findall(r"[A-Za-z0-9_]+(?:\.py)?", text))
            if path not in named and file not in words and file[:-3] not in words:
                missing.append(path)
    assert not missing, f"the README's layout misses {missing}"
