"""Reconciliation: for every mapped variable and source, the source frequencies must add up to
the harmonized frequencies (DESIGN §4).

The expected counts are computed a second way, independently of the vectorised recoding in
:mod:`coprod.harmonize`: the source column is counted code by code, and each code's count is
added to the harmonized value the codebook sends it to. Any difference stops the build.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import polars as pl

from .codebook import HarmonizedTable, Mapping, SourceCodebook, SourceVariable
from .read import TAGGED

VALUE = "<value>"  # numeric values are counted together, not value by value


def value_counts(frame: pl.DataFrame, columns: Iterable[str]) -> dict[str, dict]:
    """column → {value: rows} (None for null; categories as text), every column counted in one
    parallel pass."""
    columns = list(dict.fromkeys(columns))
    if not columns:
        return {}
    counted = frame.select(pl.col(c).value_counts().implode() for c in columns)
    return {c: dict(counted[c][0].struct.unnest().iter_rows()) for c in columns}


def source_counts(frame: pl.DataFrame, source: SourceCodebook) -> dict[str, dict]:
    """The codes of every recoded source column, counted (coverage, unused mappings and
    reconciliation all start from them); a Stata extended missing value (.a) counts as its
    code, not as a blank."""
    columns = [m.from_ for m in source.mappings.values()
               if isinstance(m, Mapping) and m.recode is not None]
    counts = value_counts(frame, columns)
    tagged = [c for c in columns if TAGGED + c in frame.columns]
    for column, tags in value_counts(frame, [TAGGED + c for c in tagged]).items():
        counts_of = counts[column.removeprefix(TAGGED)]
        for code, n in tags.items():
            if code is not None:
                counts_of[code] = n
                counts_of[None] -= n
        if not counts_of.get(None):
            counts_of.pop(None, None)
    return counts


def expected_counts(counts: dict, mapping: Mapping, source: SourceCodebook,
                    categorical: bool) -> Counter:
    """What the harmonized column must hold, from the source column's counts: by code when
    categorical; otherwise by missing code, blank and :data:`VALUE` for the rest."""
    var = source.variables[mapping.from_]
    recode = mapping.recode or {}
    expected: Counter = Counter()
    for code, n in counts.items():
        if code is None:
            key = var.blank
        elif var.missing_reason(code) is not None:
            key = var.missing_reason(code)
        elif categorical:
            key = recode.get(code)
        else:
            key = VALUE
        expected[key] += n
    return expected


def _numeric_counts(frame: pl.DataFrame, column: str, var: SourceVariable) -> dict:
    """A numeric (or date) source column's counts by missing code, missing range, extended
    missing value and blank, the rest as :data:`VALUE` (a weight has as many distinct values as
    rows). Keys are codes, except a range's: its reason."""
    col = pl.col(column)
    numeric = frame.schema[column].is_numeric()
    codes = [c for c in var.missing if not (numeric and isinstance(c, str))]
    ranges = [(r.from_, r.to) for r in var.missing_ranges]
    in_range = pl.any_horizontal([col.is_between(lo, hi) for lo, hi in ranges]) if ranges \
        else pl.lit(False)
    tagged = TAGGED + column in frame.columns
    tag = pl.col(TAGGED + column) if tagged else pl.lit(None, pl.String)
    blank, *per_code, values = frame.select(
        (col.is_null() & tag.is_null()).sum(),
        *(col.eq(code).sum().alias(f"code {i}") for i, code in enumerate(codes)),
        (col.is_not_null() & ~col.is_in(codes) & ~in_range).sum().alias(VALUE)).row(0)
    out = {None: blank, **dict(zip(codes, per_code, strict=True)), VALUE: values}
    for lo, hi in ranges:  # counted by their first value: expected_counts gives its reason
        n = frame.select((col.is_between(lo, hi) & ~col.is_in(codes)).sum()).item()
        out[lo] = out.get(lo, 0) + n
    if tagged:
        for code, n in value_counts(frame, [TAGGED + column])[TAGGED + column].items():
            if code is not None:
                out[code] = n
    return out


def harmonized_counts(harmonized: pl.DataFrame, source: SourceCodebook,
                      table: HarmonizedTable) -> dict[str, Counter]:
    """What the harmonized columns of one source hold, as reconciliation compares it: by
    category, or by missing reason and :data:`VALUE`. Counts of batches of rows add up."""
    mapped = [name for name, m in source.mappings.items() if isinstance(m, Mapping)]
    categorical = {name for name in mapped if table.variables[name].type == "categorical"}
    counted = value_counts(harmonized, [
        name if name in categorical else f"{name}_missing" for name in mapped
        if name in categorical or table.variables[name].missing_column])
    out = {}
    for name in mapped:
        if name in categorical:
            out[name] = Counter(counted[name])
            continue
        out[name] = Counter({VALUE: harmonized[name].is_not_null().sum()})
        if table.variables[name].missing_column:
            out[name].update({k: n for k, n in counted[f"{name}_missing"].items()
                              if k is not None})
    return out


def reconcile(source_frame: pl.DataFrame, harmonized: pl.DataFrame, source: SourceCodebook,
              table: HarmonizedTable, counts: dict[str, dict] | None = None) -> list[str]:
    """The mapped variables of one source whose harmonized frequencies do not add up.
    ``counts`` are the source's :func:`source_counts`, when already made."""
    return reconcile_counts(source_side(source_frame, source, table, counts),
                            harmonized_counts(harmonized, source, table), source, table)


def source_side(frame: pl.DataFrame, source: SourceCodebook, table: HarmonizedTable,
                counts: dict[str, dict] | None = None) -> dict[str, Counter]:
    """What the source column of each mapped variable holds, as reconciliation counts it: by
    code when categorical; by missing code, blank and :data:`VALUE` otherwise. Counts of
    batches of rows add up. ``counts``: the frame's :func:`source_counts`, when already made."""
    counts = counts if counts is not None else source_counts(frame, source)
    out = {}
    for name, mapping in source.mappings.items():
        if not isinstance(mapping, Mapping):
            continue
        if table.variables[name].type == "categorical":
            out[name] = Counter(counts.get(mapping.from_) or value_counts(
                frame, [mapping.from_])[mapping.from_])
        else:
            out[name] = Counter(_numeric_counts(frame, mapping.from_,
                                                source.variables[mapping.from_]))
    return out


def reconcile_counts(source_side: dict[str, Counter], actual: dict[str, Counter],
                     source: SourceCodebook, table: HarmonizedTable) -> list[str]:
    """:func:`reconcile` from the :func:`source_side` and :func:`harmonized_counts` of the
    source's rows (each added up over their batches)."""
    mapped = {name: m for name, m in source.mappings.items() if isinstance(m, Mapping)}
    categorical = {name for name in mapped if table.variables[name].type == "categorical"}
    problems = []
    for name, mapping in mapped.items():
        expected = +expected_counts(source_side[name], mapping, source, name in categorical)
        found = +actual[name]
        if expected != found:
            diff = ", ".join(f"{k}: source {expected.get(k, 0)} vs harmonized {found.get(k, 0)}"
                             for k in sorted(set(expected) | set(found), key=str)
                             if expected.get(k, 0) != found.get(k, 0))
            problems.append(f"{source.id}: {mapping.from_} → {name} does not reconcile ({diff})")
    return problems
