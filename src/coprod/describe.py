"""What the build says about the data, as data: the lineage of every harmonized column, the
availability matrix (variable × source) and the machine-readable codebook.

The codebook document is written to ``processed/codebook.json``; lineage also goes into the
Parquet field metadata, and the site is rendered from the same functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as MappingType

import polars as pl

from .codebook import (
    AnyOf,
    ClassesOf,
    Codebooks,
    DesignText,
    HarmonizedVariable,
    Labels,
    Mapping,
    NotAsked,
    SourceCodebook,
    is_not_asked,
    shown_path,
)
from .disclosure import tables as disclosure
from .disclosure.tables import VALUE, TablePlan, counted_columns
from .errors import ConfigError

AVAILABLE, PARTIAL, NOT_ASKED = "available", "partial", "not_asked"


def lineage(codebooks: Codebooks, table: str) -> dict[str, dict[str, dict[str, str]]]:
    """For every harmonized variable and source: the source variable, its question text and the
    rule applied, in words. Written into the Parquet field metadata and onto the site."""
    spec = codebooks.tables[table]
    out: dict[str, dict[str, dict[str, str]]] = {}
    for name, var in spec.variables.items():
        per_source = {}
        for source in sorted(codebooks.sources_for(table), key=lambda s: s.id):
            per_source[source.id] = _rule(name, var, source)
        out[name] = per_source
    return out


def _rule(name: str, var: HarmonizedVariable, source: SourceCodebook) -> dict[str, str]:
    if isinstance(var.derive, AnyOf):
        parts = ", ".join(var.derive.any_of)
        counts = "".join(f"; {value} counts as {as_}" for value, as_ in var.derive.counts.items())
        return {"variable": "", "question": "", "rule": f"yes if any of {parts} is yes; no if all "
                f"are no; otherwise the first missing reason{counts}"}
    if isinstance(var.derive, ClassesOf):
        bounds = ", ".join(f"{c.value} up to {b:g}" for c, b in
                           zip(var.categories, var.derive.upper_bounds, strict=False))
        return {"variable": "", "question": "", "rule": f"classes of {var.derive.classes_of}: "
                f"{bounds}, {var.categories[-1].value} above; missing keeps its reason"}
    if var.derive is not None:
        municipality = source.municipality.variable
        ref = source.municipality.reference
        origin = source.id_variable if var.derive == "respondent_id" else (
            municipality if var.derive.startswith(("municipality_code", "municipality_name",
                                                   "municipality_split", "region"))
            else "")
        question = source.variables[origin].label if origin else ""
        chain = f"{municipality} ({ref}) carried to the reference vintage through the crosswalks"
        rules = {
            "respondent_id": f"'{source.id}-' followed by {origin}",
            "country": f"constant {source.country!r}",
            "wave": f"constant {source.wave}",
            "source": f"constant {source.id!r}",
            "municipality_code": f"{municipality} as a string of "
                                 f"{source.municipality.reference} width, leading zeros kept",
            "municipality_vintage": f"the vintage of {source.municipality.reference}",
            "municipality_name": f"name of {municipality} in {source.municipality.reference}",
            "municipality_code_reference": f"{chain}; empty where split",
            "municipality_name_reference": f"name of the code {chain}",
            "region_reference": f"region of the code {chain}; also for a split municipality "
                                "whose successors share one region",
            "municipality_split": f"yes where {chain} gives more than one successor",
            "municipality_split_into": f"the successors, where {chain} gives more than one",
        }
        return {"variable": origin, "question": question, "rule": rules[var.derive]}
    mapping = source.mappings[name]
    if is_not_asked(mapping):
        reason = mapping.not_asked if isinstance(mapping, NotAsked) else "not_asked"
        return {"variable": "", "question": "", "rule": f"not asked in this source: {reason}"}
    assert isinstance(mapping, Mapping)
    src = source.variables[mapping.from_]
    steps = []
    if mapping.recode is not None:
        steps.append("recode " + ", ".join(f"{k}→{v}" for k, v in mapping.recode.items()))
    else:
        steps.append("copy")
    if src.missing:
        steps.append("missing " + ", ".join(f"{k}→{v}" for k, v in src.missing.items()))
    if src.blank:
        steps.append(f"blank→{src.blank}")
    rule = "; ".join(steps)
    if mapping.note:
        rule += f" ({mapping.note})"
    return {"variable": mapping.from_, "question": src.label, "rule": rule}


def availability(codebooks: Codebooks, table: str,
                 frame: pl.DataFrame) -> dict[str, dict[str, str]]:
    """variable → source → available | partial | not_asked.

    not_asked: the source did not ask the question (every row is not_asked); partial: asked, but
    a comparability note of severity major says it does not compare fully; available otherwise.
    """
    return availability_of(codebooks, table, disclosure.column_counts(codebooks, table, frame),
                           frame["source"].unique().to_list())


def availability_of(codebooks: Codebooks, table: str,
                    columns: MappingType[tuple[str, str], dict[str, int]],
                    sources: Iterable[str]) -> dict[str, dict[str, str]]:
    """:func:`availability` from the table's column counts
    (:func:`coprod.disclosure.tables.column_counts`) and the sources it has rows of."""
    spec = codebooks.tables[table]
    major = {(v, s) for note in spec.comparability if note.severity == "major"
             for v in note.variables for s in note.sources}
    counted = counted_columns(spec)
    out: dict[str, dict[str, str]] = {name: {} for name in spec.variables}
    for source_id in sorted(sources):
        for name in spec.variables:
            # A numeric variable's reason column counts its values as <value>: a source whose
            # every value is there asked the question.
            asked = name not in counted or any(
                n for category, n in columns[name, source_id].items() if category != NOT_ASKED)
            out[name][source_id] = (NOT_ASKED if not asked else
                                    PARTIAL if (name, source_id) in major else AVAILABLE)
    return out


def frequencies(name: str, columns: MappingType[tuple[str, str], dict[str, int]],
                plan: TablePlan | None = None) -> dict[str, dict[str, dict]]:
    """variable → source → category (``<value>`` for a value) → rows, for the categories a
    source has rows of, ``<value>`` first and then in sorted order, from table ``name``'s
    column counts (coprod.disclosure.tables.column_counts: those the pages and the disclosure
    plan use). A count the plan suppresses (the site's too) is null."""
    out: dict[str, dict[str, dict]] = {}
    for (variable, source), counts in columns.items():
        hidden = plan.column(name, variable, source) if plan else set()
        used = sorted((c for c, n in counts.items() if n), key=lambda c: (c != VALUE, c))
        out.setdefault(variable, {})[source] = {c: None if c in hidden else counts[c]
                                                for c in used}
    return out


def design_text(text: DesignText | None, source: SourceCodebook) -> dict[str, str]:
    """A text of a source's design by language: plain text is in the source's language."""
    if text is None:
        return {}
    if isinstance(text, str):
        return {source.language: text}
    return {lang: value for lang, value in text.root.items() if value}


def rows_per_source(tables: MappingType[str, pl.DataFrame]) -> dict[str, int]:
    return {source_id: n for frame in tables.values()
            for source_id, n in frame.group_by("source").len().iter_rows()}


def source_design(codebooks: Codebooks, tables: MappingType[str, pl.DataFrame]
                  ) -> dict[str, dict]:
    """Per source: its design as its codebook states it (population, sampling frame, sample
    design, texts by language; the gross sample issued; a declared response rate), the
    number of its responses (N: its rows in the published table) and, where the gross sample
    is given, the response rate N / issued in percent. A gross sample smaller than N is a
    codebook error, naming the file and the field."""
    return design_of(codebooks, rows_per_source(tables))


def design_of(codebooks: Codebooks, rows: MappingType[str, int]) -> dict[str, dict]:
    """:func:`source_design` from the rows of each source."""
    out = {}
    for source_id, source in sorted(codebooks.sources.items()):
        design = source.design
        n = rows.get(source_id, 0)
        entry: dict = {"n": n}
        if design is not None:
            for key in ("population", "sampling_frame", "sample"):
                if text := design_text(getattr(design, key), source):
                    entry[key] = text
            if design.issued is not None:
                if design.issued < n:
                    path = codebooks.files.get(source_id)
                    raise ConfigError(
                        f"{shown_path(path) if path else source_id}: design.issued: "
                        f"{design.issued} units issued, fewer than the {n} responses of this "
                        "source in the data",
                        hint="give the gross sample: every unit invited to answer, "
                             "responding or not")
                entry["issued"] = design.issued
                entry["response_rate"] = round(100 * n / design.issued, 1)
            if design.response_rate is not None:
                entry["response_rate_declared"] = design.response_rate
        out[source_id] = entry
    return out


def _labels(labels: Labels, languages: list[str]) -> dict[str, str]:
    return {lang: labels.get(lang) for lang in languages}


def _source_entry(source: SourceCodebook, observed: str | None) -> dict:
    return {"table": source.table, "country": source.country, "wave": source.wave,
            "title": source.title, "language": source.language, "file": source.file,
            "format": source.format, "fieldwork": source.fieldwork,
            **({"fieldwork_observed": observed} if observed else {}),
            "municipality_reference": source.municipality.reference}


def _variable_entry(name: str, var: HarmonizedVariable, counts: MappingType,
                    lineages: MappingType, available: MappingType, notes: list,
                    languages: list[str]) -> dict:
    entry: dict = {"name": name, "type": var.type, "group": var.group,
                   "label": _labels(var.label, languages)}
    if var.description:
        entry["description"] = _labels(var.description, languages)
    if var.universe:
        entry["universe"] = _labels(var.universe, languages)
    if var.categories:
        entry["categories"] = [{"value": c.value, "code": c.code,
                                "label": _labels(c.label, languages)} for c in var.categories]
    if name in counts:
        entry["frequencies"] = counts[name]
    entry["lineage"] = lineages[name]
    entry["availability"] = available[name]
    entry["comparability"] = [{"sources": n.sources, "severity": n.severity,
                               "note": _labels(n.note, languages)}
                              for n in notes if name in n.variables]
    return entry


def codebook_document(codebooks: Codebooks, tables: MappingType[str, pl.DataFrame],
                      fieldwork: MappingType[str, str] | None = None, *,
                      suppress: bool = True,
                      plans: MappingType[str, TablePlan] | None = None) -> dict:
    """The machine-readable codebook of the harmonized tables, with lineage and availability;
    ``plans``: the tables' disclosure plans, when already made from these tables."""
    return codebook_of(codebooks, {name: disclosure.table_counts(codebooks, name, frame)
                                   for name, frame in tables.items()}, fieldwork,
                       suppress=suppress, plans=plans)


def codebook_of(codebooks: Codebooks, counts: MappingType[str, disclosure.TableCounts],
                fieldwork: MappingType[str, str] | None = None, *,
                suppress: bool = True,
                plans: MappingType[str, TablePlan] | None = None) -> dict:
    """:func:`codebook_document` from each table's counts: all of it is sums over the rows,
    so that the rows can be counted batch by batch."""
    package = codebooks.package
    languages = package.languages
    document: dict = {
        "package": package.name, "version": package.version,
        "synthetic_notice": package.synthetic_notice,
        "missing": [{"value": m.value, "code": m.code, "label": _labels(m.label, languages)}
                    for m in package.missing],
        "sources": {s.id: _source_entry(s, (fieldwork or {}).get(s.id))
                    for s in sorted(codebooks.sources.values(), key=lambda s: s.id)},
        "tables": {},
    }
    rows = {source_id: n for table in counts.values() for source_id, n in table.rows.items()}
    for source_id, n in rows.items():
        document["sources"][source_id]["rows"] = n
    for source_id, design in design_of(codebooks, rows).items():
        facts = {k: v for k, v in design.items() if k != "n"}
        if facts and source_id in document["sources"]:
            document["sources"][source_id]["design"] = facts
    for name, table in counts.items():
        spec = codebooks.tables[name]
        lineages = lineage(codebooks, name)
        available = availability_of(codebooks, name, table.columns, table.rows)
        plan = None if not suppress else plans[name] if plans is not None else \
            disclosure.plan_of(codebooks, name, table)
        found = frequencies(name, table.columns, plan)
        document["tables"][name] = {
            "title": _labels(spec.title, languages),
            "description": _labels(spec.description, languages),
            "universe": _labels(spec.universe, languages), "rows": sum(table.rows.values()),
            "variables": {v: _variable_entry(v, var, found, lineages, available,
                                             spec.comparability, languages)
                          for v, var in spec.variables.items()},
        }
    return document
