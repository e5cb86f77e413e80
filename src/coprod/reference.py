"""Dated municipality classifications from ``reference/`` (see reference/PROVENANCE.md).

Codes are strings and keep their leading zeros; a table whose codes do not all have the declared
width is a configuration error rather than something to repair. A source's codes are carried to
the package's reference vintage through the crosswalks as a chain (e.g. Norway 2018 → 2020 →
2024). A code with more than one successor was split: it is flagged with its successors, never
assigned to one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import polars as pl

from .codebook import MunicipalityCrosswalk, MunicipalityReference, Package
from .errors import ConfigError
from .project import Project


@dataclass(frozen=True)
class Municipalities:
    """What a source's municipality codes mean, in its own vintage and in the reference one."""

    vintage: str
    names: dict[str, str]  # code in the source's vintage -> name
    successors: dict[str, tuple[str, ...]]  # that code -> its code(s) in the reference vintage
    reference_vintage: str
    reference_names: dict[str, str]  # reference code -> name
    reference_regions: dict[str, str]  # reference code -> region (county) name

    def split(self) -> dict[str, tuple[str, ...]]:
        return {code: after for code, after in self.successors.items() if len(after) > 1}

    # Lookups every batch of a source's rows makes its municipality columns from: made once.
    @cached_property
    def single(self) -> dict[str, str]:
        """Each code that one code of the reference vintage continues -> that code."""
        return {code: after[0] for code, after in self.successors.items() if len(after) == 1}

    @cached_property
    def split_into(self) -> dict[str, str]:
        """Each split code -> its successors with their names ("0301 Oslo | ...")."""
        return {code: " | ".join(f"{a} {self.reference_names[a]}" for a in after)
                for code, after in self.split().items()}

    @cached_property
    def regions(self) -> dict[str, str]:
        """Each code whose region is known (:meth:`region_of`) -> that region."""
        return {code: region for code in self.successors
                if (region := self.region_of(code)) is not None}

    def region_of(self, code: str) -> str | None:
        """The region of a source code: known even for a split code when every successor lies
        in the same region."""
        regions = {self.reference_regions.get(c) for c in self.successors.get(code, ())}
        return regions.pop() if len(regions) == 1 else None


def load_reference(project: Project, ref: MunicipalityReference) -> dict[str, str]:
    """Municipality code -> name for one vintage."""
    path = project.resolve(ref.file, what=f"reference {ref.vintage}")
    _exists(project, path, f"reference table of {ref.country.upper()} {ref.vintage}")
    if ref.width < 1:
        raise ConfigError(f"schemas/package.yaml: municipality_references: the width of the "
                          f"{ref.country.upper()} {ref.vintage} codes is {ref.width}",
                          hint="set `width` to the number of digits of a code (e.g. 4)")
    rows = _table(project, path, (ref.code, ref.name))
    shown = project.relative(path)
    if not rows:
        raise ConfigError(f"{shown}: the reference table of {ref.country.upper()} {ref.vintage} "
                          "lists no municipality", hint=RESTORE)
    _check_width(shown, [code for code, _ in rows], ref.width)
    names = dict(rows)
    if len(names) < len(rows):
        codes = [code for code, _ in rows]
        twice = next(code for i, code in enumerate(codes) if code in codes[:i])
        raise ConfigError(f"{shown}: code {twice!r} is listed more than once ({ref.code})",
                          hint="a classification lists each municipality once: correct the "
                               "table, or restore it")
    return names


def _regions(project: Project, ref: MunicipalityReference) -> dict[str, str]:
    """Municipality code -> region (county) name, where the reference has regions."""
    if ref.region_code is None:
        return {}
    path = project.resolve(ref.file, what=f"reference {ref.vintage}")
    if ref.region_name is not None:
        return dict(_table(project, path, (ref.code, ref.region_name)))
    codes = dict(_table(project, path, (ref.code, ref.region_code)))
    if ref.region_names is None:
        return codes
    names_path = project.resolve(ref.region_names.file, what=f"region names {ref.vintage}")
    _exists(project, names_path, f"region names of {ref.vintage}")
    names = dict(_table(project, names_path, (ref.region_names.code, ref.region_names.name)))
    unknown = sorted(set(codes.values()) - names.keys())
    if unknown:
        raise ConfigError(f"{ref.region_names.file}: no name for region {unknown[0]}",
                          hint=RESTORE)
    return {code: names[region] for code, region in codes.items()}


