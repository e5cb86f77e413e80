"""Recode validated source frames onto the harmonized tables (DESIGN §4).

Everything is vectorised polars: one expression per harmonized column, built from the codebooks.
Categorical columns are ``pl.Enum`` over the variable's categories followed by the missing
taxonomy, so the stored dictionary is the same for every source and wave. Numeric columns keep
the reason a value is missing in a ``<name>_missing`` column: missing is never a bare null.

The coverage gate lives here: a code that occurs in the data and that neither the mapping nor the
missing codes account for stops the build, naming source, variable, code and count.

A table is made batch by batch (:func:`harmonize_batches`), so that the package stage never
holds it whole; the checks that need all of a source's rows add up over its batches.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field

import polars as pl

from .codebook import (
    AnyOf,
    ClassesOf,
    Codebooks,
    HarmonizedTable,
    HarmonizedVariable,
    Mapping,
    Package,
    SourceCodebook,
    SourceVariable,
    is_not_asked,
)
from .errors import GateError
from .read import TAGGED
from .reconcile import harmonized_counts, reconcile_counts, source_counts, source_side
from .reference import Municipalities

NUMERIC = {"integer": pl.Int64, "number": pl.Float64, "date": pl.Date, "month": pl.String}


@dataclass(frozen=True)
class Harmonized:
    tables: dict[str, pl.DataFrame]
    warnings: tuple[str, ...]
    # source id -> the fieldwork its interview dates span (YYYY-MM-DD/YYYY-MM-DD), where the
    # source names its interview_date
    fieldwork: dict[str, str] = field(default_factory=dict)

    @property
    def batches(self) -> Iterator[tuple[str, pl.DataFrame]]:
        """Each table whole, as one batch: what the writer takes (:class:`Batches`)."""
        return iter(self.tables.items())


def enum_of(var: HarmonizedVariable, package: Package) -> pl.Enum:
    return pl.Enum([c.value for c in var.categories] + [m.value for m in package.missing])


def missing_enum(package: Package) -> pl.Enum:
    return pl.Enum([m.value for m in package.missing])


def output_columns(table: HarmonizedTable) -> list[str]:
    """The columns of a harmonized table, in order: each numeric variable is followed by the
    column holding the reason its value is missing."""
    columns = []
    for name, var in table.variables.items():
        columns.append(name)
        if var.missing_column:
            columns.append(f"{name}_missing")
    return columns


@dataclass
class Batches:
    """The harmonized tables as batches of rows, made as they are consumed: each table's
    sources in id order, each source's rows in file order, a batch at most ``BATCH_ROWS`` rows
    of one source (at least one per source, so that a source without rows still makes its
    table). The checks that need all of a source's rows (coverage, not_asked for some rows
    only, repeated ids, reconciliation) add up over its batches; iterating past the last batch
    raises GateError if one failed, so nothing made from them may be published before then.
    ``warnings`` and ``fieldwork`` are complete once the last batch is made."""

    warnings: list[str]
    fieldwork: dict[str, str]
    batches: Iterator[tuple[str, pl.DataFrame]]


# Rows per batch (262,144): what one batch holds harmonized, as Arrow and in its counts. Smaller
# batches keep less in memory and cost more per row (each batch is counted, scanned and
# converted on its own); measured in docs/performance.md.
BATCH_ROWS = 1 << 18

# A source's typed rows: its frame whole, or its blocks in file order, made as they are taken
# (a file validated as it is read: coprod.stream).
Typed = pl.DataFrame | Iterable[pl.DataFrame]


def harmonize_batches(codebooks: Codebooks, frames: MappingType[str, Typed],
                      municipalities: MappingType[str, Municipalities],
                      rows: int = BATCH_ROWS,
                      progress: Callable[[str], None] = lambda _: None) -> Batches:
    """Harmonize every table from the typed rows of its sources (keyed by source id), batch
    by batch, in one pass over each source's rows. A block whose codes a mapping does not
    cover stops that source's harmonizing (its rows are still counted, to name every such
    code): the coverage gate then fails after the last batch."""
    warnings: list[str] = []
    fieldwork: dict[str, str] = {}

    def batches() -> Iterator[tuple[str, pl.DataFrame]]:
        uncovered: list[str] = []
        broken: list[str] = []
        for name, table in codebooks.tables.items():
            progress(f"harmonizing {name}")
            for source in _sources(codebooks, name, frames):
                made = _Made()
                for block in _blocks(frames[source.id], rows):
                    counts = source_counts(block, source)
                    made.add(block, source, table, counts)
                    if made.uncovered or _coverage(source, counts):
                        made.uncovered = True  # counted on, harmonized no further
                        continue
                    part = harmonize_source(block, source, table, codebooks.package,
                                            municipalities[source.id])
                    made.harmonized(part, source, table)
                    yield name, part
                if made.uncovered:
                    uncovered += _coverage(source, made.counts)
                    continue
                if not made.ids:  # no block: its file failed validation, which says why
                    continue
                warnings.extend(_unused_mappings(source, made.counts))
                if made.days is not None:
                    fieldwork[source.id] = f"{made.days[0]}/{made.days[1]}"
                broken += _partly_not_asked(made.not_asked, made.rows, source)
                if not _unique(pl.concat(made.ids)):  # the ids themselves, to say which repeat
                    broken += _repeated_ids(pl.concat(
                        block.select(_derived(n, table.variables[n], source, codebooks.package,
                                              municipalities[source.id])
                                     for n in _id_columns(table))
                        for block in _blocks(frames[source.id], rows)), source, table)
                broken += reconcile_counts(made.side, made.actual, source, table)
        if uncovered:
            raise GateError("codes found in the raw data have no mapping:\n  "
                            + "\n  ".join(uncovered),
                            hint="add each code to the variable's values and to its mapping's "
                                 "recode, or declare it missing")
        if broken:
            raise GateError("harmonization does not add up:\n  " + "\n  ".join(broken),
                            hint="check the missing codes and mappings named above")

    return Batches(warnings, fieldwork, batches())


@dataclass
class _Made:
    """What a source's batches add up to, for the checks that need all of its rows."""

    rows: int = 0
    counts: dict[str, Counter] = field(default_factory=dict)  # source_counts
    side: dict[str, Counter] = field(default_factory=dict)  # reconcile.source_side
    actual: dict[str, Counter] = field(default_factory=dict)  # reconcile.harmonized_counts
    not_asked: Counter = field(default_factory=Counter)
    ids: list[pl.DataFrame] = field(default_factory=list)  # hashes of the published ids
    days: tuple[dt.date, dt.date] | None = None  # first and last interview date
    uncovered: bool = False

    def add(self, block: pl.DataFrame, source: SourceCodebook, table: HarmonizedTable,
            counts: dict[str, dict]) -> None:
        self.rows += block.height
        _add(self.counts, counts)
        _add(self.side, source_side(block, source, table, counts))
        days = _interview_days(block, source)
        if days is not None:
            self.days = days if self.days is None else (min(self.days[0], days[0]),
                                                        max(self.days[1], days[1]))

    def harmonized(self, part: pl.DataFrame, source: SourceCodebook,
                   table: HarmonizedTable) -> None:
        self.not_asked.update(_not_asked_counts(part, table))
        _add(self.actual, harmonized_counts(part, source, table))
        self.ids.append(part.select(pl.col(_id_columns(table)).hash()))


