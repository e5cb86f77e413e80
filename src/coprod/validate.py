"""Validate a raw table against the Pandera schema derived from its source codebook.

Validation is lazy: every failure is collected into a report naming source, file, 1-based data
row, column, the value as it stands in the file, the check and a message that says what to do.
It returns the typed frame that harmonization works on, or None when the source is invalid.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import polars as pl

from .codebook import (
    Codebooks,
    Mapping,
    SourceCodebook,
    SourceVariable,
    fieldwork_period,
    labels_in,
    shown_path,
    yaml_line,
)
from .errors import CoprodError, RawFileError
from .imports import optional_modules_hidden, pandera_polars
from .project import Project
from .read import TAGGED, RawTable, read_source

pa = pandera_polars()
from pandera.config import ValidationDepth, config_context  # noqa: E402 - after pandera_polars

# The catalogue of checks (frictionless-style): a stable slug, and a message template with the
# advice a steward needs. Templates may use {column}, {value}, {type}, {detail}.
CHECKS: dict[str, tuple[str, str]] = {
    "missing-column": ("Missing column", "column {column} is declared in the codebook but not in "
                       "the file; restore it or correct the codebook"),
    "unexpected-column": ("Unexpected column", "column {column} is in the file but not in the "
                          "codebook; declare it (free_text: true if it is a comment) or drop it"),
    "type-error": ("Wrong type", "{value!r} is not a valid {type} for {column}; correct the value"
                   "{detail}"),
    "blank": ("Empty cell", "{column} is empty but the codebook does not say what an empty cell "
              "means; fill it in, or declare `blank:` for {column}"),
    "unknown-code": ("Unknown code", "code {value} is not in the codebook for {column}; correct "
                     "the value, or add the code to the codebook's values and mappings"),
    "out-of-range": ("Out of range", "{value} is outside {detail} for {column} and is not a "
                     "declared missing code; correct the value"),
    "pattern": ("Malformed value", "{value!r} does not match {detail} for {column}; correct the "
                "value"),
    "unknown-municipality": ("Unknown municipality", "municipality {value!r} is not in the {detail}"
                             " classification; correct the code, or check the source's vintage"),
    "duplicate-id": ("Duplicate id", "{column} {value!r} occurs more than once; each "
                     "respondent must have one row"),
    "label-changed": ("Value labels changed", "{column}: the file labels code {value} {detail}; "
                      "check the delivery and update the codebook if the meaning changed"),
    "missing-translation": ("Missing translation", "{column} has no {detail} text; add it to the "
                            "codebook"),
    # Found in the codebooks themselves (coprod.review); their messages are written there.
    "draft-placeholder": ("Placeholder of a draft", "{detail}"),
    "undeclared-reference": ("Undeclared municipality classification", "{detail}"),
    "dropped-question": ("Question dropped without a reason", "{detail}"),
    "outside-fieldwork": ("Interview outside the fieldwork", "{column} {value} is outside the "
                          "declared fieldwork {detail}; correct the date, or the fieldwork"),
}
# Findings: reported as warnings, they do not stop a build.
FINDINGS: dict[str, str] = {
    "note-not-reviewed": "Comparability note not reviewed for a source",
    "unused-variable": "Source variable no mapping uses",
    "missing-code-unused": "Declared missing code no longer occurs",
}


@dataclass(frozen=True)
class Problem:
    row: int | None  # 1-based data row; the header is not counted
    column: str | None
    value: str | None
    check: str
    message: str
    line: int | None = None  # physical line in the file, where it has one
    file: str | None = None  # where the problem is, when not the raw file (e.g. its codebook)
    cell: str | None = None  # a spreadsheet's cell reference, e.g. Sheet1!C17

    def located(self, file: str) -> str:
        """``file:line: row R, column C, value V: message [check]``, leaving out what is
        unknown; a file-level message already names its file."""
        file = self.file or file
        message, _, hint = self.message.partition("\n")
        hint = hint and "\n  " + hint.replace("\n", "\n  ")  # under the line it belongs to
        if message.startswith(f"{file}:"):
            return f"{message} [{self.check}]{hint}"
        where = file + (f":{self.line}" if self.line else "")
        if self.file:  # a codebook: the column is the setting's key
            return f"{where}: {self.column}: {message} [{self.check}]{hint}"
        parts = [f"cell {self.cell}" if self.cell else "",
                 f"row {self.row}" if self.row else "",
                 f"column {self.column}" if self.column else "",
                 f"value {self.value!r}" if self.value is not None else ""]
        located = ", ".join(x for x in parts if x)
        return f"{where}: {located + ': ' if located else ''}{message} [{self.check}]{hint}"


@dataclass(frozen=True)
class SourceReport:
    id: str
    file: str
    rows: int
    errors: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_json(self) -> dict:
        return {
            "id": self.id, "file": self.file, "rows": self.rows, "valid": self.valid,
            "errors": [_json(p) for p in self.errors],
            "warnings": list(self.warnings),
        }


def _json(p: Problem) -> dict:
    """A problem in the JSON report: row, column, value, check, message; a problem found in a
    codebook adds its file and line."""
    keys = ("row", "column", "value", "check", "message", *(("file", "line") if p.file else ()),
            *(("cell",) if p.cell else ()))
    return {k: getattr(p, k) for k in keys}


@dataclass(frozen=True)
class Report:
    sources: tuple[SourceReport, ...]
    package_errors: tuple[Problem, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not self.package_errors and all(s.valid for s in self.sources)

    def summary(self, limit: int = 20) -> list[str]:
        """What a build's failure message shows: one line per source, column, check and value,
        with the number of rows, then where its first occurrence is (file, line, row) and its
        message, which says what to do."""
        groups: dict[tuple, tuple[SourceReport, Problem, int]] = {}
        for source in self.sources:
            for p in source.errors:
                key = (source.id, p.column, p.check, p.value)
                first = groups.get(key)
                groups[key] = (source, p, 1) if first is None else (*first[:2], first[2] + 1)
        lines = []
        for (sid, column, check, value), (source, p, n) in groups.items():
            if p.file:  # in a codebook, found once
                lines.append(f"{sid}: {p.located(source.file)}")
                continue
            head = (f"{sid}: {column or '(file)'}: {check}"
                    + (f" {value!r}" if value is not None else "")
                    + (f" ({n} row{'s' if n > 1 else ''})" if p.row is not None else ""))
            message, _, hint = p.message.partition("\n")
            if not message.startswith(f"{p.file or source.file}:"):  # file-level ones name it
                where = (p.file or source.file) + (f":{p.line}" if p.line else "") + (
                    f", row {p.row}" if p.row else "")
                message = f"{'first ' if n > 1 else ''}{where}: {message}"
            lines.append(f"{head}: {message}" + (hint and "\n  " + hint.replace("\n", "\n  ")))
        lines += [p.located("codebook") for p in self.package_errors]
        if len(lines) > limit:
            lines = [*lines[:limit], f"… and {len(lines) - limit} more"]
        return lines

    def to_json(self) -> dict:
        return {
            "valid": self.valid,
            "sources": [s.to_json() for s in self.sources],
            "package_errors": [_json(p) for p in self.package_errors],
        }


LONGEST = 200  # characters of a cell a message or report quotes whole


def shortened(value: str | None) -> str | None:
    """A cell as a message quotes it: whole, unless it is longer than LONGEST characters (a
    50 MB field would be a 50 MB message); then its start and its length."""
    if value is None or len(value) <= LONGEST:
        return value
    return f"{value[:60]}… ({len(value)} characters)"


def problem(check: str, *, row: int | None = None, column: str | None = None,
            value: str | None = None, line: int | None = None, advice: str = "",
            **extra: str) -> Problem:
    """A problem with its message from the catalogue; ``advice`` adds what this value suggests
    (e.g. a lost leading zero). A very long value is quoted shortened."""
    value = shortened(value)
    _, template = CHECKS[check]
    fields = {"type": "", "detail": "", **extra}
    message = template.format(column=column, value=value, **fields)
    if advice:
        message = f"{message}; {advice}"
    return Problem(row, column, value, check, message, line)


# --- typing ----------------------------------------------------------------------------------

OTHER_DIGITS = r"[\p{Nd}--[0-9]]"  # decimal digits of other scripts (Arabic-Indic, full-width)

POLARS_TYPES = {"integer": pl.Int64, "number": pl.Float64, "string": pl.String, "date": pl.Date,
                "datetime": pl.Datetime("us"), "time": pl.Time}
# What a text cell of each temporal type may be: ISO 8601 only (18-04-05 is not the year 18).
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S",
                    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")
TIME_FORMATS = ("%H:%M:%S%.f", "%H:%M:%S", "%H:%M")


def _typed(expr: pl.Expr, var: SourceVariable, decimal: str, raw_type: pl.DataType) -> pl.Expr:
    """Convert one raw column to the codebook's type; a cell that does not convert becomes null
    (and is reported by comparing with the raw cell). Spaces around a value are ignored, and a
    cell of spaces is blank."""
    if raw_type.is_integer():  # parsed while reading (see coprod.read)
        return expr.cast(POLARS_TYPES[var.type])
    if raw_type.is_temporal():  # an SPSS or Stata date, datetime or time variable
        if var.type == "string":
            return expr.cast(pl.String)
        if var.type in ("date", "datetime") and raw_type != pl.Time:
            return expr.cast(POLARS_TYPES[var.type])
        if var.type == "time" and raw_type == pl.Time:
            return expr
        return pl.lit(None, POLARS_TYPES[var.type])  # a type error, reported as such
    if raw_type.is_numeric():  # SPSS numerics arrive as floats
        if var.type == "integer":
            return pl.when(expr == expr.floor()).then(expr).cast(pl.Int64, strict=False)
        if var.type == "number":
            return expr.cast(pl.Float64)
        return expr.cast(pl.String)
    text = expr.str.strip_chars()
    if var.type == "integer":
        return text.cast(pl.Int64, strict=False)
    if var.type == "number":
        if decimal == ",":  # a point is then a thousands mark or a mistake: refuse it
            text = pl.when(text.str.contains(".", literal=True)).then(None).otherwise(
                text.str.replace(",", ".", literal=True))
        number = text.cast(pl.Float64, strict=False)
        # "NaN" and "inf" parse as floats, but a missing answer is never silently NaN.
        return pl.when(number.is_finite()).then(number)
    if var.type == "date":  # ISO 8601 only: 18-04-05 is not the year 18
        return pl.when(text.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")).then(
            text.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
    if var.type == "datetime":
        return pl.coalesce(text.str.strptime(pl.Datetime("us"), f, strict=False, exact=True)
                           for f in DATETIME_FORMATS)
    if var.type == "time":
        return pl.coalesce(text.str.strptime(pl.Time, f, strict=False, exact=True)
                           for f in TIME_FORMATS)
    return expr


def _as_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A cell as a steward would see it in the file: SPSS's 7.0 is shown as 7; a number too
    large for an integer (1e+20, inf) as it is."""
    if dtype.is_float():
        whole = pl.when(expr == expr.floor()).then(
            expr.cast(pl.Int64, strict=False).cast(pl.String))
        return pl.coalesce(whole, expr.cast(pl.String))
    return expr.cast(pl.String)


