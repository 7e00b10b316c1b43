"""What is deployed, read as the tests check it: the merge template, chalice's config and
its IAM policies (JSON files of the tree)."""
from __future__ import annotations

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(*path: str) -> dict:
    """A JSON file of the tree, by its path from the root."""
    with open(os.path.join(ROOT, *path), encoding="utf-8") as f:
        return json.load(f)


TEMPLATE = load("infra", "template.json")
CONFIG = load(".chalice", "config.json")