def _add(total: dict[str, Counter], counts: MappingType[str, MappingType]) -> None:
    for key, found in counts.items():
        total.setdefault(key, Counter()).update(found)


def _blocks(typed: Typed, rows: int) -> Iterator[pl.DataFrame]:
    """A source's typed rows in blocks of at most ``rows``; a source without rows gives one
    empty block, so that it still makes its table."""
    empty, rowful = None, False
    for block in [typed] if isinstance(typed, pl.DataFrame) else typed:
        if block.height == 0:
            empty = block
        for start in range(0, block.height, rows):
            rowful = True
            yield block.slice(start, rows)
    if empty is not None and not rowful:
        yield empty


def harmonize(codebooks: Codebooks, frames: dict[str, pl.DataFrame],
              municipalities: dict[str, Municipalities]) -> Harmonized:
    """Harmonize every table from the typed frames of its sources (keyed by source id), each
    table whole (:func:`harmonize_batches`, its batches put together)."""
    made = harmonize_batches(codebooks, frames, municipalities)
    parts: dict[str, list[pl.DataFrame]] = {}
    for name, part in made.batches:
        parts.setdefault(name, []).append(part)
    return Harmonized({name: pl.concat(p, how="vertical") for name, p in parts.items()},
                      tuple(made.warnings), made.fieldwork)