class _Texts(dict):
    """Column -> its cells as text (:func:`_as_text`), made on first use: only the columns a
    problem is reported in need it, and turning a million SPSS numbers into text costs more than
    all the checks."""

    def __init__(self, frame: pl.DataFrame) -> None:
        super().__init__()
        self.frame = frame

    def __missing__(self, name: str) -> pl.Series:
        self[name] = self.frame.select(_as_text(pl.col(name), self.frame.schema[name])).to_series()
        return self[name]


# --- the Pandera schema, derived from the codebook -------------------------------------------


def _check(slug: str, build: Callable[[pl.Expr], pl.Expr]) -> pa.Check:
    return pa.Check(lambda data: data.lazyframe.select(build(pl.col(data.key))), name=slug)


def schema_for(source: SourceCodebook, municipalities: dict[str, str]) -> pa.DataFrameSchema:
    """The Pandera schema of a source, derived from its codebook (never written by hand)."""
    columns = {}
    for name, var in source.variables.items():
        checks = []
        if var.pattern:  # a regex \d matches any script's digits; a code has only 0-9
            checks.append(_check("pattern", lambda c, p=var.pattern: c.str.contains(p)
                                 & ~c.str.contains(OTHER_DIGITS)))
        exempt = _in_missing_ranges(var)
        if var.values is not None:  # Stata's .a-.z are checked apart (coprod.read tagged)
            numeric = var.type in ("integer", "number")
            codes = [c for c in var.values if not (numeric and isinstance(c, str))]
            checks.append(_check("unknown-code", lambda c, v=codes, x=exempt: c.is_in(v) | x(c)))
        if var.range is not None:
            lo, hi = var.range
            if var.type == "datetime" and type(lo) is dt.date:  # whole days
                lo, hi = dt.datetime.combine(lo, dt.time()), dt.datetime.combine(hi, dt.time.max)
            codes = [c for c in var.missing if not isinstance(c, str)]
            checks.append(_check("out-of-range", lambda c, lo=lo, hi=hi, m=codes, x=exempt:
                                 c.is_between(lo, hi) | c.is_in(m) | x(c)))
        if name == source.municipality.variable:
            codes = [int(c) if var.type == "integer" else c for c in municipalities]
            checks.append(_check("unknown-municipality", lambda c, v=codes: c.is_in(v)))
        # Uniqueness (`unique:` and the id) is checked after normalisation: see _duplicates.
        columns[name] = pa.Column(POLARS_TYPES[var.type], checks=checks,
                                  nullable=var.blank is not None or var.free_text)
    return pa.DataFrameSchema(columns, strict=False, ordered=False)


