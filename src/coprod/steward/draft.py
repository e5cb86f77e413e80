"""Draft a source codebook for a new delivery (``coprod new-source``).

The draft is read off the file itself: its dialect (sniffed, not copied from the previous wave),
its SPSS variable labels, value labels and user-missing codes, and its values: digit strings with
leading zeros become strings with a pattern, numeric sentinels (9, 99, -1 ...) that sit apart from
the other values are proposed as missing codes. It is then set against the previous wave of the
same country and survey, including that wave's data: columns found under the same name keep their
documentation, columns the file lacks are matched by content to columns the previous wave lacks
(renames, with the evidence), and each mapping is carried over to the column that continues it.

Every review item says what differs or is unknown, and where (the key and line of the draft).
What a person must write is a placeholder (``'?'``, ``DRAFT``): validate and build refuse it,
whatever the ``review:`` list says, so nothing a machine guessed is published unread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from ..codebook import (
    PLACEHOLDER,
    SOURCE_ID,
    Codebooks,
    Mapping,
    SourceCodebook,
    SourceVariable,
    line_of,
    load_codebooks,
)
from ..errors import ConfigError, RawFileError
from ..project import Project
from .match import CREDIBLE, Profile, Proposal, match, profile

DONT_KNOW = ("ved ikke", "vet ikke", "don't know", "dont know", "vet inte", "en osaa")
REFUSED = ("ønsker ikke", "vil ikke", "refused", "ikke svare", "vill inte")
NOT_APPLICABLE = ("ikke relevant", "ikke aktuelt", "not applicable", "ej aktuell")
FEW_CODES = 15  # an integer column with at most this many distinct values is coded
SENTINELS = (9, 99, 999, 9999, 99999, 8, 98, 998, 9998, -1, -2, -3, -7, -8, -9, -99, -999)
ID_NAMES = re.compile(r"(^|_)(id|nr|no|lopenr|løpenr|respnr|respondent|serial|lnr)($|_)", re.I)
INTERVIEW = re.compile(r"interview|intervju|dato|date|datum", re.I)


@dataclass(frozen=True)
class Draft:
    path: Path
    review: list[str]  # "line N, key: what differs or is unknown"


@dataclass(frozen=True)
class Delivery:
    """A delivered file as read for drafting."""

    frame: pl.DataFrame  # delimited text: every cell as text; SPSS: as pyreadstat types it
    format: str  # csv | spss
    dialect: dict | None = None
    questions: dict[str, str] = field(default_factory=dict)  # SPSS variable labels
    value_labels: dict[str, dict] = field(default_factory=dict)
    user_missing: dict[str, list] = field(default_factory=dict)  # SPSS: discrete codes
    missing_ranges: dict[str, list[tuple]] = field(default_factory=dict)  # SPSS: lo < hi
    evidence: tuple[str, ...] = ()
    measures: dict[str, str] = field(default_factory=dict)  # SPSS: nominal, ordinal, scale
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)  # variable -> MR set, label
    tagged: dict[str, pl.Series] = field(default_factory=dict)  # Stata: ".a" where missing
    sheet: str | None = None  # a spreadsheet's sheet
    header_row: int = 1


@dataclass
class Item:
    key: str  # dotted path of the draft, e.g. mappings.n_employees
    text: str


# --- reading ---------------------------------------------------------------------------------


def _code(value: object) -> object:
    """A code as a codebook writes it: 7.0 is 7."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


FORMATS = {".sav": "spss", ".zsav": "spss", ".dta": "stata", ".xlsx": "spreadsheet",
           ".xlsm": "spreadsheet", ".ods": "spreadsheet", ".xls": "spreadsheet"}


def delivery_format(path: Path) -> str:
    """The codebook's `format` of a delivered file, by its name (delimited text otherwise)."""
    return FORMATS.get(path.suffix.lower(), "csv")


def read_delivery(path: Path, shown: str, *, sheet: str | None = None,
                  header_row: int = 1) -> Delivery:
    kind = delivery_format(path)
    if kind in ("spss", "stata"):
        return _read_labelled(path, shown, kind)
    if kind == "spreadsheet":
        return _read_spreadsheet(path, shown, sheet, header_row)
    if path.suffix.lower() == ".por":
        raise RawFileError(f"{shown}: an SPSS portable (.por) file cannot be read",
                           hint="export the delivery as SPSS .sav or as delimited text")
    return _read_text(path, shown)


def _read_spreadsheet(path: Path, shown: str, name: str | None, header_row: int) -> Delivery:
    """A sheet (default: the first), its header on ``header_row``."""
    from ..sheets import read_sheet

    sheet = read_sheet(path, shown, name, header_row)
    return Delivery(sheet.frame, "spreadsheet", None, evidence=(
        f"sheet {sheet.name!r}, header on row {sheet.header_row}",), sheet=sheet.name,
        header_row=sheet.header_row)


