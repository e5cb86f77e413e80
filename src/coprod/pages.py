"""What each page of the site shows, computed from the harmonized tables and the codebooks:
variable pages, summary tables with their charts, and the search index. Pure functions;
:mod:`coprod.render` puts the results through the templates.
"""

from __future__ import annotations

import polars as pl

from .charts import Bar, Row, Shades, bars, stacked
from .codebook import Codebooks, HarmonizedTable, HarmonizedVariable, Mapping, Summary
from .describe import availability, lineage
from .disclosure.tables import VALUE, TablePlan, column_counts
from .harmonize import enum_of, missing_enum
from .review import unreviewed
from .summary import (
    DistributionRow,
    ShareCell,
    numeric_summary,
    summary_base,
    weighted_distribution,
    weighted_share,
)

Counts = dict[tuple[str, str], dict[str, int]]  # (variable, source) → category → rows


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


def shades(codebooks: Codebooks) -> Shades:
    """The colour of each country and wave on every chart of the site: a hue per country in
    the codebook's order, a shade per wave of any table."""
    waves: dict[str, set[str]] = {}
    for source in codebooks.sources.values():
        waves.setdefault(source.country, set()).add(str(source.wave))
    named = [c for c in country_names(codebooks) if c in waves]
    countries = named + sorted(c for c in waves if c not in named)
    return Shades(tuple(countries), {c: sorted(w) for c, w in waves.items()})


def source_label(codebooks: Codebooks, source_id: str) -> str:
    source = codebooks.sources[source_id]
    return f"{country_names(codebooks).get(source.country, source.country)} {source.wave}"


# --- variable pages ------------------------------------------------------------------------


def offered(codebooks: Codebooks, table: HarmonizedTable, name: str,
            source_id: str) -> set[str] | None:
    """The answer categories a source offered for a variable (None: all of them): a category
    no code of the source is recoded to was not an answer in that questionnaire, so its 0 is
    structural, not measured."""
    source = codebooks.sources[source_id]
    mapping = source.mappings.get(name)
    if isinstance(mapping, Mapping) and mapping.recode is not None:
        return set(mapping.recode.values())
    return None


def _category_rows(var: HarmonizedVariable, columns: Counts, name: str,
                   sources: list[str], codebooks: Codebooks, table: HarmonizedTable,
                   plan: TablePlan) -> list[dict]:
    """A row per category (and missing reason in use): per source its count, and its
    percentage among the valid answers, the base of the chart too. The counts the plan
    suppresses are not shown, and in a source with a suppressed count no percentage is shown:
    with the published total it would narrow the suppressed counts down."""
    counts = {s: columns[name, s] for s in sources}
    missing = {m.value for m in codebooks.package.missing}
    hidden = {s: plan.column(table.table, name, s) for s in sources}
    valid = {s: sum(n for c, n in counts.get(s, {}).items() if c not in missing)
             for s in sources}
    rows = []
    entries = [(c, False) for c in var.categories] + [(m, True) for m in codebooks.package.missing]
    for category, is_missing in entries:
        cells = []
        for s in sources:
            n = counts.get(s, {}).get(category.value, 0)
            answers = offered(codebooks, table, name, s)
            not_offered = not is_missing and answers is not None and category.value not in answers
            shown = not hidden[s] and not is_missing and valid[s] and not not_offered
            cells.append({"n": n, "suppressed": category.value in hidden[s],
                          "not_offered": not_offered, "withheld": bool(hidden[s]),
                          "percent": 100 * n / valid[s] if shown else None})
        if is_missing and not any(c["n"] for c in cells):
            continue  # a missing reason no source uses is noise on the page
        rows.append({"category": category, "missing": is_missing, "cells": cells})
    return rows


def _category_chart(name: str, var: HarmonizedVariable, rows: list[dict], sources: list[str],
                    codebooks: Codebooks):  # noqa: ANN202 - Markup
    """The table's percentages among valid answers: under each answer, a bar per country and
    wave. A source with no percentage at all (withheld for a suppressed count, or no valid
    answer) has no row, and the caption says why; an answer a source did not offer is said to
    be not offered."""
    answers = [row for row in rows if not row["missing"]]
    charted = [i for i in range(len(sources))
               if any(row["cells"][i]["percent"] is not None for row in answers)]
    chart_bars = []
    for row in answers:
        for i in charted:
            cell, source = row["cells"][i], codebooks.sources[sources[i]]
            chart_bars.append(Bar(source_label(codebooks, sources[i]), cell["percent"],
                                  group=row["category"].label.get(), country=source.country,
                                  wave=source.wave,
                                  note="not offered" if cell["not_offered"] else None))
    left_out = []
    for i, source in enumerate(sources):
        if i not in charted:
            withheld = any(row["cells"][i]["withheld"] for row in answers)
            left_out.append(f"{source_label(codebooks, source)} ("
                            + ("percentages withheld: a count is suppressed" if withheld
                               else "no valid answers") + ")")
    caption = ("Base: the valid answers (missing answers left out), unweighted. The percentage "
               "of each answer per country and wave, as in the table below.")
    if left_out:
        caption += " Not shown: " + "; ".join(left_out) + "."
    return bars(chart_bars, title=f"{var.label.get()}: distribution by source",
                description="Unweighted percentage of each category among the valid answers "
                            "(missing values left out), one bar per country and wave: "
                            + "; ".join(f"{b.group} {b.label} "
                                        + (b.note or "suppressed" if b.percent is None
                                           else f"{b.percent:.1f} %")
                                        for b in chart_bars),
                caption=caption, shades=shades(codebooks), salt=name)


