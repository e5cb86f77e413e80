"""Draft a source codebook for a new raw file (``coprod new-source``).

The draft is read off the file itself (SPSS variable and value labels and user-missing codes;
for delimited text the header and the distinct values) and off the previous wave's codebook of
the same country and survey: variables found under the same name keep their documentation, and
each mapping is carried over where its source variable is still there. Everything drafted is
listed under ``review:``; ``coprod build`` refuses a codebook whose review list is not empty, so
nothing a machine guessed is published before a person has looked at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

from .codebook import SOURCE_ID, Codebooks, Mapping, SourceCodebook
from .errors import ConfigError, RawFileError
from .project import Project
from .reference import load_reference

DONT_KNOW = ("ved ikke", "vet ikke", "don't know", "dont know")
REFUSED = ("ønsker ikke", "vil ikke", "refused", "ikke svare")
FEW_CODES = 15  # an integer column with at most this many distinct values is coded


@dataclass(frozen=True)
class Draft:
    path: Path
    review: list[str]


def previous_wave(codebooks: Codebooks, source_id: str) -> SourceCodebook | None:
    """The latest earlier wave of the same country and survey (else the latest of any wave)."""
    match = SOURCE_ID.match(source_id)
    assert match
    same = [s for s in codebooks.sources.values()
            if s.country == match["country"] and s.survey == match["survey"]]
    earlier = [s for s in same if s.wave < int(match["wave"])]
    pool = earlier or same
    return max(pool, key=lambda s: s.wave) if pool else None


def _read(path: Path, previous: SourceCodebook | None) -> tuple[pl.DataFrame, dict, str, dict]:
    """The file as a frame, its SPSS metadata (or {}), its format and its dialect."""
    if path.suffix.lower() == ".sav":
        import pyreadstat

        try:
            frame, meta = pyreadstat.read_sav(str(path), user_missing=True,
                                              output_format="polars")
        except Exception as exc:  # pyreadstat's own error types
            raise RawFileError(f"{path.name}: not a readable SPSS file ({exc})") from None
        frame = frame.with_columns(pl.col(c).fill_nan(None)
                                   for c, t in frame.schema.items() if t.is_float())
        return frame, {"labels": meta.column_names_to_labels,
                       "values": meta.variable_value_labels,
                       "missing": meta.missing_ranges}, "spss", {}
    data = path.read_bytes()
    dialect = dict(previous.dialect.model_dump()) if previous and previous.format == "csv" else {}
    encodings = [dialect.get("encoding", "utf-8"), "utf-8", "cp1252"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        dialect["encoding"] = encoding
        break
    else:
        raise RawFileError(f"{path.name}: neither UTF-8 nor cp1252")
    first = text.split("\n", 1)[0]
    dialect.setdefault("delimiter", max((";", ",", "\t", "|"), key=first.count))
    dialect["line_terminator"] = "\r\n" if "\r\n" in text[:10000] else "\n"
    frame = pl.read_csv(text.encode(), separator=dialect["delimiter"], infer_schema=False)
    numbers = frame.select(pl.all().str.contains(r"^-?\d+,\d+$").any())
    if "decimal" not in dialect:
        dialect["decimal"] = "," if any(numbers.row(0)) else "."
    return frame, {}, "csv", dialect


def _infer(series: pl.Series, decimal: str) -> str:
    values = series.drop_nulls()
    if values.dtype.is_numeric():
        return "integer" if (values == values.floor()).all() else "number"
    text = values.str.strip_chars()
    if text.str.contains(r"^-?\d+$").all():
        return "integer"
    point = r"^-?\d+,\d+$|^-?\d+$" if decimal == "," else r"^-?\d+(\.\d+)?$"
    if text.str.contains(point).all():
        return "number"
    return "string"


def _missing_reason(label: str) -> str:
    low = label.lower()
    if any(k in low for k in DONT_KNOW):
        return "dont_know"
    if any(k in low for k in REFUSED):
        return "refused"
    return "no_answer"


def _plain(value: object) -> object:
    """Model dumps as YAML-safe data: tuples become lists, integer codes stay integers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _as_code(value: object) -> int | str:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value  # type: ignore[return-value]


def _variable(name: str, series: pl.Series, meta: dict, previous: SourceCodebook | None,
              dialect: dict, review: list[str]) -> dict:
    kind = _infer(series, dialect.get("decimal", "."))
    codes = sorted({_as_code(v) for v in series.drop_nulls().unique().to_list()}, key=str)
    if kind == "integer" and series.dtype == pl.String:
        codes = sorted({int(v) for v in series.drop_nulls().str.strip_chars().to_list()})
    old = previous.variables.get(name) if previous else None
    # Text holds anything, and whole numbers are numbers: the old type still fits the data.
    if old is not None and (old.type == kind or old.type == "string"
                            or (old.type, kind) == ("number", "integer")):
        entry = _plain(old.model_dump(exclude_defaults=True))
        if old.values is not None:
            new = [c for c in codes if c not in old.values]
            if new:
                entry["values"] = {**old.values, **{c: "?" for c in new}}
                review.append(f"variables.{name}: codes {new} are new since "
                              f"{previous.id}: label them, and map them under mappings")
        if series.null_count() and old.blank is None and not old.free_text:
            entry["blank"] = "no_answer"
            review.append(f"variables.{name}: has empty cells: say what they mean (blank)")
        return entry
    entry: dict = {"type": kind, "label": (meta.get("labels") or {}).get(name) or "?"}
    labels = (meta.get("values") or {}).get(name)
    missing_ranges = (meta.get("missing") or {}).get(name) or []
    if labels:
        entry["values"] = {_as_code(k): v for k, v in sorted(labels.items())}
        for code in codes:
            entry["values"].setdefault(code, "?")
        missing = {}
        for rng in missing_ranges:
            code = _as_code(rng["lo"])
            missing[code] = _missing_reason(str(entry["values"].get(code, "")))
        if missing:
            entry["missing"] = missing
    elif kind == "integer" and len(codes) <= FEW_CODES:
        entry["values"] = {c: "?" for c in codes}
    if kind == "string" and series.drop_nulls().str.contains(" ").any():
        entry["free_text"] = True
    if series.null_count() and not entry.get("free_text"):
        entry["blank"] = "no_answer"
    review.append(f"variables.{name}: new variable: check its type, question text, codes and "
                  "missing values")
    return entry