def _sources(codebooks: Codebooks, table: str,
             frames: MappingType[str, object]) -> list[SourceCodebook]:
    return [s for s in sorted(codebooks.sources_for(table), key=lambda s: s.id)
            if s.id in frames]


def _interview_days(frame: pl.DataFrame, source: SourceCodebook) -> tuple[dt.date, dt.date] | None:
    """The first and last interview date of a source's rows, where it names its
    interview_date and they have one."""
    name = source.interview_date
    if name is None or name not in frame.columns:
        return None
    first, last = frame.select(pl.col(name).cast(pl.Date).min().alias("first"),
                               pl.col(name).cast(pl.Date).max().alias("last")).row(0)
    return None if first is None else (first, last)


def _id_columns(table: HarmonizedTable) -> list[str]:
    return [name for name, var in table.variables.items() if var.derive == "respondent_id"]


def _unique(hashes: pl.DataFrame) -> bool:
    """Whether each column of ids' hashes holds distinct values; when it does, so do the ids
    (a collision can only make distinct ids look repeated, and then the ids are compared)."""
    return all(hashes[c].n_unique() == hashes.height for c in hashes.columns)


def _repeated_ids(frame: pl.DataFrame, source: SourceCodebook,
                  table: HarmonizedTable) -> list[str]:
    """The published respondent id is unique within a source, always: validation refuses ids
    that differ only in spaces or leading zeros, and this says so if anything ever slips by."""
    problems = []
    for name in _id_columns(table):
        if frame[name].n_unique() == frame.height:
            continue
        repeated = frame.group_by(name).len().filter(pl.col("len") > 1).sort(name)
        for value, n in repeated.head(5).iter_rows():
            problems.append(f"{source.id}: {name} {value!r} occurs in {n} rows; each respondent "
                            f"must have one id (check {source.id_variable} in the raw file)")
    return problems


def _not_asked_counts(frame: pl.DataFrame, table: HarmonizedTable) -> dict[str, int]:
    """The rows that are not_asked in each column that can be (compared as categories: no
    strings made, all columns in one pass)."""
    columns = [c for c in output_columns(table) if isinstance(frame.schema[c], pl.Enum)
               and "not_asked" in frame.schema[c].categories]
    counts = frame.select((pl.col(c) == "not_asked").sum() for c in columns).row(0) if (
        columns) else ()
    return dict(zip(columns, counts, strict=True))


def _partly_not_asked(counts: MappingType[str, int], rows: int,
                      source: SourceCodebook) -> list[str]:
    """A question is asked of all of a source's respondents or of none: not_asked is never a
    reason for only some rows (those are not_applicable, skipped by routing)."""
    return [f"{source.id}: {column} is not_asked in {n} of {rows} rows; not_asked is for a "
            "question absent from the whole source" for column, n in counts.items()
            if 0 < n < rows]


# Derived from the municipality code alone: computed once per distinct code, then joined on.
PER_CODE = frozenset({"municipality_code", "municipality_name", "municipality_code_reference",
                      "municipality_name_reference", "region_reference", "municipality_split",
                      "municipality_split_into"})