def _missing_rows(name: str, columns: Counts, sources: list[str],
                  codebooks: Codebooks, table: HarmonizedTable, plan: TablePlan) -> list[dict]:
    """Missing values by reason, per source, as the plan suppresses them with the count of
    values as one column (the rows add up to the source's published number of rows)."""
    counts = {s: columns[name, s] for s in sources}
    hidden = {s: plan.column(table.table, name, s) for s in sources}
    rows = []
    for m in codebooks.package.missing:
        cells = [{"n": counts.get(s, {}).get(m.value, 0), "suppressed": m.value in hidden[s]}
                 for s in sources]
        if any(c["n"] for c in cells):
            rows.append({"category": m, "cells": cells})
    return rows


def variable_pages(codebooks: Codebooks, table: HarmonizedTable, frame: pl.DataFrame,
                   plan: TablePlan) -> list[dict]:
    sources = sorted(frame["source"].unique().to_list())
    lineages = lineage(codebooks, table.table)
    available = availability(codebooks, table.table, frame)
    columns = column_counts(codebooks, table.table, frame)  # the counts the plan was made from
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
            page["categories"] = _category_rows(var, columns, name, sources, codebooks, table,
                                                plan)
            page["chart"] = _category_chart(name, var, page["categories"], sources, codebooks)
        elif var.type in ("integer", "number") and name != "wave":
            page["numeric"] = numeric_summary(frame, name, codebooks.package.min_cell_size)
            if var.missing_column:
                page["missing"] = _missing_rows(name, columns, sources, codebooks, table, plan)
                for source, stats in page["numeric"].items():  # n is the count of values
                    if VALUE in plan.column(table.table, name, source):
                        stats["n"] = None
        pages.append(page)
    return pages


# --- summary tables ------------------------------------------------------------------------------


def _group_labels(table: HarmonizedTable, by: list[str], group: tuple[str, ...]) -> list[str]:
    labels = []
    for variable, value in zip(by, group, strict=True):
        names = {c.value: c.label.get() for c in table.variables[variable].categories}
        labels.append(names.get(value, value))
    return labels


def _withheld(cell: ShareCell, withheld: bool) -> ShareCell:
    return ShareCell(cell.group, cell.n, None, None, None, secondary=True) if withheld else cell


def _origins(frame: pl.DataFrame, by: list[str]) -> dict[tuple[str, ...], tuple]:
    """Per group: its country and wave, for the colour of its bar (None where the group has
    more than one, e.g. waves pooled)."""
    out = {}
    for key, group in frame.group_by(by):
        countries = group["country"].cast(pl.String).unique().to_list()
        waves = group["wave"].cast(pl.String).unique().to_list()
        out[tuple(str(v) for v in key)] = (countries[0] if len(countries) == 1 else None,
                                           waves[0] if len(waves) == 1 else None)
    return out


def _heading(labels: list[str]) -> dict:
    """A group's labels as a chart shows them: the first under a heading of its own, the rest
    beside the bar (or the only one beside the bar)."""
    if len(labels) > 1:
        return {"group": labels[0], "label": " · ".join(labels[1:])}
    return {"group": "", "label": labels[0] if labels else ""}


