"""Imports of the data stack that need care.

pandera's top-level package imports pandas (half a second) whenever pandas is installed, for its
pandas API; coprod uses only its polars API, which pandera supports without pandas installed
(its ``__init__`` catches the missing module). Tests and frictionless bring pandas into most
environments, so ``coprod harmonize`` would pay for it on every run. :func:`pandera_polars`
imports pandera as if pandas were absent; pandas stays importable afterwards for anyone else.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from types import ModuleType


class _WithoutPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def pandera_polars() -> ModuleType:
    """``pandera.polars``, imported without pandas unless pandera was imported already."""
    if "pandera" in sys.modules or "pandas" in sys.modules:
        return importlib.import_module("pandera.polars")
    finder = _WithoutPandas()
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module("pandera.polars")
    finally:
        sys.meta_path.remove(finder)
