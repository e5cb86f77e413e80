"""Imports of the data stack that need care.

pandera imports pandas (half a second) whenever pandas is installed, for its pandas API, and
hypothesis for its data synthesis: once when it is imported and again on the first validation.
coprod uses only its polars API, which pandera supports with neither installed (it catches the
missing modules). Tests and frictionless bring both into most environments, so every
``coprod harmonize`` would pay for them. :func:`optional_modules_hidden` makes pandera see them
as absent; they stay importable for everyone else, before and after.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

OPTIONAL = ("pandas", "hypothesis")  # pandera's, unused by its polars API


class _Hidden(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.partition(".")[0] in OPTIONAL:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


@contextmanager
def optional_modules_hidden() -> Iterator[None]:
    """pandera's optional modules cannot be imported within (unless they already are)."""
    finder = _Hidden()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def pandera_polars() -> ModuleType:
    """``pandera.polars``, imported without its optional modules."""
    with optional_modules_hidden():
        return importlib.import_module("pandera.polars")
