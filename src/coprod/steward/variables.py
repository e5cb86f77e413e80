"""A column of a delivery drafted as a source variable: from the file alone (a new variable), or
from the previous wave's codebook checked against the file (a variable that continues one)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..codebook import PLACEHOLDER, SourceCodebook, SourceVariable
from .delivery import Delivery, code_of

DONT_KNOW = ("ved ikke", "vet ikke", "don't know", "dont know", "vet inte", "en osaa")
REFUSED = ("ønsker ikke", "vil ikke", "refused", "ikke svare", "vill inte")
NOT_APPLICABLE = ("ikke relevant", "ikke aktuelt", "not applicable", "ej aktuell")
FEW_CODES = 15  # an integer column with at most this many distinct values is coded
SENTINELS = (9, 99, 999, 9999, 99999, 8, 98, 998, 9998, -1, -2, -3, -7, -8, -9, -99, -999)


@dataclass
class Item:
    key: str  # dotted path of the draft, e.g. mappings.n_employees
    text: str


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
    return sorted({code_of(v) for v in values.unique().to_list()})


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


def codes_text(codes: list) -> str:
    return f"code {codes[0]} is" if len(codes) == 1 else \
        f"codes {', '.join(map(str, codes))} are"


def plain(value: object) -> object:
    """Model dumps as YAML-safe data: tuples become lists, integer codes stay integers."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def new_variable(name: str, series: pl.Series, delivery: Delivery, items: list[Item],
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


def continued(name: str, old_name: str, old: SourceVariable, series: pl.Series,
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
        entry = new_variable(name, series, delivery, [], previous)
        entry["label"] = old.label
        return entry
    entry = plain(old.model_dump(by_alias=True, exclude_defaults=True))
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
            items.append(Item(f"{key}.values", f"{codes_text(new)} new since "
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