def _in_missing_ranges(var: SourceVariable) -> Callable[[pl.Expr], pl.Expr]:
    """Whether a value lies in one of the variable's declared missing ranges."""
    ranges = [(r.from_, r.to) for r in var.missing_ranges]

    def inside(column: pl.Expr) -> pl.Expr:
        if not ranges:
            return pl.lit(False)
        return pl.any_horizontal([column.is_between(lo, hi) for lo, hi in ranges])

    return inside


def _detail(var: SourceVariable, check: str, reference: str) -> dict[str, str]:
    if check == "out-of-range" and var.range:
        lo, hi = var.range
        return {"detail": f"{lo:g}..{hi:g}" if isinstance(lo, float) else f"{lo}..{hi}"}
    if check == "pattern":
        return {"detail": str(var.pattern)}
    if check == "unknown-municipality":
        return {"detail": reference}
    return {}


# --- validation ------------------------------------------------------------------------------


def validate_source(raw: RawTable, source: SourceCodebook, codebooks: Codebooks,
                    municipalities: dict[str, str]) -> tuple[pl.DataFrame | None, SourceReport]:
    """Validate one raw table. Returns the typed frame (None if invalid) and the report."""
    frame = raw.frame
    problems: list[Problem] = []
    declared = list(source.variables)
    unexpected = [name for name in frame.columns if name not in source.variables]
    renamed = (f"was it renamed? the file has {', '.join(map(repr, unexpected))}, which the "
               "codebook does not declare") if unexpected else ""
    for name in declared:
        if name not in frame.columns:
            problems.append(problem("missing-column", column=name, advice=renamed))
    for name in unexpected:
        problems.append(problem("unexpected-column", column=name))
    problems += _label_changes(raw, source)
    if any(p.check == "missing-column" for p in problems):
        return None, _report(raw, problems)

    raw_text = _Texts(frame)
    typed = frame.select(_typed(pl.col(n), v, source.dialect.decimal, frame.schema[n]).alias(n)
                         for n, v in source.variables.items())
    # A cell that was not empty but did not convert is a type error; it is not checked further.
    context = _Context(raw, source, codebooks, municipalities)
    bad_type = frame.select(
        (pl.col(n).is_not_null() & typed[n].is_null()).alias(n) for n in declared)
    for name in declared:
        rows = bad_type.select(pl.arg_where(pl.col(name))).to_series()
        var = source.variables[name]
        hint = ""
        if var.type == "integer" and source.dialect.decimal == ",":
            hint = " (whole numbers only, no decimal comma)"
        elif var.type == "number" and source.dialect.decimal == ",":
            hint = " (decimal comma, no thousands separator)"
        for index in rows.to_list():
            value = raw_text[name][index]
            if not value.strip():  # a cell of spaces is blank: the checks below judge it
                continue
            problems.append(problem("type-error", row=index + 1, column=name, value=value,
                                    line=raw.line(index + 1), type=var.type, detail=hint,
                                    advice=_advice(value, name, "type-error", context)))

    problems += _tagged(raw, source)
    problems += _outside_fieldwork(typed, raw, source)
    ref = codebooks.package.municipality_references[source.municipality.reference]
    reference = f"{ref.country.upper()} {ref.vintage}"
    schema = schema_for(source, municipalities)
    failures = _failure_cases(schema, typed)
    already = {(p.row, p.column) for p in problems}
    for column, check, index in failures:
        row = index + 1
        var = source.variables[column]
        if (row, column) in already:
            continue
        value = raw_text[column][index]
        if check == "not_nullable":
            if column in raw.tagged and raw.tagged[column][index] is not None:
                continue  # a Stata extended missing value, checked by _tagged
            slug = "blank"
        else:
            slug = check
        already.add((row, column))
        problems.append(problem(slug, row=row, column=column, value=value, line=raw.line(row),
                                advice=_advice(value, column, slug, context),
                                **_detail(var, slug, reference)))
    for name, var in source.variables.items():  # the id identifies a respondent: always unique
        if var.unique or name == source.id_variable:
            problems += [p for p in _duplicates(typed, raw, raw_text, name)
                         if (p.row, p.column) not in already]
    report = _report(raw, problems)
    if report.valid and raw.tagged:  # harmonization reads the missing reason of a .a-.z
        typed = typed.with_columns(series.alias(TAGGED + name) for name, series in
                                   raw.tagged.items() if name in source.variables)
    return (typed if report.valid else None), report