def _share_summary(index: int, table: HarmonizedTable, spec: Summary, frame: pl.DataFrame,
                   min_n: int, codebooks: Codebooks, withheld: set, base: str) -> dict:
    answers = tuple(c.value for c in table.variables[spec.outcome].categories)
    cells = [_withheld(c, (c.group, "") in withheld) for c in weighted_share(
        frame, spec.outcome, spec.by, min_n=min_n, positive=spec.positive, answers=answers)]
    rows = [(_group_labels(table, spec.by, c.group), c) for c in cells]
    shown = [(labels, c) for labels, c in rows if not c.not_asked]
    origins = _origins(frame, spec.by)
    positive = {c.value: c.label.get() for c in table.variables[spec.outcome].categories}
    chart = bars([Bar(percent=c.percent, low=c.low, high=c.high, **_heading(labels),
                      country=origins.get(c.group, (None, None))[0],
                      wave=origins.get(c.group, (None, None))[1]) for labels, c in shown],
                 title=spec.title.get(),
                 description="Weighted percentage with its 95 % confidence interval: " + "; ".join(
                     f"{' '.join(labels)} "
                     + ("suppressed" if c.suppressed else f"{c.percent:.1f} %")
                     for labels, c in shown),
                 caption=f"Bars: the percentage answering "
                         f"“{positive.get(spec.positive, spec.positive)}”; whiskers: its 95 % "
                         f"confidence interval. {base}",
                 shades=shades(codebooks), salt=f"s{index}")
    return {"kind": "share", "rows": rows, "chart": chart}


def _distribution_summary(index: int, table: HarmonizedTable, spec: Summary,
                          frame: pl.DataFrame, min_n: int, codebooks: Codebooks,
                          withheld: set, base: str) -> dict:
    var = table.variables[spec.outcome]
    categories = [c.value for c in var.categories]
    result = [DistributionRow(r.group, r.n, tuple(
        _withheld(c, (r.group, category) in withheld)
        for category, c in zip(categories, r.cells, strict=True)))
        for r in weighted_distribution(frame, spec.outcome, spec.by, categories, min_n=min_n)]
    # An answer that none of a group's sources offered is "not offered", not a measured 0 %.
    sources = {tuple(str(v) for v in key): group["source"].unique().to_list()
               for key, group in frame.group_by(spec.by)}
    result = [DistributionRow(r.group, r.n, tuple(
        ShareCell(c.group, c.n, None, None, None, not_asked=True)
        if all(category not in (offered(codebooks, table, spec.outcome, s) or {category})
               for s in sources.get(r.group, [])) else c
        for category, c in zip(categories, r.cells, strict=True))) for r in result]
    rows = [(_group_labels(table, spec.by, r.group), r) for r in result]
    names = [c.label.get() for c in var.categories]
    # an answer not offered has no segment (0 wide), and is said to be not offered
    chart = stacked([Row(cells=[0.0 if c.not_asked else c.percent for c in r.cells],
                         **_heading(labels)) for labels, r in rows],
                    names, ordinal=var.level == "ordinal", title=spec.title.get(),
                    description="Weighted percentage of each answer, in the order "
                                + ", ".join(names) + ": " + "; ".join(
                                    f"{' '.join(labels)} " + ", ".join(
                                        "not offered" if c.not_asked else "suppressed"
                                        if c.percent is None else f"{c.percent:.1f} %"
                                        for c in r.cells) for labels, r in rows),
                    caption="Each bar: the percentages of the answers, adding up to 100 % (an "
                            f"answer not offered has no part). {base}",
                    salt=f"s{index}")
    return {"kind": "distribution", "rows": rows, "chart": chart, "categories": var.categories}


def _among(table: HarmonizedTable, spec: Summary) -> str:
    """The base a table states, in words: "collab_institution: Yes"."""
    parts = []
    for variable, values in spec.among.items():
        names = {c.value: c.label.get() for c in table.variables[variable].categories}
        parts.append(f"{variable}: {' or '.join(names.get(v, v) for v in values)}")
    return "; ".join(parts)


def summaries(codebooks: Codebooks, tables: dict[str, pl.DataFrame],
              plans: dict[str, TablePlan]) -> list[dict]:
    """The summary tables, with the percentages the plan withholds shown as suppressed."""
    min_n = codebooks.package.min_cell_size
    missing = [m.value for m in codebooks.package.missing]
    out = []
    for name, frame in tables.items():
        table = codebooks.tables[name]
        for number, spec in enumerate(table.summaries):
            answered = summary_base(frame, spec, missing)
            withheld = {(group, category) for i, group, category in plans[name].withheld
                        if i == number}
            # A table not split by wave pools its waves, and says so.
            waves = sorted(answered["wave"].unique().to_list())
            pooled = waves if "wave" not in spec.by and len(waves) > 1 else []
            build = _distribution_summary if spec.kind == "distribution" else _share_summary
            among = _among(table, spec)
            base = ("Base: the respondents who answered (missing answers left out)"
                    + (f", among those with {among}" if among else "") + "; weighted"
                    + (f"; waves {', '.join(map(str, pooled))} pooled" if pooled else "") + ".")
            out.append({"table": name, "spec": spec, "pooled": pooled, "among": among,
                        **build(len(out), table, spec, answered, min_n, codebooks, withheld,
                                base)})
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