def _read_labelled(path: Path, shown: str, kind: str) -> Delivery:
    """An SPSS (.sav, .zsav) or Stata (.dta) file, with its labels, missing values, measures
    and multiple-response sets."""
    import pyreadstat

    reader = pyreadstat.read_sav if kind == "spss" else pyreadstat.read_dta
    try:
        frame, meta = reader(str(path), user_missing=True, output_format="polars")
    except Exception as exc:  # pyreadstat's own error types
        raise RawFileError(f"{shown}: not a readable {'SPSS' if kind == 'spss' else 'Stata'} "
                           f"file ({exc})", hint="export the delivery again") from None
    tagged = {}
    for name, dtype in frame.schema.items():
        if dtype == pl.Object:  # Stata: numbers and the letters of extended missing values
            values = frame[name].to_list()
            tagged[name] = pl.Series(name, [f".{v}" if isinstance(v, str) else None
                                            for v in values], dtype=pl.String)
            frame = frame.with_columns(pl.Series(name, [None if isinstance(v, str) else v
                                                        for v in values], dtype=pl.Float64))
    frame = frame.with_columns(
        [pl.col(c).fill_nan(None) for c, t in frame.schema.items() if t.is_float()]
        + [pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
           for c, t in frame.schema.items() if t == pl.String])
    discrete: dict[str, list] = {}
    ranges: dict[str, list[tuple]] = {}
    for name, spans in (meta.missing_ranges or {}).items():
        for span in spans:
            if span["lo"] == span["hi"]:
                discrete.setdefault(name, []).append(_code(span["lo"]))
            else:
                ranges.setdefault(name, []).append((_code(span["lo"]), _code(span["hi"])))
    for name, values in (getattr(meta, "missing_user_values", None) or {}).items():
        # Stata gives the letters of its extended missing values: written .a in a codebook
        discrete.setdefault(name, []).extend(f".{v}" if kind == "stata" else _code(v)
                                             for v in values)
    labels = {k: {(f".{c}" if kind == "stata" and isinstance(c, str) else _code(c)): t
                  for c, t in v.items()}
              for k, v in (meta.variable_value_labels or {}).items()}
    groups = {}
    for set_name, spec in (getattr(meta, "mr_sets", None) or {}).items():
        for variable in spec.get("variable_list", []):
            groups[variable] = (set_name, spec.get("label") or set_name)
    measures = {k: v for k, v in (getattr(meta, "variable_measure", None) or {}).items()
                if v in ("nominal", "ordinal", "scale")}
    return Delivery(frame, kind, None,
                    {k: v for k, v in (meta.column_names_to_labels or {}).items() if v},
                    labels, discrete, ranges,
                    (f"{'SPSS' if kind == 'spss' else 'Stata'} file: variable and value labels "
                     "read from it",), measures, groups, tagged)


def _read_text(path: Path, shown: str) -> Delivery:
    from .sniff import sniff

    sniffed = sniff(path.read_bytes(), shown)
    dialect = {"encoding": sniffed.encoding, "delimiter": sniffed.delimiter,
               "decimal": sniffed.decimal, "quotechar": sniffed.quotechar,
               "line_terminator": sniffed.line_terminator}
    try:
        frame = pl.read_csv(sniffed.text.encode("utf-8"), separator=sniffed.delimiter,
                            quote_char=sniffed.quotechar, infer_schema=False)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise RawFileError(f"{shown}: cannot be read as {sniffed.delimiter!r}-separated "
                           f"{sniffed.encoding} text ({first})",
                           hint="check the file: its rows may have different numbers of "
                                "fields") from None
    frame = frame.with_columns(pl.when(pl.col(c).str.strip_chars() == "").then(None)
                               .otherwise(pl.col(c)).alias(c) for c in frame.columns)
    evidence = sniffed.evidence
    # The cells decide the decimal mark where the raw text cannot: "1,25" quoted in a
    # comma-separated file is a number with a decimal comma.
    commas = [c for c in frame.columns if frame[c].drop_nulls().len() and frame.select(
        pl.col(c).str.strip_chars().str.contains(r"^-?\d+(,\d+)?$").all()
        & pl.col(c).str.contains(",", literal=True).any()).item()]
    if commas and dialect["decimal"] == ".":
        dialect["decimal"] = ","
        evidence = (*(e for e in evidence if not e.startswith("decimal ")),
                    f"decimal ',': the cells of {commas[0]} are numbers such as "
                               f"{frame[commas[0]].drop_nulls()[0]!r}")
    return Delivery(frame, "csv", dialect, evidence=evidence)


# --- what a column holds ---------------------------------------------------------------------