def validate_file(project: Project, source: SourceCodebook, codebooks: Codebooks,
                  municipalities: dict[str, str]) -> tuple[RawTable | None, pl.DataFrame | None,
                                                             SourceReport]:
    """Read and validate a source's file whole: the raw table (None when the file cannot be
    read), the typed frame (None when invalid) and the report. Integer columns are parsed
    while reading; when the file has a problem it is read again as text, so that every problem
    quotes its cell as the file has it."""
    try:
        raw = read_source(project, source, parse_integers=True)
    except RawFileError as exc:
        problem = Problem(getattr(exc, "row", None), getattr(exc, "column", None),
                          getattr(exc, "value", None), "unreadable-file", str(exc),
                          getattr(exc, "line", None))
        return None, None, SourceReport(source.id, source.file, 0, (problem,))
    frame, report = validate_source(raw, source, codebooks, municipalities)
    if not report.valid and raw.parsed:
        raw = read_source(project, source)
        frame, report = validate_source(raw, source, codebooks, municipalities)
    return raw, frame, report


def identity(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """What makes two values of an id (or of a ``unique:`` variable) the same: a number is
    compared as the number it is (``010001``, `` 10001 `` and ``10001`` in an integer column
    all read as 10001); a text without the spaces around it and, when it is all digits 0-9,
    without its leading zeros (``"010001"`` is ``"10001"``, ``"000"`` is ``"0"``). Any other
    text is compared as written, zeros, case and inner spaces included: ``"A-0012"`` and
    ``"A-12"`` are two ids, since a scheme may well count those zeros."""
    if dtype != pl.String:
        return column
    text = column.str.strip_chars()
    digits = text.str.strip_chars_start("0")
    return pl.when(text.str.contains(r"^[0-9]+$")).then(
        pl.when(digits == "").then(pl.lit("0")).otherwise(digits)).otherwise(text)


def _duplicates(typed: pl.DataFrame, raw: RawTable, raw_text: _Texts,
                name: str) -> list[Problem]:
    """Every row whose value of ``name`` (read as :func:`identity` says) an earlier row already
    has, reported with the earlier row; empty cells and values of the wrong type are reported
    as such, not here."""
    keys = typed.select(identity(pl.col(name), typed.schema[name]).alias("key")).with_row_index(
        "index").filter(pl.col("key").is_not_null() & pl.col("key").is_duplicated())
    if not keys.height:
        return []
    later = keys.with_columns(pl.col("index").min().over("key").alias("first")).filter(
        pl.col("index") != pl.col("first")).sort("index")
    problems = []
    for index, first in zip(later["index"].to_list(), later["first"].to_list(), strict=True):
        value, earlier = raw_text[name][index], raw_text[name][first]
        where = f"row {first + 1}" + (f" (cell {cell})" if (cell := raw.cell(first + 1, name))
                                      else f" (line {line})" if (line := raw.line(first + 1))
                                      else "")
        advice = (f"first in {where}" if value == earlier else
                  f"{where} has {earlier!r}: the same id, as ids are compared without "
                  "spaces around them and without leading zeros (docs/codebooks.md)")
        problems.append(problem("duplicate-id", row=index + 1, column=name, value=value,
                                line=raw.line(index + 1), advice=advice))
    return problems


def _tagged(raw: RawTable, source: SourceCodebook) -> list[Problem]:
    """Stata's extended missing values (.a to .z) must be declared missing codes."""
    problems = []
    for name, series in raw.tagged.items():
        var = source.variables.get(name)
        if var is None:
            continue
        for index, value in enumerate(series.to_list()):
            if value is not None and value not in var.missing:
                problems.append(problem("unknown-code", row=index + 1, column=name, value=value,
                                        advice="a Stata extended missing value: declare it under "
                                               f"missing: (e.g. {value}: dont_know)"))
    return problems


def _outside_fieldwork(typed: pl.DataFrame, raw: RawTable,
                       source: SourceCodebook) -> list[Problem]:
    """Interview dates outside the declared fieldwork: one of the two is wrong."""
    period = fieldwork_period(source.fieldwork)
    name = source.interview_date
    if period is None or name is None or name not in typed.columns:
        return []
    day = typed[name].cast(pl.Date) if typed.schema[name] != pl.Date else typed[name]
    outside = day.is_not_null() & ~day.is_between(*period)
    rows = pl.arg_where(outside, eager=True).to_list()
    texts = _Texts(raw.frame)
    return [problem("outside-fieldwork", row=i + 1, column=name, value=texts[name][i],
                    line=raw.line(i + 1), detail=f"{period[0]}..{period[1]} ({source.fieldwork})")
            for i in rows]


@dataclass(frozen=True)
class Reasons:
    """A source's rows, and for each harmonized variable mapped from one of its columns, the
    rows by missing reason (``""``: blank cells). Reasons of blocks of rows add up (``+``)."""

    rows: int
    counts: dict[str, Counter]

    def __add__(self, other: Reasons) -> Reasons:
        counts = {name: found + other.counts.get(name, Counter())
                  for name, found in self.counts.items()}
        return Reasons(self.rows + other.rows, {**other.counts, **counts})


def reasons(frame: pl.DataFrame, source: SourceCodebook) -> Reasons:
    """The :class:`Reasons` of a typed frame: one pass over its mapped columns."""
    from .harmonize import missing_reason

    exprs = []
    names = [name for name, m in source.mappings.items() if isinstance(m, Mapping)]
    for name in names:
        mapping = source.mappings[name]
        assert isinstance(mapping, Mapping)
        var = source.variables[mapping.from_]
        reason = missing_reason(mapping.from_, var, frame)
        for value in sorted({*var.missing.values(), *(r.reason for r in var.missing_ranges)}):
            exprs.append((reason == value).sum().alias(f"{name}\0{value}"))
        blank = pl.col(mapping.from_).is_null()
        if TAGGED + mapping.from_ in frame.columns:
            blank = blank & pl.col(TAGGED + mapping.from_).is_null()
        exprs.append(blank.sum().alias(f"{name}\0"))
    row = frame.select(exprs).row(0, named=True) if exprs else {}
    out: dict[str, Counter] = {name: Counter() for name in names}
    for key, n in row.items():
        name, reason = key.split("\0")
        out[name][reason] = n
    return Reasons(frame.height, out)


CHANCE = 0.001  # about one false alarm in twenty builds of fifty questions each


def lost_missing_codes(now: Reasons, source: SourceCodebook, before: Reasons,
                       previous: SourceCodebook, codebooks: Codebooks) -> list[str]:
    """Missing reasons that the previous wave of a country has rows of and this source has none,
    in a question whose blanks it does count: a delivery that wrote "don't know" as empty cells
    would otherwise turn those answers silently into the blank's reason."""
    names = [n for n, m in source.mappings.items() if isinstance(m, Mapping)
             and isinstance(previous.mappings.get(n), Mapping)
             and source.variables[m.from_].blank is not None]
    path = codebooks.files.get(source.id)
    findings = []
    for name in names:
        mapping = source.mappings[name]
        assert isinstance(mapping, Mapping)
        var = source.variables[mapping.from_]
        had, has = before.counts[name], now.counts[name]
        blanks = has.get("", 0)
        asked_before = before.rows - had.get("", 0)
        asked = now.rows - blanks
        # A reason some answers had before can be absent by chance in a small wave: say so
        # only when its earlier rate makes no row at all unlikely (below CHANCE).
        lost = sorted(r for r, n in had.items() if r and n and not has.get(r)
                      and asked_before and (1 - n / asked_before) ** asked < CHANCE)
        if not blanks or not lost:
            continue
        old = previous.mappings[name]
        assert isinstance(old, Mapping)
        line = yaml_line(path, ("variables", mapping.from_)) if path else None
        where = f"{shown_path(path)}{f':{line}' if line else ''}: " if path else ""
        counted = ", ".join(f"{had[r]} {r}" for r in lost)
        findings.append(
            f"{where}variables.{mapping.from_}: no row is {' or '.join(lost)}, where "
            f"{previous.id} had {counted} ({old.from_}), while {blanks} row"
            f"{'s are' if blanks > 1 else ' is'} blank, read as {var.blank}: if the delivery "
            "wrote those answers as empty cells, they are now counted as "
            f"{var.blank}; check the file, its missing codes and `blank:` [missing-code-unused]")
    return findings


def _failure_cases(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> list[tuple[str, str, int]]:
    # Validation is always on and always checks data, whatever PANDERA_* settings say.
    with config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA
                        ), optional_modules_hidden():
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            # By check too: a cell failing two checks is reported by the same one every time.
            cases = exc.failure_cases.filter(pl.col("index").is_not_null()).sort(
                "index", "column", "check")
            return list(zip(cases["column"], cases["check"], cases["index"], strict=True))
    return []


@dataclass(frozen=True)
class _Context:
    raw: RawTable
    source: SourceCodebook
    codebooks: Codebooks
    municipalities: dict[str, str]
    # the other classifications of the source's country: (key, "NO 2020") -> their codes,
    # loaded once, on the first unknown municipality
    vintages: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)


