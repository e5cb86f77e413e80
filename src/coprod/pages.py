"""What each page of the site shows, computed from the harmonized tables and the codebooks:
variable pages, summary tables with their charts, and the search index. Pure functions;
:mod:`coprod.render` puts the results through the templates.
"""

from __future__ import annotations

import polars as pl

from .charts import Bar, bars, stacked
from .codebook import Codebooks, HarmonizedTable, HarmonizedVariable, Summary
from .describe import availability, lineage
from .harmonize import enum_of, missing_enum
from .review import unreviewed
from .summary import (
    frequencies,
    numeric_summary,
    weighted_distribution,
    weighted_share,
)


def country_names(codebooks: Codebooks) -> dict[str, str]:
    """Country code -> English name, from the categories of the harmonized codebooks' country
    variables (``derive: country``)."""
    return {c.value: c.label.get() for table in codebooks.tables.values()
            for var in table.variables.values() if var.derive == "country"
            for c in var.categories}


def with_categories(frame: pl.DataFrame, table: HarmonizedTable, codebooks: Codebooks
                    ) -> pl.DataFrame:
    """Categorical columns read back from Parquet, as Enums in codebook order again."""
    casts = []
    for name, var in table.variables.items():
        if var.type == "categorical":
            casts.append(pl.col(name).cast(pl.String).cast(enum_of(var, codebooks.package)))
        if var.missing_column:
            casts.append(pl.col(f"{name}_missing").cast(pl.String)
                         .cast(missing_enum(codebooks.package)))
    return frame.with_columns(casts)


def source_label(codebooks: Codebooks, source_id: str) -> str:
    source = codebooks.sources[source_id]
    return f"{country_names(codebooks).get(source.country, source.country)} {source.wave}"


# --- variable pages ------------------------------------------------------------------------


def _category_rows(var: HarmonizedVariable, frame: pl.DataFrame, name: str,
                   sources: list[str], codebooks: Codebooks) -> list[dict]:
    counts = frequencies(frame, name)
    totals = {s: sum(counts.get(s, {}).values()) for s in sources}
    rows = []
    entries = [(c, False) for c in var.categories] + [(m, True) for m in codebooks.package.missing]
    for category, is_missing in entries:
        cells = []
        for s in sources:
            n = counts.get(s, {}).get(category.value, 0)
            cells.append({"n": n, "percent": 100 * n / totals[s] if totals[s] else None})
        if is_missing and not any(c["n"] for c in cells):
            continue  # a missing reason no source uses is noise on the page
        rows.append({"category": category, "missing": is_missing, "cells": cells})
    _suppress_small_counts(rows, len(sources), codebooks.package.min_cell_size)
    return rows


def _suppress_small_counts(rows: list[dict], columns: int, min_n: int) -> None:
    """Counts from 1 to min_n - 1 are not shown; where one alone is hidden in a source's
    column, the next smallest is hidden too, so that it cannot be derived from the total."""
    for i in range(columns):
        cells = [row["cells"][i] for row in rows]
        for cell in cells:
            cell["suppressed"] = "primary" if 0 < cell["n"] < min_n else None
        hidden = [c for c in cells if c["suppressed"]]
        shown = [c for c in cells if not c["suppressed"] and c["n"] > 0]
        if len(hidden) == 1 and shown:
            min(shown, key=lambda c: c["n"])["suppressed"] = "secondary"

def _category_chart(name: str, var: HarmonizedVariable, rows: list[dict], sources: list[str],
                    codebooks: Codebooks):  # noqa: ANN202 - Markup
    """Percent of each category among valid answers, a bar per source."""
    valid = [r for r in rows if not r["missing"]]
    totals = [sum(r["cells"][i]["n"] for r in valid) for i in range(len(sources))]
    chart_bars = []
    for row in valid:
        for i, cell in enumerate(row["cells"]):
            if totals[i]:
                share = None if cell["suppressed"] else 100 * cell["n"] / totals[i]
                chart_bars.append(Bar(row["category"].label.get(), share, series=i))
    legend = [source_label(codebooks, s) for s in sources]
    return bars(chart_bars, title=f"{var.label.get()}: distribution by source",
                description="Unweighted percentage of each category among the valid answers "
                            "(missing values left out), one bar per country and wave: "
                            + "; ".join(f"{b.label} {legend[b.series]} " + (
                                "suppressed" if b.percent is None else f"{b.percent:.1f} %")
                                        for b in chart_bars), legend=legend, salt=name)


def _missing_rows(name: str, frame: pl.DataFrame, sources: list[str],
                  codebooks: Codebooks) -> list[dict]:
    counts = frequencies(frame, f"{name}_missing")
    rows = []
    for m in codebooks.package.missing:
        cells = [counts.get(s, {}).get(m.value, 0) for s in sources]
        if any(cells):
            rows.append({"category": m, "cells": cells})
    return rows


