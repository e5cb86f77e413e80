"""What a harmonized table publishes, as the attacker's figures (:mod:`.attack`); the suppression
plan that every output follows; the audit of what a build actually publishes.

The figures of a table
    A *page cell* is the count of one category (or missing reason; ``<value>`` for the values of
    a numeric variable) of one variable in one source: the variable page shows it, and so do
    ``codebook.json``'s frequencies. The cells of a column add up to the source's number of
    rows, which ``codebook.json`` publishes (an :class:`~.attack.Equation`). A percentage among
    the valid answers is a :class:`~.attack.Share` of the column's valid cells; the DDI file's
    category statistics are pooled counts, sums of a category's cells over the sources.

    A summary table publishes, per group, n rounded to a multiple of the minimum cell size (a
    sum known to lie in a range) and weighted percentages (shares bounded by the range of the
    group's weights, see :class:`~.attack.Share`). Where a group is whole sources (a table by
    country and wave, or by country with the waves pooled, with no ``among`` base), its counts
    are the page cells of those sources, and the attacker may set the two against each other;
    otherwise (a base such as "among associations collaborating with an institution", or groups
    by municipality) its counts are cells of their own, never published exactly ("unshown").

The plan
    :func:`plan` takes everything a table would publish and :func:`~.attack.protect` chooses the
    page cells to suppress (primary: 1 to ``min_n - 1``; secondary: so that none of them can be
    narrowed to fewer than ``min_n`` values) and the summary percentages to withhold. The pages,
    ``codebook.json`` and the DDI file all follow it, so that they never disagree.

The audit
    :func:`audit_site` reads what the build publishes (the pages' figures, ``codebook.json``,
    the DDI file, the summary tables, their CSV files read back, their changes between waves)
    independently of the plan, solves the attacker's problem
    for every suppressed count and checks every numeric extreme, histogram and percentile
    (:mod:`.numeric`); any leak stops the build with
    exit 4.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import polars as pl

from ..codebook import Codebooks, HarmonizedTable, Summary
from ..errors import PrivacyError
from ..summary import (
    cell_sums,
    distribution_rows,
    merge_sums,
    rounded,
    share_cells,
    summary_base,
)
from .attack import Cell, Equation, Key, Leak, Share, audit, protect
from .numeric import audit_numeric

VALUE = "<value>"  # the values of a numeric variable, in its column of counts
SummaryCell = tuple[int, tuple[str, ...], str]  # summary index, group, category ("" for a share)


def counted_columns(spec: HarmonizedTable) -> dict[str, str]:
    """The column counted for each variable with frequencies: ``<name>_missing`` for a numeric
    variable with missing reasons (the values count as ``<value>``), the variable itself when
    it is categorical (the missing reasons are among its categories)."""
    return {name: f"{name}_missing" if var.missing_column else name
            for name, var in spec.variables.items()
            if var.type == "categorical" or var.missing_column}


def page_key(table: str, variable: str, source: str, category: str) -> Key:
    return (f"{table}.{variable}", source, category)


def column_counts(codebooks: Codebooks, name: str, frame: pl.DataFrame
                  ) -> dict[tuple[str, str], dict[str, int]]:
    """(variable, source) → category → count for every counted column, zeros included: each
    category and missing reason (``<value>`` and the reasons for a numeric variable)."""
    spec = codebooks.tables[name]
    reasons = [m.value for m in codebooks.package.missing]
    counted = counted_columns(spec)
    columns = list(dict.fromkeys(counted.values()))
    # One pass: per source, the values of every counted column (a query per column cost more
    # than the counting, on a batch of rows).
    found = frame.group_by("source").agg(pl.col(c).value_counts(sort=False, name="n")
                                         for c in columns)
    sources = sorted(found["source"].to_list())
    out: dict[tuple[str, str], dict[str, int]] = {}
    for variable in counted:
        var = spec.variables[variable]
        values = [c.value for c in var.categories] if var.type == "categorical" else [VALUE]
        for source in sources:
            out[variable, source] = dict.fromkeys([*values, *reasons], 0)
    for row in found.iter_rows(named=True):
        for variable, column in counted.items():
            for item in row[column]:
                value = item[column]
                out[variable, row["source"]][VALUE if value is None else str(value)] = item["n"]
    return out


@dataclass(frozen=True)
class SummaryGroup:
    """One group (row) of a summary table, as the attacker sees its counts."""

    index: int  # of the summary in its table
    group: tuple[str, ...]
    counts: dict[str, int]  # answer category → respondents
    weights: tuple[float, float]  # the smallest and largest weight of its respondents
    sources: tuple[str, ...] | None  # the sources it is made of whole, if it is

    def keys(self, table: str, spec: Summary, category: str) -> tuple[Key, ...]:
        if self.sources is not None:
            return tuple(page_key(table, spec.outcome, s, category) for s in self.sources)
        return ((f"{table}.summary-{self.index + 1}", " · ".join(self.group), category),)


def _narrow(frame: pl.DataFrame, spec: Summary) -> pl.DataFrame:
    """Only the columns a summary table reads (its outcome, groups and base, the source and the
    weight): filtering and grouping a whole harmonized table copied every column of it, text
    included, once per summary (most of a million-row build's time and memory)."""
    wanted = [spec.outcome, *spec.by, *spec.among, "source", "weight"]
    return frame.select(list(dict.fromkeys(c for c in wanted if c in frame.columns)))


def summary_sums(codebooks: Codebooks, name: str, frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Per summary table of ``name``: the :func:`~coprod.summary.cell_sums` of its base, by
    group, answer and source: all that its figures and the attacker's view of them need."""
    missing = [m.value for m in codebooks.package.missing]
    return pl.collect_all([cell_sums(summary_base(_narrow(frame, spec).lazy(), spec, missing),
                                     spec.outcome, spec.by, keys=("source",))
                           for spec in codebooks.tables[name].summaries])


def summary_groups(codebooks: Codebooks, name: str, sums: list[pl.DataFrame],
                   columns: Mapping[tuple[str, str], dict[str, int]]) -> list[SummaryGroup]:
    out = []
    for index, (spec, cells) in enumerate(zip(codebooks.tables[name].summaries, sums,
                                              strict=True)):
        var = codebooks.tables[name].variables[spec.outcome]
        answers = [c.value for c in var.categories]
        answered = cells.filter(pl.col(spec.outcome).is_in(answers))
        counted = {(tuple(str(v) for v in row[:-2]), row[-2]): row[-1] for row in
                   answered.group_by([*spec.by, spec.outcome]).agg(pl.col("n").sum()).iter_rows()}
        groups = answered.group_by(spec.by).agg(pl.col("source").unique().sort(),
                                                pl.col("low").min(), pl.col("high").max())
        groups_of: dict[str, int] = {}
        for sources in groups["source"].to_list():
            for s in sources:
                groups_of[s] = groups_of.get(s, 0) + 1
        for row in groups.iter_rows():
            group = tuple(str(v) for v in row[:-3])
            sources, low, high = tuple(row[-3]), row[-2], row[-1]
            counts = {a: counted.get((group, a), 0) for a in answers}
            whole = not spec.among and all(groups_of[s] == 1 for s in sources) and all(
                sum(columns[spec.outcome, s][a] for s in sources) == counts[a] for a in answers)
            out.append(SummaryGroup(index, group, counts, (float(low), float(high)),
                                    sources if whole else None))
    return sorted(out, key=lambda g: (g.index, g.group))


@dataclass
class Published:
    """What is shown of a table: exact counts (page cells), percentages among valid answers
    (page cells), pooled counts (the DDI file: variable, category → count), the summary
    tables' percentages and rounded n."""

    counts: dict[Key, int] = field(default_factory=dict)
    percents: dict[Key, float] = field(default_factory=dict)
    pooled: dict[tuple[str, str], int] = field(default_factory=dict)
    summary: dict[SummaryCell, float] = field(default_factory=dict)
    summary_n: dict[tuple[int, tuple[str, ...]], int] = field(default_factory=dict)
    where: dict[Key, str] = field(default_factory=dict)  # where a count is shown


@dataclass
class Figures:
    cells: list[Cell]
    equations: list[Equation]
    shares: list[Share]
    unshown: set[Key]
    share_of: dict[Share, SummaryCell]  # summary percentages: which cell of which table


def figures(codebooks: Codebooks, name: str, rows: Mapping[str, int], shown: Published,
            columns: Mapping[tuple[str, str], dict[str, int]],
            groups: list[SummaryGroup]) -> Figures:
    """Everything ``shown`` says about the counts of table ``name`` (``rows``: per source), as
    the attacker's figures."""
    spec = codebooks.tables[name]
    min_n = codebooks.package.min_cell_size
    reasons = {m.value for m in codebooks.package.missing}
    cells, equations, shares = [], [], []
    for (variable, source), counts in sorted(columns.items()):
        keys = [page_key(name, variable, source, c) for c in counts]
        for key, n in zip(keys, counts.values(), strict=True):
            cells.append(Cell(key, n, key in shown.counts, shown.where.get(key, "")))
        equations.append(Equation(tuple(keys), rows[source],
                                  f"{rows[source]:,} rows of {source} (codebook.json)"))
        valid = tuple(k for k in keys if k[2] not in reasons)
        page = f"variables/{name}/{variable}.html"
        for key in valid:
            if key in shown.percents:
                shares.append(Share((key,), valid, round(shown.percents[key], 1), 1,
                                    f"{page}: {key[2]} {shown.percents[key]:.1f} % in {source}"))
    by_category: dict[tuple[str, str], list[Key]] = {}  # a category's cells in every source
    for cell in cells:
        by_category.setdefault((cell.key[0].split(".", 1)[1], cell.key[2]), []).append(cell.key)
    for (variable, category), total in sorted(shown.pooled.items()):
        equations.append(Equation(tuple(by_category[variable, category]), total,
                                  f"codebook-ddi.xml: {name}.{variable} {category} = {total:,}"))
    unshown: set[Key] = set()
    share_of: dict[Share, SummaryCell] = {}
    half = min_n // 2
    for group in groups:
        summary = spec.summaries[group.index]
        title = f'summary "{summary.title.get()}", {" · ".join(group.group)}'
        answers = list(group.counts)
        every = tuple(k for a in answers for k in group.keys(name, summary, a))
        if group.sources is None:
            for a in answers:
                (key,) = group.keys(name, summary, a)
                cells.append(Cell(key, group.counts[a], False))
                unshown.add(key)
        n = shown.summary_n.get((group.index, group.group))
        if n is not None:
            equations.append(Equation(every, n - half, f"{title}: n ≈ {n:,}",
                                      high=n + min_n - 1 - half))
        targets = [""] if summary.kind == "share" else answers
        for target in targets:
            percent = shown.summary.get((group.index, group.group, target))
            if percent is None:
                continue
            numerator = group.keys(name, summary, target or summary.positive)
            low, high = group.weights
            share = Share(numerator, every, round(percent, 1), 1,
                          f"{title}{f' {target}' if target else ''}: {percent:.1f} %",
                          weights=(low, high) if low < high else (1.0, 1.0))
            shares.append(share)
            share_of[share] = (group.index, group.group, target)
    return Figures(cells, equations, shares, unshown, share_of)


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TablePlan:
    """The page cells a table does not publish, and the summary percentages it withholds."""

    hidden: frozenset[Key] = frozenset()
    withheld: frozenset[SummaryCell] = frozenset()

    def column(self, table: str, variable: str, source: str) -> set[str]:
        """The categories of one column that are not published."""
        prefix = f"{table}.{variable}"
        return {k[2] for k in self.hidden if k[0] == prefix and k[1] == source}


def _summary_shown(codebooks: Codebooks, name: str, sums: list[pl.DataFrame]
                   ) -> tuple[dict[SummaryCell, float], dict[tuple[int, tuple[str, ...]], int]]:
    """What the summary tables would show before the plan: each percentage the group-size rule
    leaves, and each n."""
    spec = codebooks.tables[name]
    min_n = codebooks.package.min_cell_size
    percents: dict[SummaryCell, float] = {}
    ns: dict[tuple[int, tuple[str, ...]], int] = {}
    for index, (summary, cells) in enumerate(zip(spec.summaries, sums, strict=True)):
        answers = [c.value for c in spec.variables[summary.outcome].categories]
        if summary.kind == "share":
            for cell in share_cells(cells, summary.outcome, summary.by, min_n=min_n,
                                    positive=summary.positive, answers=tuple(answers)):
                if cell.percent is not None:
                    percents[index, cell.group, ""] = cell.percent
                    ns[index, cell.group] = rounded(cell.n, min_n)
        else:
            for row in distribution_rows(cells, summary.outcome, summary.by, answers,
                                         min_n=min_n):
                ns[index, row.group] = rounded(row.n, min_n)
                for answer, cell in zip(answers, row.cells, strict=True):
                    if cell.percent is not None:
                        percents[index, row.group, answer] = cell.percent
    return percents, ns


@dataclass(frozen=True)
class TableCounts:
    """All that the published figures of one harmonized table are computed from, as sums:
    rows per source, the :func:`column_counts`, and per summary table the
    :func:`~coprod.summary.cell_sums` of its base. The counts of parts of a table's rows add
    up to those of the whole (:func:`add_counts`), so that a table can be counted batch by
    batch and its rows need not be held at once."""

    rows: dict[str, int]
    columns: dict[tuple[str, str], dict[str, int]]
    summaries: tuple[pl.DataFrame, ...]


def table_counts(codebooks: Codebooks, name: str, frame: pl.DataFrame) -> TableCounts:
    """The :class:`TableCounts` of ``frame``'s rows."""
    return TableCounts(dict(frame.group_by("source").len().iter_rows()),
                       column_counts(codebooks, name, frame),
                       tuple(summary_sums(codebooks, name, frame)))


def add_counts(codebooks: Codebooks, name: str, first: TableCounts,
               second: TableCounts) -> TableCounts:
    """The counts of the rows of ``first`` and ``second`` together."""
    rows = {s: first.rows.get(s, 0) + second.rows.get(s, 0)
            for s in sorted(first.rows.keys() | second.rows.keys())}
    columns = {key: dict(counts) for key, counts in first.columns.items()}
    for key, counts in second.columns.items():
        into = columns.setdefault(key, dict.fromkeys(counts, 0))
        for category, n in counts.items():
            into[category] = into.get(category, 0) + n
    summaries = tuple(merge_sums([a, b], spec.outcome, spec.by, keys=("source",))
                      for spec, a, b in zip(codebooks.tables[name].summaries, first.summaries,
                                            second.summaries, strict=True))
    return TableCounts(rows, dict(sorted(columns.items())), summaries)


def plan(codebooks: Codebooks, name: str, frame: pl.DataFrame) -> TablePlan:
    """What table ``name`` leaves out so that no suppressed count can be worked out from the
    rest; deterministic."""
    return plan_of(codebooks, name, table_counts(codebooks, name, frame))


def plan_of(codebooks: Codebooks, name: str, counts: TableCounts) -> TablePlan:
    """:func:`plan` from the table's counts alone."""
    min_n = codebooks.package.min_cell_size
    columns = counts.columns
    groups = summary_groups(codebooks, name, list(counts.summaries), columns)
    percents, ns = _summary_shown(codebooks, name, list(counts.summaries))
    shown = Published(counts={page_key(name, v, s, c): n for (v, s), counts in columns.items()
                              for c, n in counts.items()},
                      summary=percents, summary_n=ns)
    found = figures(codebooks, name, counts.rows, shown, columns, groups)
    chosen = protect(found.cells, found.equations, found.shares, [], min_n,
                     min_values=min_n, below_label=False, audit_shares=True,
                     unshown=found.unshown)
    withheld = {found.share_of[s] for s in chosen.withheld if s in found.share_of}
    return TablePlan(frozenset(chosen.suppress), frozenset(withheld))


def plans(codebooks: Codebooks, tables: Mapping[str, pl.DataFrame]) -> dict[str, TablePlan]:
    return {name: plan(codebooks, name, frame) for name, frame in tables.items()}


# --- the audit of what a build publishes --------------------------------------------------------


def _from_pages(name: str, pages: Iterable[dict], shown: Published) -> list[tuple[str, str,
                                                                                  dict]]:
    """The counts and percentages the variable pages show; their numeric summaries."""
    numeric = []
    for page in pages:
        variable, sources = page["name"], page["sources"]
        where = f"variables/{name}/{variable}.html"
        for row in [*page["categories"], *page["missing"]]:
            for source, cell in zip(sources, row["cells"], strict=True):
                key = page_key(name, variable, source, row["category"].value)
                if not cell["suppressed"]:
                    shown.counts[key] = cell["n"]
                    shown.where[key] = f"{where}: {key[2]} = {cell['n']:,} in {source}"
                if cell.get("percent") is not None:
                    shown.percents[key] = cell["percent"]
        for source, stats in page["numeric"].items():
            if stats.get("n") is not None:
                key = page_key(name, variable, source, VALUE)
                shown.counts[key] = stats["n"]
                shown.where[key] = f"{where}: n = {stats['n']:,} in {source}"
            numeric.append((variable, source, stats))
    return numeric


def _from_codebook(name: str, document: dict | None, shown: Published) -> None:
    if not document:
        return
    for variable, entry in document["tables"].get(name, {}).get("variables", {}).items():
        for source, counts in entry.get("frequencies", {}).items():
            for category, n in counts.items():
                key = page_key(name, variable, source, category)
                if n is not None:
                    shown.counts[key] = n
                    shown.where.setdefault(key, f"codebook.json: {variable} {category} = {n:,} "
                                                f"in {source}")


def _from_ddi(codebooks: Codebooks, name: str, ddi: bytes | None, shown: Published) -> None:
    if not ddi:
        return
    spec = codebooks.tables[name]
    codes = {m.code: m.value for m in codebooks.package.missing}
    for element in ET.fromstring(ddi).iter():
        if not element.tag.endswith("}var") or not element.get("ID", "").startswith(
                f"V_{name}_"):
            continue
        variable = element.get("name")
        var = spec.variables.get(variable)
        if var is None:
            continue
        values = {**codes, **{c.code: c.value for c in var.categories}}
        for category in element:
            if not category.tag.endswith("}catgry"):
                continue
            code = next((c.text for c in category if c.tag.endswith("}catValu")), None)
            stat = next((c.text for c in category if c.tag.endswith("}catStat")), None)
            if code is not None and stat is not None:
                shown.pooled[variable, values[int(code)]] = int(stat)


def _from_summaries(codebooks: Codebooks, name: str, entries: Iterable[dict],
                    shown: Published) -> None:
    spec = codebooks.tables[name]
    min_n = codebooks.package.min_cell_size
    for entry in entries:
        if entry["table"] != name:
            continue
        index = spec.summaries.index(entry["spec"])
        for _, row in entry["rows"]:
            if entry["kind"] == "share":
                if row.percent is not None:
                    shown.summary[index, row.group, ""] = row.percent
                    shown.summary_n[index, row.group] = rounded(row.n, min_n)
                continue
            shown.summary_n[index, row.group] = rounded(row.n, min_n)
            answers = [c.value for c in spec.variables[entry["spec"].outcome].categories]
            for answer, cell in zip(answers, row.cells, strict=True):
                if cell.percent is not None:
                    shown.summary[index, row.group, answer] = cell.percent


def _from_summary_csvs(codebooks: Codebooks, name: str, files: Mapping[str, bytes],
                       shown: Published) -> list[str]:
    """The figures each summary's CSV publishes (``summaries/<table>/<id>.csv``), read back from
    its bytes: percentages and rounded n, as the attacker's figures like the page's."""
    spec = codebooks.tables[name]
    problems = []
    for index, summary in enumerate(spec.summaries):
        path = f"summaries/{name}/{summary.slug}.csv"
        if path not in files:
            continue
        for row in csv.DictReader(io.StringIO(files[path].decode("utf-8"))):
            group = tuple(row[b] for b in summary.by)
            answer = "" if summary.kind == "share" else row["answer"]
            if row["flag"] and row["percent"]:
                problems.append(f"{path}: {' · '.join(group)} is flagged {row['flag']!r} but "
                                f"publishes {row['percent']} %")
            if row["percent"]:
                shown.summary[index, group, answer] = float(row["percent"])
            if row["n"]:
                shown.summary_n[index, group] = int(row["n"])
    return problems


def _changes(codebooks: Codebooks, name: str, entries: Iterable[dict],
             shown: Published) -> list[str]:
    """A change between waves must be the difference of two percentages published as they are:
    one from or to a withheld figure would give it away."""
    spec = codebooks.tables[name]
    problems = []
    for entry in entries:
        if entry["table"] != name:
            continue
        index = spec.summaries.index(entry["spec"])
        at = entry["spec"].by.index("wave") if entry.get("changes") else 0
        for change in entry.get("changes", []):
            if change.points is None:
                continue
            before, after = (change.group[:at] + (wave,) + change.group[at:]
                             for wave in (change.before, change.after))
            p1 = shown.summary.get((index, before, change.answer))
            p2 = shown.summary.get((index, after, change.answer))
            if p1 is None or p2 is None or abs(round(round(p2, 1) - round(p1, 1), 1)
                                               - change.points) > 1e-9:
                problems.append(f"summaries/{name}/{entry['spec'].slug}.html: the change "
                                f"{change.points:+.1f} points in {' · '.join(change.group)} "
                                f"{change.before}–{change.after} is not the difference of two "
                                "published percentages")
    return problems


def _extremes(name: str, frame: pl.DataFrame, numeric: list[tuple[str, str, dict]],
              min_n: int) -> list[str]:
    """Each published lowest or highest value (bottom- or top-coded) that fewer than ``min_n``
    respondents reach: it tells of them."""
    found = []
    for variable, source, stats in numeric:
        values = frame.filter(pl.col("source") == source)[variable].drop_nulls()
        for end in ("low", "high"):
            if stats.get(end) is None:
                continue
            reach = int((values <= stats[end] if end == "low" else values >= stats[end]).sum())
            if reach < min_n:
                found.append(f"{name}.{variable} {source}: the published {end} value "
                             f"{stats[end]:,} is reached by {reach} respondent(s), fewer than "
                             f"{min_n} (variables/{name}/{variable}.html)")
    return found


def _distributions(name: str, frame: pl.DataFrame, numeric: list[tuple[str, str, dict]],
                   min_n: int) -> list[str]:
    """Each published histogram and percentile, checked against the values (.numeric)."""
    found = []
    for variable, source, stats in numeric:
        if not stats.get("bins") and not stats.get("percentiles"):
            continue
        values = frame.filter(pl.col("source") == source)[variable].drop_nulls() \
            .cast(pl.Float64).to_numpy()
        found += audit_numeric(f"variables/{name}/{variable}.html, {source}", values,
                               [b["bin"] for b in stats.get("bins", [])],
                               stats.get("percentiles", []), min_n, stats.get("n") is None)
    return found


def audit_site(codebooks: Codebooks, tables: Mapping[str, pl.DataFrame],
               pages: Mapping[str, list[dict]], summaries: list[dict],
               codebook_json: bytes | None, ddi: bytes | None,
               summary_files: Mapping[str, bytes] | None = None) -> None:
    """The attacker's audit of everything a build publishes about the tables; PrivacyError
    (exit 4) naming each figure that can be worked out, and what pins it down."""
    min_n = codebooks.package.min_cell_size
    document = json.loads(codebook_json) if codebook_json else None
    problems: list[str] = []
    for name, frame in tables.items():
        shown = Published()
        numeric = _from_pages(name, pages.get(name, []), shown)
        _from_codebook(name, document, shown)
        _from_ddi(codebooks, name, ddi, shown)
        _from_summaries(codebooks, name, summaries, shown)
        problems += _from_summary_csvs(codebooks, name, summary_files or {}, shown)
        problems += _changes(codebooks, name, summaries, shown)
        columns = column_counts(codebooks, name, frame)
        groups = summary_groups(codebooks, name, summary_sums(codebooks, name, frame), columns)
        found = figures(codebooks, name, dict(frame.group_by("source").len().iter_rows()),
                        shown, columns, groups)
        leaks: list[Leak] = audit(found.cells, found.equations, found.shares, [], min_n,
                                  min_values=min_n)
        problems += [str(leak) for leak in leaks]
        problems += _extremes(name, frame, numeric, min_n)
        problems += _distributions(name, frame, numeric, min_n)
    if problems:
        shown_problems = problems[:20] + ([f"… and {len(problems) - 20} more"]
                                          if len(problems) > 20 else [])
        raise PrivacyError(
            f"Disclosure: {len(problems)} figure(s) the build would publish give away a count "
            f"below the minimum cell size ({min_n}), or pin a suppressed count to fewer than "
            f"{min_n} possible values:\n  " + "\n  ".join(shown_problems),
            hint="nothing was published. The pages, codebook.json and the DDI file follow one "
                 "suppression plan; a figure added outside it (a template, a download) is what "
                 "the audit caught: see docs/disclosure.md, 'Reading an exit 4'")
