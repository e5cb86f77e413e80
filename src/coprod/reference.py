"""Dated municipality classifications from ``reference/`` (see reference/PROVENANCE.md).

Codes are strings and keep their leading zeros; a table whose codes do not all have the declared
width is a configuration error rather than something to repair.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

from .codebook import MunicipalityReference
from .errors import ConfigError
from .project import Project


def load_reference(project: Project, ref: MunicipalityReference) -> dict[str, str]:
    """Municipality code -> name for one vintage."""
    path = project.resolve(ref.file, what=f"reference {ref.vintage}")
    return dict(_load(path, ref.code, ref.name, ref.width))


@cache
def _load(path: Path, code: str, name: str, width: int) -> tuple[tuple[str, str], ...]:
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ConfigError(f"{path}: cannot read reference table ({exc})") from None
    for column in (code, name):
        if column not in frame.columns:
            raise ConfigError(f"{path}: no column {column!r}",
                              hint="correct municipality_references in schemas/package.yaml")
    bad = frame.filter(~pl.col(code).str.contains(rf"^\d{{{width}}}$"))
    if bad.height:
        raise ConfigError(f"{path}: code {bad[code][0]!r} is not {width} digits")
    return tuple(zip(frame[code].to_list(), frame[name].to_list(), strict=True))