def variable_pages(codebooks: Codebooks, table: HarmonizedTable, frame: pl.DataFrame
                   ) -> list[dict]:
    sources = sorted(frame["source"].unique().to_list())
    lineages = lineage(codebooks, table.table)
    available = availability(codebooks, table.table, frame)
    pages = []
    for name, var in table.variables.items():
        notes = [{"severity": n.severity, "note": n.note, "sources": n.sources,
                  "unreviewed": [s for s in sorted(codebooks.sources) if s in sources
                                 and unreviewed(n, codebooks, codebooks.sources[s])]}
                 for n in table.comparability if name in n.variables]
        page = {
            "name": name, "var": var, "table": table, "sources": sources, "notes": notes,
            "lineage": lineages[name], "availability": available[name],
            "questions": {s: codebooks.sources[s] for s in sources},
            "categories": [], "numeric": {}, "missing": [], "chart": "",
        }
        if var.type == "categorical":
            page["categories"] = _category_rows(var, frame, name, sources, codebooks)
            page["chart"] = _category_chart(name, var, page["categories"], sources, codebooks)
        elif var.type in ("integer", "number") and name != "wave":
            page["numeric"] = numeric_summary(frame, name)
            if var.missing_column:
                page["missing"] = _missing_rows(name, frame, sources, codebooks)
        pages.append(page)
    return pages


# --- summary tables ------------------------------------------------------------------------------


def _group_labels(table: HarmonizedTable, by: list[str], group: tuple[str, ...]) -> list[str]:
    labels = []
    for variable, value in zip(by, group, strict=True):
        names = {c.value: c.label.get() for c in table.variables[variable].categories}
        labels.append(names.get(value, value))
    return labels


def _share_summary(index: int, table: HarmonizedTable, spec: Summary, frame: pl.DataFrame,
                   min_n: int) -> dict:
    answers = tuple(c.value for c in table.variables[spec.outcome].categories)
    cells = weighted_share(frame, spec.outcome, spec.by, min_n=min_n, positive=spec.positive,
                           answers=answers)
    rows = [(_group_labels(table, spec.by, c.group), c) for c in cells]
    chart = bars([Bar(" · ".join(labels), c.percent, c.low, c.high) for labels, c in rows],
                 title=spec.title.get(),
                 description="Weighted percentage with its 95 % confidence interval: " + "; ".join(
                     f"{' '.join(labels)} "
                     + ("suppressed" if c.suppressed else f"{c.percent:.1f} %")
                     for labels, c in rows), salt=f"s{index}")
    return {"kind": "share", "rows": rows, "chart": chart}


def _distribution_summary(index: int, table: HarmonizedTable, spec: Summary,
                          frame: pl.DataFrame, min_n: int) -> dict:
    var = table.variables[spec.outcome]
    categories = [c.value for c in var.categories]
    result = weighted_distribution(frame, spec.outcome, spec.by, categories, min_n=min_n)
    rows = [(_group_labels(table, spec.by, r.group), r) for r in result]
    names = [c.label.get() for c in var.categories]
    chart = stacked([(" · ".join(labels), [c.percent for c in r.cells]) for labels, r in rows],
                    names, title=spec.title.get(),
                    description="Weighted percentage of each answer, in the order "
                                + ", ".join(names) + ": " + "; ".join(
                                    f"{' '.join(labels)} " + ", ".join(
                                        "suppressed" if c.percent is None else f"{c.percent:.1f} %"
                                        for c in r.cells) for labels, r in rows),
                    salt=f"s{index}")
    return {"kind": "distribution", "rows": rows, "chart": chart, "categories": var.categories}


def summaries(codebooks: Codebooks, tables: dict[str, pl.DataFrame]) -> list[dict]:
    min_n = codebooks.package.min_cell_size
    missing = [m.value for m in codebooks.package.missing]
    out = []
    for name, frame in tables.items():
        table = codebooks.tables[name]
        for spec in table.summaries:
            # Respondents whose grouping answer is missing are left out, like missing outcomes.
            answered = frame.filter(~pl.any_horizontal(
                pl.col(b).cast(pl.String).is_in(missing) for b in spec.by))
            build = _distribution_summary if spec.kind == "distribution" else _share_summary
            out.append({"table": name, "spec": spec,
                        **build(len(out), table, spec, answered, min_n)})
    return out


# --- search --------------------------------------------------------------------------------------


def search_index(codebooks: Codebooks, tables: dict[str, pl.DataFrame]) -> list[dict]:
    """One entry per variable: its names, labels and question texts in every language, for the
    offline search page."""
    entries = []
    for name in tables:
        table = codebooks.tables[name]
        rules = lineage(codebooks, name)
        for var_name, var in table.variables.items():
            questions = sorted({r["question"] for r in rules[var_name].values() if r["question"]})
            sources = sorted({r["variable"] for r in rules[var_name].values() if r["variable"]})
            languages = codebooks.package.languages
            categories = [c.label.get(lang) for c in var.categories for lang in languages]
            entries.append({
                "url": f"variables/{name}/{var_name}.html",
                "name": var_name,
                "table": name,
                "label": var.label.get(),
                "text": " ".join([var_name, *(var.label.get(lang) for lang in languages),
                                  *questions, *sources, *categories]),
            })
    return entries