def _advice(value: str | None, column: str, check: str, context: _Context) -> str:
    """What a failing value suggests, beyond the check's own message. Runs per failing cell
    only."""
    if value is None:
        return ""
    if value.isascii() or len(value) > LONGEST:  # nothing to say of a huge cell's digits
        other = []
    else:
        other = [ch for ch in value if ch.isdigit() and not ch.isascii()]
    if other:
        ascii_ = "".join(str(unicodedata.digit(ch)) if ch in other else ch for ch in value)
        return f"it has digits of another script; write it with the digits 0-9 ({ascii_!r})"
    source = context.source
    if column == source.municipality.variable and check in ("pattern", "unknown-municipality"):
        ref = context.codebooks.package.municipality_references[source.municipality.reference]
        stripped = value.strip()
        padded = stripped.zfill(ref.width)
        if stripped.isdigit() and padded != stripped and padded in context.municipalities:
            return (f"it looks like {padded} ({context.municipalities[padded]}) with its leading "
                    f"zero lost, e.g. by a spreadsheet; keep codes as {ref.width}-digit text")
        if stripped != value and stripped in context.municipalities:
            return (f"it is {stripped} ({context.municipalities[stripped]}) with spaces around "
                    "it: a code is written without them")
        if check == "unknown-municipality":
            vintages = _vintages_with(value, source, context)
            if vintages:
                return (f"it is a code of the {vintages[0][1]} classification: if the file uses "
                        f"that vintage, set municipality.reference to {vintages[0][0]} in "
                        f"schemas/sources/{source.id}.yaml")
    return ""