def _exists(project: Project, path: Path, what: str) -> None:
    if not path.is_file():
        raise ConfigError(f"{project.relative(path)}: {what} not found",
                          hint="restore it, or correct its file under municipality_references "
                               "or municipality_crosswalks in schemas/package.yaml")


def _crosswalk(project: Project, walk: MunicipalityCrosswalk) -> dict[str, tuple[str, ...]]:
    path = project.resolve(walk.file, what=f"crosswalk {walk.from_} → {walk.to}")
    _exists(project, path, f"crosswalk {walk.from_} → {walk.to}")
    out: dict[str, list[str]] = {}
    for old, new in _table(project, path, (walk.from_column, walk.to_column)):
        if new not in out.setdefault(old, []):
            out[old].append(new)
    return {old: tuple(sorted(new)) for old, new in out.items()}


def municipalities(project: Project, package: Package, reference: str) -> Municipalities:
    """The meaning of codes of one reference vintage, carried to the country's target vintage."""
    ref = package.municipality_references[reference]
    target_key = package.municipality_target.get(ref.country, reference)
    target = package.municipality_references[target_key]
    names = load_reference(project, ref)
    successors = {code: (code,) for code in names}
    here = reference
    while here != target_key:
        step = next((w for w in package.municipality_crosswalks if w.from_ == here), None)
        if step is None:
            raise ConfigError(f"schemas/package.yaml: no crosswalk leads from {here} towards "
                              f"{target_key}", hint="add it to municipality_crosswalks")
        table = _crosswalk(project, step)
        successors = {code: tuple(sorted({n for c in after for n in table.get(c, ())}))
                      for code, after in successors.items()}
        here = step.to
    target_names = load_reference(project, target)
    lost = sorted(c for c, after in successors.items()
                  if not after or any(a not in target_names for a in after))
    if lost:
        raise ConfigError(f"schemas/package.yaml: municipality {lost[0]} ({reference}) has no "
                          f"valid successor in {target_key}",
                          hint="complete the crosswalks in reference/")
    return Municipalities(ref.vintage, names, successors, target.vintage, target_names,
                          _regions(project, target))


RESTORE = ("restore the table from its source (reference/PROVENANCE.md): comma-separated UTF-8 "
           "text with a header, or correct the municipality settings in schemas/package.yaml")


def _read(path: Path) -> pl.DataFrame:
    """A reference table, read once per version of the file: a table changed on disk while a
    process runs (the tests, a long session) is read again, never taken from memory."""
    stat = path.stat()
    return _read_version(path, stat.st_ino, stat.st_mtime_ns, stat.st_size)


@cache
def _read_version(path: Path, inode: int, mtime: int, size: int) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def _table(project: Project, path: Path, columns: tuple[str, str]) -> list[tuple[str, str]]:
    shown = project.relative(path)
    try:
        frame = _read(path)
    except (OSError, pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"{shown}: cannot read the reference table ({first})",
                          hint=RESTORE) from None
    for column in columns:
        if column not in frame.columns:
            raise ConfigError(f"{shown}: no column {column!r}",
                              hint="correct the municipality settings in schemas/package.yaml")
    return list(zip(frame[columns[0]].to_list(), frame[columns[1]].to_list(), strict=True))


def _check_width(shown: str, codes: list[str | None], width: int) -> None:
    bad = [c for c in codes if not (c and c.isascii() and c.isdigit() and len(c) == width)]
    if bad:
        raise ConfigError(f"{shown}: code {bad[0]!r} is not {width} digits",
                          hint="codes are text of the declared width, leading zeros kept: "
                               "correct the table, or `width` in schemas/package.yaml")
