"""Modules imported on first use.

Chalice needs every route declared when `app` is imported, but not the services behind
them: a route module names its services with `lazy(...)` (beside the same imports under
`TYPE_CHECKING`, so tools and IDEs see a route's services), and a cold start compiles and
imports only what the first request reaches (argon2, the captcha's PIL, jdatetime, the
enforcement and channel services stay out until a route needs them).
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module `name`; the first attribute read imports it (thread-safe:
    importlib holds a lock per module) and every later one is a plain getattr."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"<lazy {self._name}>"


def lazy(name: str) -> Any:
    return LazyModule(name)