KEY = "__coprod_municipality__"


def harmonize_source(frame: pl.DataFrame, source: SourceCodebook, table: HarmonizedTable,
                     package: Package, municipalities: Municipalities) -> pl.DataFrame:
    exprs: list[pl.Expr] = []
    per_code: list[pl.Expr] = []
    for name, var in table.variables.items():
        if var.derive is None:
            mapping = source.mappings[name]
            exprs += _mapped(name, var, mapping, source, package,
                             frame.schema[mapping.from_] if isinstance(mapping, Mapping) else None,
                             tagged=isinstance(mapping, Mapping)
                             and TAGGED + mapping.from_ in frame.columns)
        elif not var.combines:
            derived = _derived(name, var, source, package, municipalities)
            (per_code if var.derive in PER_CODE else exprs).append(derived)
    out = frame.select(exprs)
    if per_code:
        # A few hundred municipalities among a million rows: the string lookups run on the
        # distinct codes (the same expressions, so the same values, null code included) and a
        # join carries them to the rows, in row order.
        code = pl.col(source.municipality.variable)
        places = frame.select(code.unique()).select(code.alias(KEY), *per_code)
        rows = frame.select(code.alias(KEY)).join(places, on=KEY, how="left", nulls_equal=True,
                                                  maintain_order="left")
        out = out.hstack(rows.drop(KEY).get_columns())
    combined = []  # made from harmonized columns, after them
    for name, var in table.variables.items():
        if isinstance(var.derive, AnyOf):
            combined.append(_any_of(name, var, var.derive, package, source))
        elif isinstance(var.derive, ClassesOf):
            combined.append(_classes_of(name, var, var.derive, package))
    return out.with_columns(combined).select(output_columns(table))


def _derived(name: str, var: HarmonizedVariable, source: SourceCodebook, package: Package,
             places: Municipalities) -> pl.Expr:
    ref = package.municipality_references[source.municipality.reference]
    code = pl.col(source.municipality.variable).cast(pl.String).str.zfill(ref.width)
    reference_code = code.replace_strict(places.single, default=None)
    expr = {
        # the id as validation compared it: a text id without the spaces around it
        "respondent_id": pl.format("{}-{}", pl.lit(source.id),
                                   pl.col(source.id_variable).cast(pl.String).str.strip_chars()),
        "country": pl.lit(source.country),
        "wave": pl.lit(source.wave),
        "source": pl.lit(source.id),
        "municipality_code": code,
        "municipality_vintage": pl.lit(ref.vintage),
        "municipality_name": code.replace_strict(places.names, default=None),
        "municipality_code_reference": reference_code,
        "municipality_name_reference": reference_code.replace_strict(places.reference_names,
                                                                     default=None),
        "region_reference": code.replace_strict(places.regions, default=None),
        "municipality_split": pl.when(code.is_in(list(places.split_into))).then(pl.lit("yes"))
        .otherwise(pl.lit("no")),
        "municipality_split_into": code.replace_strict(places.split_into, default=None),
    }[var.derive]  # type: ignore[index]
    dtype = enum_of(var, package) if var.type == "categorical" else _scalar(var)
    return expr.cast(dtype).alias(name)


def _scalar(var: HarmonizedVariable) -> pl.DataType:
    return NUMERIC.get(var.type, pl.String)


def _recode(col: pl.Expr, codes: dict, dtype: pl.DataType, code_type: pl.DataType | None
            ) -> pl.Expr:
    """``col.replace_strict(codes, default=None)`` straight into ``dtype``, as a chain of
    comparisons: for a handful of codes it is an order of magnitude faster than the hash lookup,
    and it makes no intermediate strings. Like replace_strict, a code is cast to the column's
    type before comparing."""
    if not codes or code_type is None:
        return col.replace_strict(codes, default=None, return_dtype=dtype)
    expr = None
    for code, value in codes.items():
        test = col == pl.lit(code).cast(code_type)
        expr = (pl.when(test) if expr is None else expr.when(test)).then(pl.lit(value, dtype))
    return expr  # no match: null