def _kind(series: pl.Series, decimal: str) -> str:
    values = series.drop_nulls()
    if values.dtype.is_temporal():
        return {pl.Date: "date", pl.Time: "time"}.get(values.dtype, "datetime")
    if values.dtype.is_numeric():
        return "integer" if (values == values.floor()).all() else "number"
    text = values.str.strip_chars()
    if text.str.contains(r"^-?\d+$").all():
        return "integer"
    point = r"^-?\d+(,\d+)?$" if decimal == "," else r"^-?\d+(\.\d+)?$"
    if text.str.contains(point).all():
        return "number"
    if text.str.contains(r"^\d{4}-\d{2}-\d{2}$").all():
        return "date"
    if text.str.contains(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$").all():
        return "datetime"
    if text.str.contains(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$").all():
        return "time"
    return "string"


def _leading_zeros(series: pl.Series) -> str | None:
    """A pattern for digit strings that keep leading zeros (codes, not numbers)."""
    values = series.drop_nulls()
    if values.dtype != pl.String or values.is_empty():
        return None
    text = values.str.strip_chars()
    if not text.str.contains(r"^\d+$").all() or not text.str.contains(r"^0\d").any():
        return None
    widths = text.str.len_chars().unique().sort().to_list()
    return rf"^\d{{{widths[0]}}}$" if len(widths) == 1 else rf"^\d{{{widths[0]},{widths[-1]}}}$"


def _codes(series: pl.Series, kind: str) -> list:
    values = series.drop_nulls()
    if kind != "integer":
        return []
    if values.dtype == pl.String:
        values = values.str.strip_chars().cast(pl.Int64)
    return sorted({_code(v) for v in values.unique().to_list()})


def sentinels(codes: list[int]) -> list[int]:
    """Codes of the usual missing-value forms (9, 99, 999, -1, -9 ...) that sit apart from the
    other values: above the largest of them by more than one (and by half again for counts), or
    negative where the others are not."""
    found = [c for c in codes if c in SENTINELS]
    others = [c for c in codes if c not in SENTINELS]
    if not found or not others:
        return []
    low, high = min(others), max(others)
    many = len(others) > FEW_CODES
    return sorted(c for c in found
                  if (c < 0 <= low) or (c > high + 1 and (not many or c >= 1.5 * high)))


def _reason(label: str | None) -> str:
    low = (label or "").lower()
    if any(k in low for k in DONT_KNOW):
        return "dont_know"
    if any(k in low for k in REFUSED):
        return "refused"
    if any(k in low for k in NOT_APPLICABLE):
        return "not_applicable"
    return "no_answer"


def _convention(previous: SourceCodebook | None, code: object) -> str:
    """The reason the previous wave gives a missing code most often (9 is "don't know" in one
    country's files and "refused" in another's), else no_answer."""
    reasons = [v.missing[code] for v in (previous.variables.values() if previous else ())
               if code in v.missing]
    return max(sorted(set(reasons)), key=reasons.count) if reasons else "no_answer"


def _codes_text(codes: list) -> str:
    return f"code {codes[0]} is" if len(codes) == 1 else \
        f"codes {', '.join(map(str, codes))} are"


def _plain(value: object) -> object:
    """Model dumps as YAML-safe data: tuples become lists, integer codes stay integers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _new_variable(name: str, series: pl.Series, delivery: Delivery, items: list[Item],
                  previous: SourceCodebook | None) -> dict:
    """A variable the previous wave does not have, from the file alone."""
    decimal = (delivery.dialect or {}).get("decimal", ".")
    kind = _kind(series, decimal)
    pattern = _leading_zeros(series)
    if pattern:
        kind = "string"
    entry: dict = {"type": kind, "label": delivery.questions.get(name) or PLACEHOLDER}
    codes = _codes(series, kind)
    labels = delivery.value_labels.get(name) or {}
    notes = []
    if labels or (kind == "integer" and len(codes) <= FEW_CODES):
        entry["values"] = {c: labels.get(c, PLACEHOLDER) for c in sorted({*labels, *codes})}
    missing = {c: _reason(labels.get(c)) for c in delivery.user_missing.get(name, [])}
    tags = delivery.tagged.get(name)
    for code in sorted(set(tags.drop_nulls().to_list())) if tags is not None else []:
        missing.setdefault(code, _reason(labels.get(code)))
    spans = []
    for lo, hi in delivery.missing_ranges.get(name, []):
        inside = [c for c in codes if lo <= c <= hi and c not in missing]
        reasons = {_reason(labels.get(c)) for c in inside} or {"no_answer"}
        spans.append({"from": lo, "to": hi, "reason": sorted(reasons)[0]})
        notes.append(f"the file declares {lo}–{hi} missing: drafted as a missing range "
                     f"({sorted(reasons)[0]}); say which reason")
    apart = [c for c in sentinels(codes) if c not in missing]
    for code in apart:
        missing[code] = _reason(labels.get(code)) if code in labels else _convention(
            previous, code)
    if apart:
        others = [c for c in codes if c not in apart]
        notes.append(f"{', '.join(map(str, apart))} sit{'s' if len(apart) == 1 else ''} apart "
                     f"from the other values ({min(others)}–{max(others)}): drafted as missing "
                     f"({', '.join(missing[c] for c in apart)}); say which reason")
    if missing:
        entry["missing"] = missing
        if "values" in entry:
            entry["values"].update({c: entry["values"].get(c, PLACEHOLDER) for c in missing})
    if spans:
        entry["missing_ranges"] = spans
        if "values" in entry:  # a code of the range is no answer option: no label needed
            entry["values"] = {c: t for c, t in entry["values"].items()
                               if not any(r["from"] <= c <= r["to"] for r in spans
                                          if isinstance(c, int | float))}
    if delivery.measures.get(name) == "ordinal":
        entry["measure"] = "ordinal"
        notes.append("an ordinal scale in the file: drafted `measure: ordinal`")
    if name in delivery.groups:
        set_name, set_label = delivery.groups[name]
        entry["group"] = set_name
        if "values" not in entry and kind == "integer":
            entry["values"] = {c: labels.get(c, PLACEHOLDER) for c in codes}
        notes.append(f"one of the yes/no variables of the multiple-response set {set_name} "
                     f"({set_label!r})")
    if pattern:
        entry["pattern"] = pattern
        notes.append(f"digit strings with leading zeros: drafted as text of the form {pattern}")
    if kind == "string" and not pattern and series.drop_nulls().str.contains(r"\s").any():
        entry["free_text"] = True
        notes.append("text with spaces: drafted as free text, never published")
    if series.null_count() and not entry.get("free_text"):
        entry["blank"] = "no_answer"
        notes.append(f"{series.null_count()} empty cells: drafted `blank: no_answer`; say what "
                     "an empty cell means (e.g. not_applicable for a routed question)")
    where = f"new since {previous.id}" if previous else "new"
    shown = f"codes {', '.join(map(str, codes))}" if codes and len(codes) <= FEW_CODES else kind
    items.append(Item(f"variables.{name}", f"{where} ({shown})"
                      + (f"; {'; '.join(notes)}" if notes else "")
                      + ": write its question text and labels where they are '?', and map it "
                        "under mappings, or write `not_harmonized: <reason>`"))
    return entry


def _missing_as_declared(name: str, entry: dict, old: SourceVariable, delivery: Delivery,
                         previous: SourceCodebook, items: list[Item]) -> None:
    """An SPSS or Stata file declares its own missing values: where they differ from the
    previous wave's codebook, the draft takes the file's (a code keeps its earlier reason)."""
    if delivery.format not in ("spss", "stata"):
        return
    labels = delivery.value_labels.get(name) or {}
    codes = {c: old.missing.get(c) or _reason(labels.get(c))
             for c in delivery.user_missing.get(name, [])}
    tags = delivery.tagged.get(name)
    for code in sorted(set(tags.drop_nulls().to_list())) if tags is not None else []:
        codes.setdefault(code, old.missing.get(code) or _reason(labels.get(code)))
    spans = [{"from": lo, "to": hi, "reason": next(
        (r.reason for r in old.missing_ranges if (r.from_, r.to) == (lo, hi)), "no_answer")}
        for lo, hi in delivery.missing_ranges.get(name, [])]
    before = ({**old.missing}, [{"from": r.from_, "to": r.to, "reason": r.reason}
                                for r in old.missing_ranges])
    if (codes, spans) == before:
        return
    entry.pop("missing", None)
    entry.pop("missing_ranges", None)
    if codes:
        entry["missing"] = codes
        if "values" in entry:
            entry["values"].update({c: labels.get(c, entry["values"].get(c, PLACEHOLDER))
                                    for c in codes})
    if spans:
        entry["missing_ranges"] = spans

    def shown(declared: tuple) -> str:
        parts = [f"{c} ({r})" for c, r in declared[0].items()]
        parts += [f"{r['from']:g}–{r['to']:g} ({r['reason']})" for r in declared[1]]
        return ", ".join(parts) or "none"

    items.append(Item(f"variables.{name}", f"the file declares missing {shown((codes, spans))}, "
                                           f"{previous.id} {shown(before)}: drafted as the "
                                           "file declares; check the reasons"))


def _continued(name: str, old_name: str, old: SourceVariable, series: pl.Series,
               delivery: Delivery, previous: SourceCodebook, items: list[Item],
               counts_before: dict | None) -> dict:
    """A variable that continues one of the previous wave: its documentation, checked against
    the file."""
    decimal = (delivery.dialect or {}).get("decimal", ".")
    kind = _kind(series, decimal) if series.drop_nulls().len() else old.type
    key = f"variables.{name}"
    # Text holds anything, and whole numbers are numbers: the old type still fits the data.
    if not (old.type == kind or old.type == "string" or (old.type, kind) == ("number", "integer")
            or series.drop_nulls().len() == 0):
        text = series.drop_nulls().cast(pl.String).str.strip_chars()
        odd = text.filter(~text.str.contains(r"^-?\d+([.,]\d+)?$")) if old.type != "date" else text
        example = (odd if odd.len() else text).head(1).to_list()
        items.append(Item(key, f"{previous.id} declared {old_name} {old.type}, but the file holds "
                               f"{kind} values (e.g. {example[0]!r}): drafted as {kind}; check"))
        entry = _new_variable(name, series, delivery, [], previous)
        entry["label"] = old.label
        return entry
    entry = _plain(old.model_dump(by_alias=True, exclude_defaults=True))
    codes = _codes(series, old.type if old.type != "string" else kind)
    labels = delivery.value_labels.get(name) or {}
    _missing_as_declared(name, entry, old, delivery, previous, items)
    if old.values is not None:
        new = [c for c in codes if c not in old.values]
        relabelled = [c for c, text in labels.items() if c in old.values and old.values[c] != text]
        if new:
            entry["values"] = {**entry["values"], **{c: labels.get(c, PLACEHOLDER) for c in new}}
            said = "; ".join(f"{c} {labels[c]!r}" for c in new if c in labels)
            them = "them" if len(new) > 1 else "it"
            items.append(Item(f"{key}.values", f"{_codes_text(new)} new since "
                              f"{previous.id}{f' (the file labels {said})' if said else ''}: "
                              f"label {them}, and recode {them} under mappings (a new answer may "
                              "need a new category in the harmonized codebook)"))
        for code in relabelled:
            entry["values"][code] = labels[code]
            items.append(Item(f"{key}.values", f"the file labels code {code} {labels[code]!r}, "
                                               f"{previous.id} {old.values[code]!r}: drafted "
                                               "with the file's label; check the meaning"))
    blanks = series.null_count()
    if blanks and old.blank is None and not old.free_text:
        entry["blank"] = "no_answer"
        items.append(Item(key, f"{blanks} empty cells, where {previous.id} had none: drafted "
                               "`blank: no_answer`; say what an empty cell means"))
    if counts_before and old.missing and blanks and (old.blank or entry.get("blank")):
        present = set(codes)
        lost = [c for c in old.missing if c not in present and counts_before.get(c)]
        if lost:
            said = ", ".join(f"{c} ({old.missing[c]}, {counts_before[c]} rows)" for c in lost)
            items.append(Item(key, f"missing code{'s' if len(lost) > 1 else ''} {said} of "
                                   f"{previous.id} occur{'' if len(lost) > 1 else 's'} in no row,"
                                   f" while {blanks} rows are blank (read as "
                                   f"{entry.get('blank')}): were those answers written as empty "
                                   "cells? correct the file or `blank:`"))
    return entry


# --- matching against the previous wave ------------------------------------------------------


def previous_wave(codebooks: Codebooks, source_id: str) -> SourceCodebook | None:
    """The latest earlier wave of the same country and survey (else the latest later one)."""
    match_ = SOURCE_ID.match(source_id)
    assert match_
    same = [s for s in codebooks.sources.values() if s.id != source_id
            and s.country == match_["country"] and s.survey == match_["survey"]]
    earlier = [s for s in same if s.wave < int(match_["wave"])]
    pool = earlier or same
    return max(pool, key=lambda s: s.wave) if pool else None


def _previous_frame(project: Project, previous: SourceCodebook) -> pl.DataFrame | None:
    """The previous wave's data as read, for its distributions; None when it cannot be read."""
    from ..read import read_source

    try:
        return read_source(project, previous).frame
    except Exception:  # noqa: BLE001 - any failure only loses the evidence of distributions
        return None


def _profiles(frame: pl.DataFrame | None, source: SourceCodebook | None,
              names: list[str], delivery: Delivery | None = None) -> list[Profile]:
    out = []
    for name in names:
        if source is not None:
            var = source.variables[name]
            series = frame[name] if frame is not None and name in frame.columns else pl.Series(
                name, [], dtype=pl.String)
            out.append(profile(name, series, labels=var.values or {}, question=var.label))
        else:
            assert frame is not None and delivery is not None
            out.append(profile(name, frame[name], labels=delivery.value_labels.get(name) or {},
                               question=delivery.questions.get(name, "")))
    return out


def _renames(delivery: Delivery, previous: SourceCodebook | None,
             before: pl.DataFrame | None) -> list[Proposal]:
    if previous is None:
        return []
    old = [n for n in previous.variables if not previous.variables[n].free_text]
    if set(old) <= set(delivery.frame.columns):
        return []
    # Every best pair, credible or not: the ones below CREDIBLE are quoted as the closest
    # candidate of a question drafted as dropped.
    return match(_profiles(before, previous, old),
                 _profiles(delivery.frame, None, list(delivery.frame.columns), delivery),
                 threshold=0.0)


# --- id and municipality ---------------------------------------------------------------------


def _id_variable(frame: pl.DataFrame, previous: SourceCodebook | None,
                 renamed: dict[str, str]) -> str:
    if previous is not None:
        name = renamed.get(previous.id_variable, previous.id_variable)
        if name in frame.columns:
            return name
    unique = [c for c in frame.columns if frame[c].null_count() == 0 and frame[c].is_unique().all()
              and not frame[c].cast(pl.String).str.contains(r"\s").any()]
    unique.sort(key=lambda c: (not ID_NAMES.search(c), c != frame.columns[0]))
    return unique[0] if unique else PLACEHOLDER


def _fits(project: Project, codebooks: Codebooks, country: str, series: pl.Series
          ) -> list[str]:
    """The municipality classifications of a country that hold every code of a column."""
    from ..reference import load_reference

    codes = series.drop_nulls().cast(pl.String).str.strip_chars().str.replace(r"\.0$", "")
    distinct = codes.unique().to_list()
    if len(distinct) < 2 or not all(c.isdigit() for c in distinct):
        return []
    found = []
    for key, ref in sorted(codebooks.package.municipality_references.items()):
        if ref.country != country:
            continue
        try:
            known = load_reference(project, ref)
        except ConfigError:
            continue
        if all(c.zfill(ref.width) in known and len(c) <= ref.width for c in distinct):
            found.append(key)
    return found


def _municipality(project: Project, codebooks: Codebooks, country: str, frame: pl.DataFrame,
                  previous: SourceCodebook | None, renamed: dict[str, str], id_variable: str,
                  items: list[Item]) -> tuple[str, str]:
    """The municipality variable and the classification its codes fit."""
    candidates = list(frame.columns)
    if previous is not None:
        name = renamed.get(previous.municipality.variable, previous.municipality.variable)
        if name in frame.columns:
            candidates.remove(name)
            candidates.insert(0, name)
    for name in candidates:
        if name == id_variable or frame[name].is_unique().all():
            continue
        fits = _fits(project, codebooks, country, frame[name])
        if not fits:
            continue
        if previous is not None and previous.municipality.reference in fits:
            return name, previous.municipality.reference
        # the latest vintage that holds every code: older ones hold codes since abolished
        vintage = max(fits, key=lambda k: codebooks.package.municipality_references[k].vintage)
        before = f"; {previous.id} used {previous.municipality.reference}" if previous else ""
        items.append(Item("municipality.reference", f"the codes of {name} fit "
                          f"{', '.join(fits)}{before}: drafted {vintage}; check the vintage"))
        return name, vintage
    items.append(Item("municipality", f"no column's codes all fit a municipality classification "
                                      f"of {country!r} in schemas/package.yaml: name the "
                                      "variable and add its classification"))
    return PLACEHOLDER, PLACEHOLDER


# --- the draft -------------------------------------------------------------------------------


def _describe(dialect: dict) -> str:
    names = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}
    return (f"{dialect['encoding']}, {names.get(dialect['delimiter'], repr(dialect['delimiter']))}"
            f"-separated, decimal {dialect['decimal']!r}, "
            f"{'CRLF' if dialect['line_terminator'] == chr(13) + chr(10) else 'LF'} lines")


def _dialect_item(delivery: Delivery, previous: SourceCodebook | None) -> list[Item]:
    if delivery.dialect is None:
        if previous is not None and previous.format != "spss":
            return [Item("format", f"an SPSS file, where {previous.id} was delimited text")]
        return []
    if previous is not None and previous.format == "csv":
        before = {**previous.dialect.model_dump()}
        changed = [k for k in ("encoding", "delimiter", "decimal", "line_terminator")
                   if before[k] != delivery.dialect[k]]
        if not changed:
            return []
        return [Item("dialect", f"the file is {_describe(delivery.dialect)}; {previous.id} was "
                                f"{_describe(before)} ({'; '.join(delivery.evidence)}): check")]
    return [Item("dialect", f"read as {_describe(delivery.dialect)} "
                            f"({'; '.join(delivery.evidence)}): check")]


def _mappings(codebooks: Codebooks, table: str, previous: SourceCodebook | None,
              variables: dict, renamed: dict[str, str], proposals: list[Proposal],
              items: list[Item], country: str) -> dict:
    out: dict = {}
    mapped = [n for n, v in codebooks.tables[table].variables.items() if v.derive is None]
    for name in mapped:
        old = previous.mappings.get(name) if previous else None
        key = f"mappings.{name}"
        if isinstance(old, Mapping):
            column = renamed.get(old.from_, old.from_)
            if column in variables:
                entry = _plain(old.model_dump(by_alias=True, exclude_none=True))
                entry["from"] = column
                out[name] = entry
                values = variables[column].get("values") or {}
                missing = variables[column].get("missing") or {}
                open_ = [c for c in values if old.recode is not None and c not in old.recode
                         and c not in missing]
                if open_:
                    items.append(Item(key, f"{column} {_codes_text(open_)} not recoded: "
                                           f"recode to a category of {name}"))
                continue
            closest = next((p for p in proposals if p.old == old.from_), None)
            near = (f" (closest: {closest.new}, score {closest.score:.2f}, below "
                    f"{CREDIBLE})") if closest else ""
            out[name] = "not_asked"
            items.append(Item(key, f"{previous.id} maps it from {old.from_}, which the file "
                                   f"lacks, and no column continues it{near}: if the question "
                                   "was dropped, write `{not_asked: <reason>}`; if it was "
                                   "renamed, map it"))
        elif old is not None:
            out[name] = _plain(old.model_dump()) if not isinstance(old, str) else old
        elif previous is not None:
            out[name] = "not_asked"
        else:
            out[name] = {"not_asked": PLACEHOLDER}
            items.append(Item(key, f"no earlier wave of {country!r}: map it from the column that "
                                   "asks it, or write the reason it was not asked"))
    return out


def _title(previous: SourceCodebook | None, source_id: str, wave: int) -> str:
    if previous is None:
        return f"{source_id} (DRAFT: write the title)"
    return f"{previous.title.replace(str(previous.wave), str(wave))} (DRAFT: check the title)"


def draft_source(project: Project, raw_file: Path, source_id: str, *,
                 force: bool = False, sheet: str | None = None, header_row: int = 1) -> Draft:
    """Write ``schemas/sources/<source_id>.yaml`` drafted from ``raw_file``. The codebooks are
    loaded without that file: with ``force``, a broken draft of it is replaced."""
    ids = SOURCE_ID.match(source_id)
    if not ids:
        raise ConfigError(f"{source_id!r} is not a source id",
                          hint="write <country>-<survey>-<wave>, e.g. no-institutions-2024")
    target = project.schemas / "sources" / f"{source_id}.yaml"
    if target.exists() and not force:
        raise ConfigError(f"{project.relative(target)} exists already",
                          hint="pass --force to replace it")
    codebooks = load_codebooks(project.schemas, without=[source_id])
    path = raw_file if raw_file.is_absolute() else (Path.cwd() / raw_file)
    if not path.resolve().is_relative_to(project.root.resolve()):
        raise ConfigError(f"{raw_file}: not inside the package folder {project.root}",
                          hint="copy the delivery into raw/<country>/ and name it from there")
    relative = project.relative(path)
    project.resolve(relative, what=source_id)  # refuses a link out of the package
    if not path.is_file():
        raise RawFileError(f"{relative}: not found")
    previous = previous_wave(codebooks, source_id)
    table = previous.table if previous else ids["survey"]
    if table not in codebooks.tables:
        raise ConfigError(f"no harmonized table {table!r} for {source_id}",
                          hint="add schemas/harmonized/<table>.yaml first")
    delivery = read_delivery(path, relative, sheet=sheet, header_row=header_row)
    frame = delivery.frame
    before = _previous_frame(project, previous) if previous else None
    candidates = _renames(delivery, previous, before)
    proposals = [p for p in candidates if p.score >= CREDIBLE]
    renamed = {p.old: p.new for p in proposals}
    items = _dialect_item(delivery, previous)
    variables: dict = {}
    continues = {new: old for old, new in renamed.items()}
    for name in frame.columns:
        old_name = name if previous and name in previous.variables else continues.get(name)
        if previous is not None and old_name is not None:
            counts = (before[old_name].drop_nulls().cast(pl.String).str.strip_chars()
                      .str.replace(r"\.0$", "").value_counts().iter_rows()
                      if before is not None and old_name in before.columns else [])
            counts_before = {_as_int(v): n for v, n in counts}
            variables[name] = _continued(name, old_name, previous.variables[old_name],
                                         frame[name], delivery, previous, items, counts_before)
            if old_name != name:
                proposal = next(p for p in proposals if p.new == name)
                items.append(Item(f"variables.{name}", f"continues {old_name} of {previous.id} "
                                  f"(score {proposal.score:.2f}: {'; '.join(proposal.evidence)}): "
                                  "its documentation and mappings are carried over; check that "
                                  "it asks the same question"))
        else:
            variables[name] = _new_variable(name, frame[name], delivery, items, previous)
    id_variable = _id_variable(frame, previous, renamed)
    if id_variable == PLACEHOLDER:
        items.append(Item("id_variable", "no column identifies the respondents (unique, never "
                                         "empty): name it"))
    else:
        variables[id_variable]["unique"] = True
    municipality, reference = _municipality(project, codebooks, ids["country"], frame, previous,
                                            renamed, id_variable, items)
    mappings = _mappings(codebooks, table, previous, variables, renamed, candidates, items,
                         ids["country"])
    interview = _interview_date(frame, variables, int(ids["wave"]), items)
    document = {
        "id": source_id, "table": table,
        "title": _title(previous, source_id, int(ids["wave"])),
        "language": previous.language if previous else PLACEHOLDER,
        "file": relative, "format": delivery.format,
        **({"sheet": delivery.sheet} if delivery.sheet else {}),
        **({"header_row": delivery.header_row} if delivery.header_row != 1 else {}),
        **({"dialect": {k: v for k, v in delivery.dialect.items()
                        if k != "quotechar" or v != '"'}} if delivery.dialect else {}),
        "fieldwork": PLACEHOLDER,
        **({"interview_date": interview[0]} if interview else {}),
        "id_variable": id_variable,
        "municipality": {"variable": municipality, "reference": reference},
        "variables": variables,
        "mappings": mappings,
    }
    items.append(Item("title", "write the title of this wave, in its language"))
    if interview:
        document["fieldwork"] = interview[1]
        items.append(Item("fieldwork", f"drafted from the interview dates of {interview[0]} "
                                       f"({interview[2]}): check it against the survey's "
                                       "documentation"))
    else:
        items.append(Item("fieldwork", "write the fieldwork period (YYYY-MM/YYYY-MM)"))
    for var_name, var in codebooks.tables[table].variables.items():
        if var.derive == "country" and ids["country"] not in [c.value for c in var.categories]:
            items.append(Item("id", f"{ids['country']!r} is not yet a category of {table}."
                                    f"{var_name}: add it in schemas/harmonized/{table}.yaml (with "
                                    "its name in every language); until then the codebooks do "
                                    "not load"))
    if previous is None:
        known = ", ".join(codebooks.package.languages)
        items.append(Item("language", f"write the language of the questions (one of the "
                                      f"package's languages: {known}; a new one is added to "
                                      "`languages:` in package.yaml)"))
    header = (f"# DRAFT source codebook made by `coprod new-source` from {relative}"
              + (f" and {previous.id}" if previous else "") + ".\n"
              "# Write what is '?' or marked DRAFT, check each item under `review:` and delete\n"
              "# it: validate and build refuse the codebook until both are done.\n")
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    review = [_located(header + body, item) for item in _ordered(items, document)]
    text = header + body + yaml.safe_dump({"review": review}, allow_unicode=True,
                                          sort_keys=False, width=100)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return Draft(target, review)


def _interview_date(frame: pl.DataFrame, variables: dict, wave: int,
                    items: list[Item]) -> tuple[str, str, str] | None:
    """The one date or datetime column whose dates lie around the wave's year, as the date of
    the interview: its name, the fieldwork it gives (YYYY-MM/YYYY-MM) and the dates' span."""
    found = []
    for name, entry in variables.items():
        if entry.get("type") not in ("date", "datetime") or name not in frame.columns:
            continue
        column = frame[name].drop_nulls()
        if column.dtype == pl.String:
            column = column.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        column = column.cast(pl.Date).drop_nulls()
        if column.len() and wave - 1 <= column.min().year and column.max().year <= wave + 1:
            found.append((name, column.min(), column.max()))
    if len(found) > 1:  # the one whose name or question says it is the interview's date
        named = [f for f in found if INTERVIEW.search(f"{f[0]} {variables[f[0]].get('label')}")]
        found = named if len(named) == 1 else found
    if len(found) != 1:
        if found:
            items.append(Item("interview_date", "several date columns could be the date of the "
                                                f"interview ({', '.join(f[0] for f in found)}): "
                                                "name it as interview_date, if one is"))
        return None
    name, first, last = found[0]
    items.append(Item("interview_date", f"{name} holds dates from {first} to {last}: drafted as "
                                        "the date of the interview; check"))
    return name, f"{first:%Y-%m}/{last:%Y-%m}", f"{first} to {last}"


def _as_int(value: str) -> object:
    try:
        return int(value)
    except ValueError:
        return value


def _ordered(items: list[Item], document: dict) -> list[Item]:
    """Items in the order of the draft's keys."""
    order = {key: i for i, key in enumerate(_keys(document))}
    return sorted(items, key=lambda item: order.get(item.key, len(order)))


def _keys(data: object, prefix: str = "") -> list[str]:
    out = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out += [path, *_keys(value, path)]
    return out


def _located(text: str, item: Item) -> str:
    line = line_of(text, tuple(_as_int(p) for p in item.key.split(".")))
    return f"line {line}, {item.key}: {item.text}" if line else f"{item.key}: {item.text}"
