"""Summary statistics for the site: weighted shares with unweighted n and 95 % confidence
intervals, and frequencies per source. Pure functions of the harmonized frames.

The interval is Wilson's score interval computed with Kish's effective sample size,
n_eff = (Σw)² / Σw², so that unequal weights widen it as they should (the approach of Kott and
Carr 1997 for survey proportions). Unlike the Wald interval p ± z·√(p(1−p)/n), it stays inside
0–100 % and keeps its coverage near 0 and 100 % (Newcombe 1998): 95.1 % of 45 is 84.5–98.6, not
88.6–100. A cell resting on fewer respondents than the package's minimum is suppressed: its
figures are never computed into the output.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import polars as pl

if TYPE_CHECKING:
    from .codebook import Summary

Z95 = 1.959963984540054
Rows = TypeVar("Rows", pl.DataFrame, pl.LazyFrame)  # rows at once, or a query of them
INTERVAL = "Wilson score interval with the effective sample size of the weights (Kish)"


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of a proportion ``p`` observed on ``n`` (effective) cases."""
    if n <= 0:
        return 0.0, 1.0
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def rounded(n: int, base: int) -> int:
    """n as published in a summary table: to the nearest multiple of ``base`` (halves up; the
    package's minimum cell size), so that it cannot be set against counts published elsewhere
    to work out a suppressed cell: it could be any of ``base`` values."""
    return base * ((n + base // 2) // base)


@dataclass(frozen=True)
class ShareCell:
    group: tuple[str, ...]
    n: int  # unweighted respondents in the universe (who gave an answer, not a missing reason)
    percent: float | None  # weighted; None when suppressed or not asked
    low: float | None
    high: float | None
    secondary: bool = False  # suppressed to protect another suppressed cell, not for its own n
    not_asked: bool = False  # the question (or this answer) was not put to this group at all

    @property
    def suppressed(self) -> bool:
        return self.percent is None and not self.not_asked


def _hidden(cell: ShareCell, secondary: bool = False) -> ShareCell:
    return ShareCell(cell.group, cell.n, None, None, None, secondary)


def secondary_suppression(cells: list[ShareCell]) -> list[ShareCell]:
    """Among cells that add up to a margin (those sharing every grouping value but the last),
    a single suppressed cell could be recovered from the margin: suppress the smallest other
    one too."""
    out = list(cells)
    margins: dict[tuple[str, ...], list[int]] = {}
    for i, cell in enumerate(cells):
        margins.setdefault(cell.group[:-1], []).append(i)
    for members in margins.values():
        hidden = [i for i in members if out[i].suppressed]
        shown = [i for i in members if not out[i].suppressed and not out[i].not_asked]
        if len(hidden) == 1 and shown:
            smallest = min(shown, key=lambda i: (out[i].n, i))
            out[smallest] = _hidden(out[smallest], secondary=True)
    return out


def cell_sums(frame: Rows, outcome: str, by: list[str], weight: str = "weight",
              keys: tuple[str, ...] = ()) -> Rows:
    """All a summary table needs of its rows: per group, answer (as text) and any further
    ``keys``, the respondents ``n``, their weights' sum ``w``, sum of squares ``w2``, smallest
    ``low`` and largest ``high``. One pass over the rows; the sums of parts of the rows add up
    to the sums of the whole (:func:`merge_sums`), so that the rows can come in batches."""
    w = pl.col(weight)
    return (frame.group_by(_keys(outcome, by, keys))
            .agg(n=pl.len().cast(pl.Int64), w=w.sum(), w2=(w ** 2).sum(), low=w.min(),
                 high=w.max())
            .with_columns(pl.col(outcome).cast(pl.String)))


def merge_sums(parts: list[pl.DataFrame], outcome: str, by: list[str],
               keys: tuple[str, ...] = ()) -> pl.DataFrame:
    """The :func:`cell_sums` of the rows of several parts together."""
    return (pl.concat(parts).group_by(_keys(outcome, by, keys))
            .agg(pl.col("n").sum(), pl.col("w").sum(), pl.col("w2").sum(), pl.col("low").min(),
                 pl.col("high").max()))


def _keys(outcome: str, by: list[str], keys: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys([*by, *keys, outcome]))


def _by_text(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return frame.with_columns(pl.col(by).cast(pl.String))


def weighted_share(frame: pl.DataFrame, outcome: str, by: list[str], *, min_n: int,
                   weight: str = "weight", positive: str = "yes",
                   answers: tuple[str, ...] = ("yes", "no"),
                   secondary: bool = True) -> list[ShareCell]:
    """Weighted share of ``positive`` among the rows that gave one of ``answers`` (every answer
    category of the variable, so that a new one, e.g. "partly", is in the base and not dropped
    silently; the missing reasons are not). Groups of fewer than ``min_n`` respondents are
    suppressed, with secondary suppression."""
    return share_cells(cell_sums(frame, outcome, by, weight), outcome, by, min_n=min_n,
                       positive=positive, answers=answers, secondary=secondary)


def share_cells(sums: pl.DataFrame, outcome: str, by: list[str], *, min_n: int,
                positive: str = "yes", answers: tuple[str, ...] = ("yes", "no"),
                secondary: bool = True) -> list[ShareCell]:
    """:func:`weighted_share` from the rows' :func:`cell_sums`."""
    answer = pl.col(outcome)
    # A group none of whose rows was asked the question is "not asked", never 0 %.
    not_asked = _by_text(sums.group_by(by).agg(
        asked=(answer != "not_asked").fill_null(False).any()).filter(~pl.col("asked")), by)
    stats = _by_text(
        sums.filter(answer.is_in(list(answers))).group_by(by)
        .agg(n=pl.col("n").sum(), w=pl.col("w").sum(), w2=pl.col("w2").sum(),
             wy=pl.when(answer == positive).then(pl.col("w")).otherwise(0.0).sum()), by)
    cells = []
    for row in stats.iter_rows(named=True):
        group = tuple(str(row[b]) for b in by)
        if row["n"] < min_n:
            cells.append(ShareCell(group, row["n"], None, None, None))
            continue
        p = row["wy"] / row["w"]
        low, high = wilson(p, row["w"] ** 2 / row["w2"])
        cells.append(ShareCell(group, row["n"], 100 * p, 100 * low, 100 * high))
    for row in not_asked.iter_rows(named=True):
        cells.append(ShareCell(tuple(str(row[b]) for b in by), 0, None, None, None,
                               not_asked=True))
    cells.sort(key=lambda c: _order(sums.schema, by, c.group))
    return secondary_suppression(cells) if secondary else cells


def _order(schema: Mapping[str, pl.DataType], by: list[str], group: tuple[str, ...]) -> tuple:
    """A group's place: categories in their codebook order, other values as they sort."""
    key = []
    for name, value in zip(by, group, strict=True):
        dtype = schema[name]
        if isinstance(dtype, pl.Enum):
            categories = dtype.categories.to_list()
            key.append((0, categories.index(value) if value in categories else len(categories),
                        ""))
        else:
            key.append((1, 0, value))
    return tuple(key)


def numeric_summary(frame: pl.DataFrame, column: str,
                    min_n: int = 1) -> dict[str, dict[str, float | int | None]]:
    """n, mean, median and the extremes of a numeric column per source (missing values left
    out). No figure rests on fewer than ``min_n`` respondents: the extremes are bottom- and
    top-coded (the min_n-th smallest and largest value: at least min_n respondents lie at or
    beyond each), and a source with fewer than min_n values shows only its n."""
    col = pl.col(column)
    k = max(min_n, 1)
    stats = (frame.group_by("source")
             .agg(n=col.count(), mean=col.mean(), median=col.median(),
                  low=col.drop_nulls().sort().get(k - 1, null_on_oob=True),
                  high=col.drop_nulls().sort(descending=True).get(k - 1, null_on_oob=True))
             .sort("source"))
    out = {}
    for row in stats.iter_rows(named=True):
        source = row.pop("source")
        if row["n"] < k:
            row = {"n": row["n"], "mean": None, "median": None, "low": None, "high": None}
        out[source] = row
    return out


def summary_base(frame: Rows, spec: Summary, missing: list[str]) -> Rows:
    """The rows a summary table is about: those inside the base it states (``among``), whose
    grouping answers are not missing (like missing outcomes, they are left out)."""
    base = frame.filter(~pl.any_horizontal(
        pl.col(b).cast(pl.String).is_in(missing) for b in spec.by))
    for variable, values in spec.among.items():
        base = base.filter(pl.col(variable).cast(pl.String).is_in(values))
    return base


@dataclass(frozen=True)
class DistributionRow:
    group: tuple[str, ...]
    n: int  # unweighted respondents with a non-missing answer
    cells: tuple[ShareCell, ...]  # one per category, in codebook order; None figures: suppressed


def weighted_distribution(frame: pl.DataFrame, outcome: str, by: list[str],
                          categories: list[str], *, min_n: int,
                          weight: str = "weight") -> list[DistributionRow]:
    """Weighted percentage of each category among the respondents who gave one, by group. A
    category resting on fewer than ``min_n`` respondents is suppressed, and so is a whole row
    resting on fewer than ``min_n``."""
    return distribution_rows(cell_sums(frame, outcome, by, weight), outcome, by, categories,
                             min_n=min_n)


def distribution_rows(sums: pl.DataFrame, outcome: str, by: list[str], categories: list[str],
                      *, min_n: int) -> list[DistributionRow]:
    """:func:`weighted_distribution` from the rows' :func:`cell_sums`."""
    answered = sums.filter(pl.col(outcome).is_in(categories))
    per = answered.group_by([*by, outcome]).agg(pl.col("n").sum(), pl.col("w").sum())
    of = {(tuple(str(v) for v in row[:-3]), row[-3]): (row[-2], row[-1])
          for row in _by_text(per, by).iter_rows()}
    totals = answered.group_by(by).agg(pl.col("n").sum(), pl.col("w").sum(),
                                       pl.col("w2").sum()).sort(by)  # categories: codebook order
    rows = []
    for row in totals.iter_rows():
        group = tuple(str(v) for v in row[:-3])
        n, w, w2 = row[-3:]
        cells = []
        for category in categories:
            count, wy = of.get((group, category), (0, 0.0))
            # A zero discloses nothing about anyone; only small non-zero counts are suppressed.
            if n < min_n or 0 < count < min_n:
                cells.append(ShareCell(group, count, None, None, None))
                continue
            p = wy / w
            low, high = wilson(p, w ** 2 / w2)
            cells.append(ShareCell(group, count, 100 * p, 100 * low, 100 * high))
        # The categories of a row add up to 100 %: one hidden cell would be recoverable.
        hidden = [i for i, c in enumerate(cells) if c.suppressed]
        shown = [i for i, c in enumerate(cells) if not c.suppressed and c.n > 0]
        if len(hidden) == 1 and shown:
            smallest = min(shown, key=lambda i: (cells[i].n, i))
            cells[smallest] = _hidden(cells[smallest], secondary=True)
        rows.append(DistributionRow(group, n, tuple(cells)))
    return rows
