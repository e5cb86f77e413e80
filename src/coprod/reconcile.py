"""Reconciliation: for every mapped variable and source, the source frequencies must add up to
the harmonized frequencies (DESIGN §4).

The expected counts are computed a second way, independently of the vectorised recoding in
:mod:`coprod.harmonize`: the source column is counted code by code, and each code's count is
added to the harmonized value the codebook sends it to. Any difference stops the build.
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from .codebook import HarmonizedTable, Mapping, SourceCodebook


def expected_counts(source_column: pl.Series, mapping: Mapping, source: SourceCodebook,
                    categorical: bool) -> Counter:
    """What the harmonized column must hold, from the source column's frequencies. Numeric
    values are counted together as ``<value>``; missing ones by their reason."""
    var = source.variables[mapping.from_]
    recode = mapping.recode or {}
    counts: Counter = Counter()
    for code, n in source_column.value_counts().iter_rows():
        if code is None:
            key = var.blank
        elif code in var.missing:
            key = var.missing[code]
        elif categorical:
            key = recode.get(code)
        else:
            key = "<value>"
        counts[key] += n
    return counts


def harmonized_counts(frame: pl.DataFrame, name: str, categorical: bool,
                      missing_column: bool) -> Counter:
    # Counted as categories, then named: casting a million cells to text first costs more than
    # the counting.
    if categorical:
        return Counter(_named(frame[name].value_counts()))
    counts: Counter = Counter({"<value>": frame[name].is_not_null().sum()})
    if missing_column:
        reasons = _named(frame[f"{name}_missing"].value_counts())
        counts.update({k: n for k, n in reasons.items() if k is not None})
    return +counts


def _named(counts: pl.DataFrame) -> dict:
    """value -> count, the value as text (None for null)."""
    return dict(counts.with_columns(pl.col(counts.columns[0]).cast(pl.String)).iter_rows())


def reconcile(source_frame: pl.DataFrame, harmonized: pl.DataFrame, source: SourceCodebook,
              table: HarmonizedTable) -> list[str]:
    """The mapped variables of one source whose harmonized frequencies do not add up."""
    problems = []
    for name, mapping in source.mappings.items():
        if not isinstance(mapping, Mapping):
            continue
        var = table.variables[name]
        categorical = var.type == "categorical"
        expected = +expected_counts(source_frame[mapping.from_], mapping, source, categorical)
        actual = harmonized_counts(harmonized, name, categorical, var.missing_column)
        if expected != actual:
            diff = ", ".join(f"{k}: source {expected.get(k, 0)} vs harmonized {actual.get(k, 0)}"
                             for k in sorted(set(expected) | set(actual), key=str)
                             if expected.get(k, 0) != actual.get(k, 0))
            problems.append(f"{source.id}: {mapping.from_} → {name} does not reconcile ({diff})")
    return problems
