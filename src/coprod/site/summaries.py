"""The summary tables the site shows: each table's groups, its weighted percentages with their
intervals (the plan's withheld cells shown as suppressed), its chart and the base it states.
Pure functions; :mod:`coprod.site.render` puts the results through the templates.
"""

from __future__ import annotations

import polars as pl

from ..codebook import Codebooks, HarmonizedTable, Summary
from ..disclosure.tables import TablePlan
from ..summary import (
    DistributionRow,
    ShareCell,
    summary_base,
    weighted_distribution,
    weighted_share,
)
from .charts import Bar, Row, bars, stacked
from .pages import offered, shades


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


