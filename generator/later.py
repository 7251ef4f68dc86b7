"""Modules imported the first time they are used, so that a command does not load what
only other commands need (``congkhai check`` never imports MkDocs' build, Playwright or
openpyxl)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class Later:
    """Stands for the module ``name``: the first name looked up in it imports it."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)


def later(module: str, name: str) -> Callable[..., Any]:
    """The function ``name`` of ``module``, imported when it is first called."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call
