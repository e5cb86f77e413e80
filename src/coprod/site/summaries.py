"""The summary tables the site shows: each table's groups, its weighted percentages with their
intervals (the plan's withheld cells shown as suppressed), its chart and the base it states.
Pure functions; :mod:`coprod.site.render` puts the results through the templates.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import polars as pl

from ..codebook import Codebooks, HarmonizedTable, Summary
from ..disclosure.tables import TablePlan
from ..summary import (
    DistributionRow,
    ShareCell,
    rounded,
    summary_base,
    weighted_distribution,
    weighted_share,
)
from .charts import Bar, Row, bars, stacked
from .i18n import _, lang
from .pages import offered, shades


def _group_labels(table: HarmonizedTable, by: list[str], group: tuple[str, ...]) -> list[str]:
    labels = []
    for variable, value in zip(by, group, strict=True):
        names = {c.value: c.label.get(lang()) for c in table.variables[variable].categories}
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


def _share_figures(table: HarmonizedTable, spec: Summary, frame: pl.DataFrame, min_n: int,
                   codebooks: Codebooks, withheld: set) -> dict:
    answers = tuple(c.value for c in table.variables[spec.outcome].categories)
    cells = [_withheld(c, (c.group, "") in withheld) for c in weighted_share(
        frame, spec.outcome, spec.by, min_n=min_n, positive=spec.positive, answers=answers)]
    return {"cells": cells, "origins": _origins(frame, spec.by)}


def _share_summary(index: int, table: HarmonizedTable, spec: Summary, figures: dict,
                   codebooks: Codebooks, base: str) -> dict:
    rows = [(_group_labels(table, spec.by, c.group), c) for c in figures["cells"]]
    shown = [(labels, c) for labels, c in rows if not c.not_asked]
    origins = figures["origins"]
    positive = {c.value: c.label.get(lang()) for c in table.variables[spec.outcome].categories}
    chart = bars([Bar(percent=c.percent, low=c.low, high=c.high, **_heading(labels),
                      country=origins.get(c.group, (None, None))[0],
                      wave=origins.get(c.group, (None, None))[1]) for labels, c in shown],
                 title=spec.title.get(lang()),
                 description=_("Weighted percentage with its 95 % confidence interval:") + " "
                 + "; ".join(f"{' '.join(labels)} "
                             + (_("suppressed") if c.suppressed else f"{c.percent:.1f} %")
                             for labels, c in shown),
                 caption=_("Bars: the percentage answering “{answer}”; whiskers: its 95 % "
                           "confidence interval.").format(
                     answer=positive.get(spec.positive, spec.positive)) + f" {base}",
                 shades=shades(codebooks), salt=f"s{index}")
    return {"kind": "share", "rows": rows, "chart": chart}


def _distribution_figures(table: HarmonizedTable, spec: Summary, frame: pl.DataFrame,
                          min_n: int, codebooks: Codebooks, withheld: set) -> dict:
    categories = [c.value for c in table.variables[spec.outcome].categories]
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
    return {"result": result}


def _distribution_summary(index: int, table: HarmonizedTable, spec: Summary, figures: dict,
                          codebooks: Codebooks, base: str) -> dict:
    var = table.variables[spec.outcome]
    rows = [(_group_labels(table, spec.by, r.group), r) for r in figures["result"]]
    names = [c.label.get(lang()) for c in var.categories]
    # an answer not offered has no segment (0 wide), and is said to be not offered
    chart = stacked([Row(cells=[0.0 if c.not_asked else c.percent for c in r.cells],
                         **_heading(labels)) for labels, r in rows],
                    names, ordinal=var.level == "ordinal", title=spec.title.get(lang()),
                    description=_("Weighted percentage of each answer, in the order {answers}:"
                                  ).format(answers=", ".join(names)) + " " + "; ".join(
                                    f"{' '.join(labels)} " + ", ".join(
                                        _("not offered") if c.not_asked else _("suppressed")
                                        if c.percent is None else f"{c.percent:.1f} %"
                                        for c in r.cells) for labels, r in rows),
                    caption=_("Each bar: the percentages of the answers, adding up to 100 % "
                              "(an answer not offered has no part).") + f" {base}",
                    salt=f"s{index}")
    return {"kind": "distribution", "rows": rows, "chart": chart, "categories": var.categories}


def _among(table: HarmonizedTable, spec: Summary) -> str:
    """The base a table states, in words: "collab_institution: Yes"."""
    parts = []
    for variable, values in spec.among.items():
        names = {c.value: c.label.get(lang()) for c in table.variables[variable].categories}
        or_ = _(" or ")
        parts.append(f"{variable}: {or_.join(names.get(v, v) for v in values)}")
    return "; ".join(parts)


def summary_figures(codebooks: Codebooks, tables: dict[str, pl.DataFrame],
                    plans: dict[str, TablePlan]) -> list[dict]:
    """Per summary table, what it shows that is the same in every language: its percentages
    (those the plan withholds as suppressed) and the waves it pools."""
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
            made = _distribution_figures if spec.kind == "distribution" else _share_figures
            out.append({"table": name, "spec": spec, "pooled": pooled,
                        **made(table, spec, answered, min_n, codebooks, withheld)})
    return out


def summaries(codebooks: Codebooks, tables: dict[str, pl.DataFrame],
              plans: dict[str, TablePlan], figures: list[dict] | None = None) -> list[dict]:
    """The summary tables, with the percentages the plan withholds shown as suppressed;
    ``figures``: their :func:`summary_figures`, when made already (for another language)."""
    min_n = codebooks.package.min_cell_size
    out = []
    for made in summary_figures(codebooks, tables, plans) if figures is None else figures:
        name, spec, pooled = made["table"], made["spec"], made["pooled"]
        table = codebooks.tables[name]
        build = _distribution_summary if spec.kind == "distribution" else _share_summary
        among = _among(table, spec)
        base = (_("Base: the respondents who answered (missing answers left out), among "
                  "those with {among}; weighted").format(among=among) if among else
                _("Base: the respondents who answered (missing answers left out); weighted"))
        if pooled:
            base += "; " + _("waves {waves} pooled").format(waves=", ".join(map(str, pooled)))
        base += "."
        entry = {"table": name, "spec": spec, "pooled": pooled, "among": among,
                 "slug": spec.slug, "path": f"summaries/{name}/{spec.slug}",
                 **build(len(out), table, spec, made, codebooks, base)}
        entry["changes"] = changes(table, spec, _cells(entry))
        entry["csv"] = summary_csv(entry, table, min_n)
        out.append(entry)
    return out


# --- what a summary's own page adds: the change between waves, and its CSV -------------------


def _cells(entry: dict) -> list[tuple[tuple[str, ...], str, ShareCell]]:
    """Every figure of a summary as (group, answer, cell); the answer is "" in a share."""
    if entry["kind"] == "share":
        return [(c.group, "", c) for _, c in entry["rows"]]
    answers = [c.value for c in entry["categories"]]
    return [(r.group, a, c) for _, r in entry["rows"]
            for a, c in zip(answers, r.cells, strict=True)]


def printed(value: float | None) -> float | None:
    """A percentage as the page prints it (one decimal)."""
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class Change:
    """From one wave of a group to the next: the change in percentage points of the printed
    figures (None: one of them is suppressed, so the change is too), and whether the two
    printed 95 % intervals overlap."""

    group: tuple[str, ...]  # the group's values, the wave's left out
    labels: tuple[str, ...]
    answer: str  # "" in a share
    before: str
    after: str
    points: float | None
    overlap: bool | None


def _wave_key(wave: str) -> tuple:
    return (0, int(wave), "") if wave.lstrip("-").isdigit() else (1, 0, wave)


def changes(table: HarmonizedTable, spec: Summary,
            cells: list[tuple[tuple[str, ...], str, ShareCell]]) -> list[Change]:
    """Between consecutive waves of each group (a country, with any other grouping): only where
    the summary is by country and wave, and only from the figures the page prints, so that a
    change says nothing the page does not. A change from or to a suppressed figure is
    suppressed; a wave in which the question (or answer) was not asked has no change."""
    if "wave" not in spec.by or "country" not in spec.by:
        return []
    at = spec.by.index("wave")
    series: dict[tuple[tuple[str, ...], str], list[tuple[str, ShareCell]]] = {}
    for group, answer, cell in cells:
        rest = group[:at] + group[at + 1:]
        series.setdefault((rest, answer), []).append((group[at], cell))
    others = [b for b in spec.by if b != "wave"]
    out = []
    for (rest, answer), waves in series.items():
        waves.sort(key=lambda w: _wave_key(w[0]))
        for (w1, c1), (w2, c2) in zip(waves, waves[1:], strict=False):
            if c1.not_asked or c2.not_asked:
                continue
            p1, p2 = printed(c1.percent), printed(c2.percent)
            if p1 is None or p2 is None:
                points, overlap = None, None
            else:
                points = round(p2 - p1, 1)
                l1, h1, l2, h2 = (printed(x) for x in (c1.low, c1.high, c2.low, c2.high))
                overlap = (None if None in (l1, h1, l2, h2)
                           else bool(l1 <= h2 and l2 <= h1))  # type: ignore[operator]
            out.append(Change(rest, tuple(_group_labels(table, others, rest)), answer,
                              w1, w2, points, overlap))
    return out


def summary_csv(entry: dict, table: HarmonizedTable, min_n: int) -> bytes:
    """The figures the summary's page shows, as CSV: a row per group (and answer), the group's
    codes and labels, the percentage and interval as printed and n rounded as printed; a
    suppressed figure is an empty cell with ``flag`` saying why, never its value."""
    spec: Summary = entry["spec"]
    labels = {tuple(c.group): labels for labels, c in entry["rows"]}
    names = {c.value: c.label.get(lang()) for c in table.variables[spec.outcome].categories}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*spec.by, *(f"{b}_label" for b in spec.by), "answer", "answer_label",
                     "percent", "ci_low", "ci_high", "n", "flag"])
    for group, answer, cell in _cells(entry):
        answer = answer or spec.positive
        row_n = next(r.n for _, r in entry["rows"] if tuple(r.group) == tuple(group))
        if cell.not_asked:
            figures, flag = ["", "", "", ""], ("not asked" if entry["kind"] == "share"
                                               else "not offered")
        elif cell.suppressed:
            figures, flag = ["", "", "", ""], "suppressed"
            if entry["kind"] == "distribution":  # the row's n is printed beside a suppressed cell
                figures[3] = str(rounded(row_n, min_n))
        else:
            figures = [f"{cell.percent:.1f}", f"{cell.low:.1f}", f"{cell.high:.1f}",
                       str(rounded(row_n, min_n))]
            flag = ""
        writer.writerow([*group, *labels[tuple(group)], answer, names.get(answer, answer),
                         *figures, flag])
    return out.getvalue().encode("utf-8")