def _reason(col: pl.Expr, src: SourceVariable, dtype: pl.DataType,
            code_type: pl.DataType | None, tag: pl.Expr | None) -> pl.Expr | None:
    """The missing reason a source cell means beyond its plain codes: a value in a declared
    missing range, or a Stata extended missing value (.a to .z); None when there are none."""
    parts = []
    if tag is not None:
        tags = {c: r for c, r in src.missing.items() if isinstance(c, str) and c.startswith(".")}
        parts.append(_recode(tag, tags, dtype, pl.String))
    if src.missing_ranges:
        expr = None
        for span in src.missing_ranges:
            test = col.is_between(span.from_, span.to)
            expr = (pl.when(test) if expr is None else expr.when(test)).then(
                pl.lit(span.reason, dtype))
        parts.append(expr)
    return pl.coalesce(parts) if parts else None


def _codes(src: SourceVariable, code_type: pl.DataType | None) -> dict:
    """The plain missing codes of a column: not a Stata .a-.z of a numeric one."""
    numeric = code_type is not None and code_type.is_numeric()
    return {c: r for c, r in src.missing.items() if not (numeric and isinstance(c, str))}


def missing_reason(column: str, src: SourceVariable, frame: pl.DataFrame) -> pl.Expr:
    """The missing reason (as text) each cell of a typed source column means by its codes,
    ranges or extended missing values; null for a value or a blank."""
    code_type = frame.schema[column]
    col = pl.col(column)
    tag = pl.col(TAGGED + column) if TAGGED + column in frame.columns else None
    reason = _recode(col, _codes(src, code_type), pl.String, code_type)
    other = _reason(col, src, pl.String, code_type, tag)
    return reason if other is None else pl.coalesce(other, reason)


def _temporal(value: pl.Expr, var: HarmonizedVariable) -> pl.Expr:
    """A date, datetime or month from a source date or datetime."""
    if var.type == "month":
        return value.dt.strftime("%Y-%m")
    return value.cast(pl.Date)


def _mapped(name: str, var: HarmonizedVariable, mapping: Mapping | str, source: SourceCodebook,
            package: Package, code_type: pl.DataType | None = None, *,
            tagged: bool = False) -> list[pl.Expr]:
    if is_not_asked(mapping):
        if var.type == "categorical":
            return [pl.lit("not_asked").cast(enum_of(var, package)).alias(name)]
        exprs = [pl.lit(None, dtype=_scalar(var)).alias(name)]
        if var.missing_column:
            exprs.append(pl.lit("not_asked").cast(missing_enum(package)).alias(f"{name}_missing"))
        return exprs
    assert isinstance(mapping, Mapping)
    src = source.variables[mapping.from_]
    col = pl.col(mapping.from_)
    tag = pl.col(TAGGED + mapping.from_) if tagged else None
    codes = _codes(src, code_type)
    if var.type == "categorical":
        categories = enum_of(var, package)
        value = _recode(col, {**(mapping.recode or {}), **codes}, categories, code_type)
        other = _reason(col, src, categories, code_type, tag)
        if other is not None:
            value = pl.coalesce(other, value)
        if src.blank is not None:
            blank = pl.lit(src.blank, categories)
            value = value.fill_null(blank) if tag is None else pl.when(
                col.is_null() & tag.is_null()).then(blank).otherwise(value)
        return [value.cast(categories).alias(name)]
    reasons = missing_enum(package)
    other = _reason(col, src, reasons, code_type, tag)
    missing = col.is_in(list(codes))
    if src.missing_ranges:
        missing = missing | pl.any_horizontal([col.is_between(r.from_, r.to)
                                               for r in src.missing_ranges])
    value = pl.when(missing).then(None).otherwise(col)
    value = _temporal(value, var) if var.type in ("date", "month") else value
    exprs = [value.cast(_scalar(var)).alias(name)]
    if var.missing_column:
        reason = _recode(col, codes, reasons, code_type)
        if other is not None:
            reason = pl.coalesce(other, reason)
        if src.blank is not None:
            empty = col.is_null() if tag is None else col.is_null() & tag.is_null()
            reason = pl.when(empty).then(pl.lit(src.blank, reasons)).otherwise(reason)
        exprs.append(reason.cast(reasons).alias(f"{name}_missing"))
    return exprs