def _mappings(previous: SourceCodebook | None, table_vars: list[str], variables: dict,
              frame_columns: list[str], review: list[str]) -> dict:
    out: dict = {}
    for name in table_vars:
        old = previous.mappings.get(name) if previous else None
        if isinstance(old, Mapping) and old.from_ in frame_columns:
            entry = _plain(old.model_dump(by_alias=True, exclude_none=True))
            values = variables[old.from_].get("values") or {}
            unmapped = [c for c, label in values.items() if label == "?"]
            if old.recode is not None and unmapped:
                out[name] = "not_asked"
                review.append(f"mappings.{name}: {old.from_} has new codes {unmapped}: recode "
                              f"them (as in {previous.id}) instead of not_asked")
                continue
            out[name] = entry
            review.append(f"mappings.{name}: copied from {previous.id}: check that "
                          f"{old.from_} still asks the same question")
        else:
            out[name] = "not_asked"
            why = (f"{previous.id} maps it from {old.from_}, which this file lacks (renamed?)"
                   if isinstance(old, Mapping) else "no earlier wave asked it")
            review.append(f"mappings.{name}: drafted as not_asked: {why}; map it or confirm")
    return out


def _reference(project: Project, codebooks: Codebooks, country: str, codes: list[str],
               previous: SourceCodebook | None) -> str | None:
    """The municipality classification that holds every code, preferring the previous wave's."""
    refs = [k for k, r in codebooks.package.municipality_references.items()
            if r.country == country]
    if previous:
        refs.sort(key=lambda k: k != previous.municipality.reference)
    for key in refs:
        ref = codebooks.package.municipality_references[key]
        known = load_reference(project, ref)
        if all(str(c).zfill(ref.width) in known for c in codes):
            return key
    return None


def draft_source(project: Project, codebooks: Codebooks, raw_file: Path, source_id: str,
                 *, force: bool = False) -> Draft:
    if not SOURCE_ID.match(source_id):
        raise ConfigError(f"{source_id!r} is not a source id",
                          hint="write <country>-<survey>-<wave>, e.g. no-institutions-2024")
    target = project.schemas / "sources" / f"{source_id}.yaml"
    if target.exists() and not force:
        raise ConfigError(f"{project.relative(target)} exists already",
                          hint="pass --force to overwrite it")
    path = raw_file if raw_file.is_absolute() else (Path.cwd() / raw_file)
    relative = project.relative(path)
    project.resolve(relative, what=source_id)  # refuses a file outside the package
    if not path.is_file():
        raise RawFileError(f"{relative}: not found")
    previous = previous_wave(codebooks, source_id)
    frame, meta, fmt, dialect = _read(path, previous)
    review: list[str] = []
    variables = {name: _variable(name, frame[name], meta, previous, dialect, review)
                 for name in frame.columns}
    match = SOURCE_ID.match(source_id)
    assert match
    table = previous.table if previous else match["survey"]
    if table not in codebooks.tables:
        raise ConfigError(f"no harmonized table {table!r} for {source_id}",
                          hint="add schemas/harmonized/<table>.yaml first")
    mapped = [n for n, v in codebooks.tables[table].variables.items() if v.derive is None]
    id_variable = previous.id_variable if previous and previous.id_variable in variables \
        else frame.columns[0]
    variables[id_variable]["unique"] = True
    municipality = previous.municipality.variable if previous and \
        previous.municipality.variable in variables else None
    if municipality is None:
        review.append("municipality: no municipality variable found: name it")
        municipality = frame.columns[1]
    codes = frame[municipality].drop_nulls().unique().to_list()
    reference = _reference(project, codebooks, match["country"], codes, previous)
    if reference is None:
        review.append(f"municipality: the codes of {municipality} fit no classification in "
                      "schemas/package.yaml")
        reference = previous.municipality.reference if previous else "?"
    elif previous is None or reference != previous.municipality.reference:
        review.append(f"municipality: codes fit {reference}: check the vintage")
    document = {
        "id": source_id, "table": table,
        "title": f"{previous.title if previous else source_id} (DRAFT: write the title)",
        "language": previous.language if previous else "en",
        "file": relative, "format": fmt,
        **({"dialect": dialect} if fmt == "csv" else {}),
        "fieldwork": "?",
        "id_variable": id_variable,
        "municipality": {"variable": municipality, "reference": reference},
        "variables": variables,
        "mappings": _mappings(previous, mapped, variables, frame.columns, review),
        "review": review,
    }
    header = (f"# DRAFT source codebook made by `coprod new-source` from {relative}"
              + (f" and {previous.id}" if previous else "") + ".\n"
              "# Check every item under `review:` and delete it; `coprod build` refuses this\n"
              "# codebook until the list is empty. `coprod validate` works on it as it is.\n")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False,
                                              width=100), encoding="utf-8")
    return Draft(target, review)
