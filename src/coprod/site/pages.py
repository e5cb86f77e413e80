"""What a variable's page shows, computed from the harmonized tables and the codebooks:
categories and their counts, missing reasons, lineage and charts. Pure functions;
:mod:`coprod.site.render` puts the results through the templates.
"""

from __future__ import annotations

import math

import polars as pl

from ..codebook import Codebooks, HarmonizedTable, HarmonizedVariable, Mapping
from ..describe import availability, lineage
from ..disclosure import numeric as numeric_rule
from ..disclosure.tables import VALUE, TablePlan, column_counts
from ..harmonize import enum_of, missing_enum
from ..review import unreviewed
from ..summary import numeric_summary
from .charts import Bar, Shades, bars
from .i18n import _, lang

Counts = dict[tuple[str, str], dict[str, int]]  # (variable, source) → category → rows


def country_names(codebooks: Codebooks, language: str = "en") -> dict[str, str]:
    """Country code -> its name in ``language``, from the categories of the harmonized
    codebooks' country variables (``derive: country``)."""
    return {c.value: c.label.get(language) for table in codebooks.tables.values()
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
    return f"{country_names(codebooks, lang()).get(source.country, source.country)} {source.wave}"


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
                                  group=row["category"].label.get(lang()), country=source.country,
                                  wave=source.wave,
                                  note=_("not offered") if cell["not_offered"] else None))
    left_out = []
    for i, source in enumerate(sources):
        if i not in charted:
            withheld = any(row["cells"][i]["withheld"] for row in answers)
            left_out.append(f"{source_label(codebooks, source)} ("
                            + (_("percentages withheld: a count is suppressed") if withheld
                               else _("no valid answers")) + ")")
    caption = _("Base: the valid answers (missing answers left out), unweighted. The percentage "
                "of each answer per country and wave, as in the table below.")
    if left_out:
        caption += " " + _("Not shown: {sources}.").format(sources="; ".join(left_out))
    return bars(chart_bars, title=_("{label}: distribution by source").format(
                    label=var.label.get(lang())),
                description=_("Unweighted percentage of each category among the valid answers "
                              "(missing values left out), one bar per country and wave:") + " "
                            + "; ".join(f"{b.group} {b.label} "
                                        + (b.note or _("suppressed") if b.percent is None
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


def asked_in(codebooks: Codebooks, available: dict[str, str]) -> list[dict]:
    """Where a variable was asked, for the variables index: per country (in order of its
    name), the waves whose source has it, each with its status (available or partial)."""
    countries = country_names(codebooks, lang())
    by_country: dict[str, list[dict]] = {}
    for source_id, status in available.items():
        source = codebooks.sources[source_id]
        if status != "not_asked":
            by_country.setdefault(source.country, []).append({"wave": source.wave,
                                                              "status": status})
    return [{"country": countries.get(c, c.upper()),
             "waves": sorted(waves, key=lambda w: w["wave"])}
            for c, waves in sorted(by_country.items(),
                                   key=lambda item: countries.get(item[0], item[0]))]


def printed_number(value: float, integer: bool, step: float | None = None) -> str:
    """A value as a page prints it, thousands separated: an integer without decimals; a number
    rounded to ``step`` with as many decimals as the step has."""
    if integer:
        return f"{round(value):,}"
    if step:
        return f"{value:,.{max(0, -math.floor(math.log10(step) + 1e-9))}f}"
    return f"{value:,.10g}"


number = printed_number


def range_label(b: numeric_rule.Bin, integer: bool) -> str:
    """A histogram's range in symbols, the same in every language: ``≤ 9``, ``10–19``, ``≥ 700``
    for an integer (bounds included), ``0.5–1`` for a number (the lower bound included)."""
    if integer:
        top = None if b.high is None else round(b.high) - 1
        if b.low is None:
            return f"≤ {number(top, True)}" if top is not None else ""
        if top is None:
            return f"≥ {number(b.low, True)}"
        return number(b.low, True) if top == round(b.low) else \
            f"{number(b.low, True)}–{number(top, True)}"
    if b.low is None:
        return f"< {number(b.high, False)}"
    if b.high is None:
        return f"≥ {number(b.low, False)}"
    return f"{number(b.low, False)}–{number(b.high, False)}"


def _histograms(name: str, var: HarmonizedVariable, frame: pl.DataFrame,
                stats: dict[str, dict], sources: list[str], codebooks: Codebooks,
                hidden: dict[str, bool]) -> None:
    """Per source: the histogram's ranges and the percentiles the disclosure rule lets a page
    print (:mod:`coprod.disclosure.numeric`), put into ``stats``."""
    min_n = codebooks.package.min_cell_size
    integer = var.type == "integer"
    values = frame.select(pl.col("source"), pl.col(name).cast(pl.Float64)).drop_nulls()
    edges = numeric_rule.grid(values[name].to_numpy(), integer)
    for source in sources:
        own = values.filter(pl.col("source") == source)[name].to_numpy()
        bins = [] if hidden[source] else numeric_rule.histogram(own, edges, min_n)
        total = sum(b.n for b in bins)
        stats.setdefault(source, {})
        stats[source]["bins"] = [{"bin": b, "label": range_label(b, integer), "n": b.n,
                                  "percent": 100 * b.n / total} for b in bins]
        stats[source]["percentiles"] = numeric_rule.percentiles(own, min_n, integer)


def _distribution(name: str, var: HarmonizedVariable, stats: dict[str, dict],
                  sources: list[str], codebooks: Codebooks):  # noqa: ANN202 - Markup
    """The chart of the histograms in ``stats`` (:func:`_histograms`)."""
    min_n = codebooks.package.min_cell_size
    integer = var.type == "integer"
    chart_bars = []
    for source in sources:
        src = codebooks.sources[source]
        for row in stats[source]["bins"]:
            chart_bars.append(Bar(row["label"], row["percent"], group=source_label(codebooks,
                                                                                    source),
                                  country=src.country, wave=src.wave))
    if not chart_bars:
        return ""
    left_out = [source_label(codebooks, s) for s in sources if not stats[s]["bins"]]
    caption = (_("Base: the respondents with a value (missing answers left out), unweighted. "
                 "The percentage of each country and wave's values in each range.") + " "
               + ("" if integer else _("A range holds its lower bound, not its upper.") + " ")
               + _("Ranges of fewer than {min_n} respondents are merged with the next, and the "
                   "lowest and highest ranges are open, so that no bar rests on fewer than "
                   "{min_n} respondents or shows the lowest or highest value.").format(
                       min_n=min_n)
               + (" " + _("Not shown: {sources} (too few values, or their number is "
                          "suppressed).").format(sources=", ".join(left_out))
                  if left_out else ""))
    return bars(chart_bars, title=_("{label}: histogram by source").format(
                    label=var.label.get(lang())),
                description=_("Unweighted percentage of the values in each range, per country "
                              "and wave:") + " " + "; ".join(
                                  f"{b.group} {b.label} {b.percent:.1f} %" for b in chart_bars),
                caption=caption, shades=shades(codebooks), salt=f"h-{name}")


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
        elif _numeric(page):
            page["numeric"] = numeric_summary(frame, name, codebooks.package.min_cell_size)
            if var.missing_column:
                page["missing"] = _missing_rows(name, columns, sources, codebooks, table, plan)
                for source, stats in page["numeric"].items():  # n is the count of values
                    if VALUE in plan.column(table.table, name, source):
                        stats["n"] = None
            _histograms(name, var, frame, page["numeric"], sources, codebooks,
                        {s: page["numeric"].get(s, {}).get("n") is None for s in sources})
        pages.append({**page, **_words(codebooks, page)})
    return pages


def in_language(codebooks: Codebooks, pages: list[dict]) -> list[dict]:
    """:func:`variable_pages` again in the current language: their figures are the same in
    every language and are not made again (half of the pages' time), their words are."""
    return [{**page, **_words(codebooks, page)} for page in pages]


def _numeric(page: dict) -> bool:
    return page["var"].type in ("integer", "number") and page["name"] != "wave"


def _words(codebooks: Codebooks, page: dict) -> dict:
    """What a variable page says in the current language, made from its figures: its chart and
    where the variable was asked."""
    name, var, sources = page["name"], page["var"], page["sources"]
    words = {"asked_in": asked_in(codebooks, page["availability"])}
    if var.type == "categorical":
        words["chart"] = _category_chart(name, var, page["categories"], sources, codebooks)
    elif _numeric(page):
        words["chart"] = _distribution(name, var, page["numeric"], sources, codebooks)
    return words
