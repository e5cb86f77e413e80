"""Files for people to open in other programs: each harmonized table as CSV (codes, and
labelled), SPSS .sav and Stata .dta with variable labels, value labels and declared missing
values. Bytes are reproducible: the creation timestamps SPSS and Stata write are pinned.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
carriage return) are neutralized with a leading apostrophe, as OWASP recommends against CSV
injection."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import polars as pl

from .codebook import HarmonizedTable, Package

FORMULA_START = r"^[=+\-@\t\r]"


def neutralized(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell that could start a formula prefixed by an apostrophe.
    Numbers are left alone: -3 in a numeric column is a number, not a formula."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items() if dtype == pl.String
    )


# --- table exports: CSV, SPSS, Stata --------------------------------------------------------------

STATA_MISSING = "abcdefghijklmnopqrstuvwxyz"  # extended missing values .a, .b, ...
TIMESTAMP = b"01 Jan 2000 00:00"  # Stata's header timestamp, pinned so bytes are reproducible


def _codes(frame: pl.DataFrame, table: HarmonizedTable, package: Package) -> pl.DataFrame:
    """Categorical columns as their numeric codes (missing reasons as their negative codes)."""
    missing = {m.value: m.code for m in package.missing}
    casts = []
    for column in frame.columns:
        var, is_reason = _variable_of(table, column)
        if var is None:
            continue
        codes = missing if is_reason else {**{c.value: c.code for c in var.categories}, **missing}
        casts.append(pl.col(column).cast(pl.String).replace_strict(codes, default=None,
                                                                   return_dtype=pl.Int64))
    return frame.with_columns(casts)


def _variable_of(table: HarmonizedTable, column: str):  # noqa: ANN202 - (variable | None, bool)
    """The harmonized variable whose codes a column holds, and whether it holds missing reasons."""
    var = table.variables.get(column)
    if var is not None and var.type == "categorical":
        return var, False
    if column.endswith("_missing") and column.removesuffix("_missing") in table.variables:
        return table.variables[column.removesuffix("_missing")], True
    return None, False


def _value_labels(table: HarmonizedTable, package: Package, columns: list[str]) -> dict:
    labels = {}
    missing = {m.code: m.label.get() for m in package.missing}
    for column in columns:
        var, is_reason = _variable_of(table, column)
        if var is not None:
            labels[column] = missing if is_reason else {
                **{c.code: c.label.get() for c in var.categories}, **missing}
    return labels


def _column_labels(table: HarmonizedTable, columns: list[str]) -> dict[str, str]:
    out = {}
    for column in columns:
        var = table.variables.get(column)
        if var is not None:
            out[column] = var.label.get()
        elif column.endswith("_missing"):
            out[column] = f"Reason {column.removesuffix('_missing')} is missing"
    return out


def csv_bytes(frame: pl.DataFrame, table: HarmonizedTable, package: Package, *,
              labelled: bool) -> bytes:
    """UTF-8 CSV: with numeric codes, or with the English category labels."""
    if labelled:
        names = {}
        for column in frame.columns:
            var, is_reason = _variable_of(table, column)
            if var is not None:
                names[column] = {m.value: m.label.get() for m in package.missing} | (
                    {} if is_reason else {c.value: c.label.get() for c in var.categories})
        out = frame.with_columns(pl.col(c).cast(pl.String).replace_strict(m, default=None)
                                 for c, m in names.items())
    else:
        out = _codes(frame, table, package)
    return neutralized(out).write_csv().encode("utf-8")


def _measures(table: HarmonizedTable, columns: list[str]) -> dict[str, str]:
    """SPSS measurement levels: the codebook's for categories, scale for numbers, nominal for a
    missing-reason column and for text."""
    out = {}
    for column in columns:
        var, is_reason = _variable_of(table, column)
        var = var or table.variables.get(column)
        out[column] = "nominal" if var is None or is_reason else var.measure
    return out


def _formats(table: HarmonizedTable, coded: pl.DataFrame, kind: str) -> dict[str, str]:
    """Display formats: whole numbers (codes, counts, the wave) without decimals, as wide as
    their largest value; numbers with two decimals; text as stored."""
    out = {}
    for column in coded.columns:
        var, is_reason = _variable_of(table, column)
        dtype = coded.schema[column]
        if not dtype.is_numeric() and dtype != pl.Object:
            continue  # text, dates and times keep the formats their types give them
        whole = is_reason or dtype.is_integer() or (var is not None and var.type in (
            "categorical", "integer"))
        if whole:
            values = coded[column].drop_nulls()
            width = max(len(str(int(values.abs().max()))) + 1 if len(values) else 1, 2)
            out[column] = f"F{width}.0" if kind == "spss" else f"%{width}.0f"
        else:
            out[column] = "F8.2" if kind == "spss" else "%9.2f"
    return out


def sav_bytes(frame: pl.DataFrame, table: HarmonizedTable, package: Package) -> bytes:
    """SPSS .sav with variable labels, value labels and the missing codes declared user-missing."""
    import pyreadstat

    coded = _codes(frame, table, package)
    labels = _value_labels(table, package, coded.columns)
    low = min(m.code for m in package.missing)
    high = max(m.code for m in package.missing)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.sav"
        pyreadstat.write_sav(coded, str(path), column_labels=_column_labels(table, coded.columns),
                             variable_value_labels=labels,
                             missing_ranges={c: [{"lo": low, "hi": high}] for c in labels},
                             variable_measure=_measures(table, coded.columns),
                             variable_format=_formats(table, coded, "spss"))
        data = bytearray(path.read_bytes())
    data[92:101], data[101:109] = b"01 Jan 00", b"00:00:00"  # SPSS's creation date and time
    return bytes(data)


def dta_bytes(frame: pl.DataFrame, table: HarmonizedTable, package: Package) -> bytes:
    """Stata .dta with variable labels, value labels and the missing reasons as extended
    missing values (.a not applicable, .b don't know, ...)."""
    import pyreadstat

    coded = _codes(frame, table, package)
    letters = {m.code: STATA_MISSING[i] for i, m in enumerate(package.missing)}
    labels = _value_labels(table, package, coded.columns)
    columns = []
    for column in coded.columns:
        if column not in labels:
            columns.append(coded[column])
            continue
        values = [letters.get(v, v) for v in coded[column].to_list()]
        labels[column] = {letters.get(k, k): v for k, v in labels[column].items()}
        # pyreadstat reads a column of numbers and letters (the extended missing values) from
        # an Object column; a reason column holds only letters and nulls, and stays text.
        _, is_reason = _variable_of(table, column)
        dtype = pl.String if is_reason else pl.Object
        columns.append(pl.Series(column, values, dtype=dtype))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.dta"
        pyreadstat.write_dta(pl.DataFrame(columns), str(path), version=14,
                             column_labels=_column_labels(table, coded.columns),
                             variable_value_labels=labels,
                             missing_user_values={c: sorted(letters.values()) for c in labels},
                             variable_format=_formats(table, coded, "stata"))
        raw = path.read_bytes()
    return re.sub(rb"<timestamp>\x11[^<]{17}</timestamp>",
                  b"<timestamp>\x11" + TIMESTAMP + b"</timestamp>", raw, count=1)


def table_exports(name: str, frame: pl.DataFrame, table: HarmonizedTable,
                  package: Package) -> dict[str, bytes]:
    """Every download of one harmonized table but the Parquet file, by file name."""
    return {
        f"{name}.csv": csv_bytes(frame, table, package, labelled=False),
        f"{name}-labelled.csv": csv_bytes(frame, table, package, labelled=True),
        f"{name}.sav": sav_bytes(frame, table, package),
        f"{name}.dta": dta_bytes(frame, table, package),
    }