def _classes_of(name: str, var: HarmonizedVariable, rule: ClassesOf,
                package: Package) -> pl.Expr:
    value = pl.col(rule.classes_of)
    categories = [c.value for c in var.categories]
    dtype = enum_of(var, package)  # holds the missing reasons too: carried over as categories
    expr = pl.when(value.is_null()).then(pl.col(f"{rule.classes_of}_missing").cast(dtype))
    for bound, category in zip(rule.upper_bounds, categories, strict=False):
        expr = expr.when(value <= bound).then(pl.lit(category, dtype))
    return expr.otherwise(pl.lit(categories[-1], dtype)).alias(name)


def _any_of(name: str, var: HarmonizedVariable, rule: AnyOf, package: Package,
            source: SourceCodebook) -> pl.Expr:
    """yes if any part is yes; no if every part is no; otherwise the first part's missing reason.
    A part's other answers count as the rule's ``counts`` say (e.g. partly as yes). When the
    source did not ask one of the parts, the combination was not asked either."""
    names = rule.any_of
    categories = enum_of(var, package)
    if any(is_not_asked(source.mappings.get(p)) for p in names):
        return pl.lit("not_asked").cast(categories).alias(name)
    yes = ["yes", *(v for v, as_ in rule.counts.items() if as_ == "yes")]
    no = ["no", *(v for v, as_ in rule.counts.items() if as_ == "no")]
    # Compared as categories, no text made; a missing reason is carried over by name (the
    # parts' categories end with the same missing taxonomy as the combination's).
    parts = [pl.col(p) for p in names]
    missing = pl.coalesce([pl.when(~p.is_in(yes + no)).then(p.cast(pl.String).cast(categories))
                           for p in parts]) if rule.counts else pl.coalesce(
        [pl.when(~p.is_in(["yes", "no"])).then(p.cast(categories)) for p in parts])
    return (
        pl.when(pl.any_horizontal([p.is_in(yes) for p in parts])).then(pl.lit("yes", categories))
        .when(pl.all_horizontal([p.is_in(no) for p in parts])).then(pl.lit("no", categories))
        .otherwise(missing)
    ).alias(name)


def _coverage(source: SourceCodebook, counts: dict[str, dict]) -> list[str]:
    """Codes in the data (as counted by :func:`source_counts`) that a categorical mapping does
    not account for."""
    problems = []
    for name, mapping in source.mappings.items():
        if not isinstance(mapping, Mapping) or mapping.recode is None:
            continue
        var = source.variables[mapping.from_]
        known = {*mapping.recode, *var.missing, None}
        for code, count in sorted((c, n) for c, n in counts[mapping.from_].items()
                                  if c not in known and var.missing_reason(c) is None):
            problems.append(f"{source.id}: {mapping.from_} code {code} ({count} rows) → {name}")
    return problems


def _unused_mappings(source: SourceCodebook, counts: dict[str, dict]) -> list[str]:
    warnings = []
    for name, mapping in source.mappings.items():
        if not isinstance(mapping, Mapping) or mapping.recode is None:
            continue
        present = counts[mapping.from_]
        for code in mapping.recode:
            if code not in present:
                warnings.append(f"{source.id}: mapping {mapping.from_} code {code} → "
                                f"{name}={mapping.recode[code]} matches no row")
    return warnings