def _vintages_with(code: str, source: SourceCodebook, context: _Context) -> list[tuple[str, str]]:
    """The other municipality classifications of the source's country that know a code."""
    from .reference import load_reference

    project = context.raw.project
    if project is None:
        return []
    if not context.vintages:
        refs = context.codebooks.package.municipality_references
        country = refs[source.municipality.reference].country
        for key, ref in sorted(refs.items(), key=lambda item: item[1].vintage):
            if key == source.municipality.reference or ref.country != country:
                continue
            try:
                codes = frozenset(load_reference(project, ref))
            except CoprodError:
                continue
            context.vintages[(key, f"{ref.country.upper()} {ref.vintage}")] = codes
        context.vintages.setdefault(("", ""), frozenset())  # loaded, even when there are none
    return [vintage for vintage, codes in context.vintages.items() if code in codes]


def _label_changes(raw: RawTable, source: SourceCodebook) -> list[Problem]:
    """An SPSS file whose value labels differ from the codebook's has changed meaning; a code
    the file labels but the codebook neither lists in values nor declares missing would be
    taken as a number or a category (e.g. 9999 "Ved ikke" averaged as 9999 members)."""
    problems = []
    for name, labels in raw.value_labels.items():
        var = source.variables.get(name)
        # Municipality labels name the municipalities; the reference table is the authority.
        if var is None or name == source.municipality.variable:
            continue
        for code, label in sorted(labels.items()):
            key = int(code) if isinstance(code, float) and code.is_integer() else code
            expected = (var.values or {}).get(key)
            if expected is not None and expected != label:
                problems.append(problem("label-changed", column=name, value=str(key),
                                        detail=f"{label!r}, the codebook {expected!r}"))
            elif expected is None and key not in var.missing:
                problems.append(problem(
                    "label-changed", column=name, value=str(key),
                    detail=f"{label!r}, but the codebook neither lists code {key} in values nor "
                           "declares it missing (a missing answer belongs under missing:, an "
                           "answer under values:)"))
    return problems


def _report(raw: RawTable, problems: list[Problem]) -> SourceReport:
    if raw.sheet is not None:  # a spreadsheet: every problem also names its cell
        problems = [replace(p, cell=raw.cell(p.row, p.column)) if p.row else p
                    for p in problems]
    problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    return SourceReport(raw.source_id, raw.file, raw.frame.height, tuple(problems), raw.warnings)


def translation_problems(codebooks: Codebooks) -> list[Problem]:
    """Every text of the package and harmonized codebooks in each of the package's languages;
    a missing one is reported with its codebook file and line."""
    problems = []
    languages = codebooks.package.languages
    for key, model in (("package", codebooks.package), *codebooks.tables.items()):
        path = codebooks.files[key]
        for loc, labels in labels_in(model):
            where = ".".join(map(str, loc))
            for lang in labels.missing_languages(languages):
                problems.append(Problem(
                    None, where, None, "missing-translation",
                    f"no {lang} text: add it to the codebook (every language in `languages:` "
                    "of schemas/package.yaml needs one)", yaml_line(path, loc), shown_path(path)))
    return problems
