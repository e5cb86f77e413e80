"""The attacker's audit runs in every build: each kind of leak a tester found, planted into the
demo's build by changing what one output publishes, stops the build with exit 4, names the
table, the cell and what pins it, and publishes nothing. The plan the outputs follow leaves no
leak in the demo (its build passes the audit in both tiers: tests/test_tiers.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from conftest import copy_package, published
from coprod import describe
from coprod.cli import main
from coprod.disclosure import tables as disclosure
from coprod.disclosure.tables import TablePlan, page_key
from coprod.site import pages, render


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_package(tmp_path_factory.mktemp("audit") / "demo")
    result = CliRunner().invoke(main, ["--root", str(root), "build"])
    assert result.exit_code == 0, result.output
    return root


def _build_refused(root: Path, *expected: str) -> str:
    before = published(root)
    result = CliRunner().invoke(main, ["--root", str(root), "build", "--force"])
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output and "Internal error" not in result.output
    assert "Disclosure:" in result.output, result.output
    for text in expected:
        assert text in result.output, (text, result.output)
    assert published(root) == before  # nothing published
    return result.output


def _primary_only(codebooks, name, counts) -> TablePlan:  # noqa: ANN001
    """The old rule's first half: each small count hidden, nothing else."""
    min_n = codebooks.package.min_cell_size
    return TablePlan(frozenset(page_key(name, v, s, c) for (v, s), column in
                               counts.columns.items() for c, n in column.items()
                               if 0 < n < min_n))


def test_a_lone_suppressed_count_beside_its_total_is_caught(built: Path, monkeypatch) -> None:
    """Complement: with the column's total published, one hidden count is the total minus the
    others."""
    monkeypatch.setattr(disclosure, "plan_of", _primary_only)  # every plan is made by it
    output = _build_refused(built, "rows of ")
    assert "everything published puts it between" in output


def test_percentages_beside_suppressed_counts_are_caught(built: Path, monkeypatch) -> None:
    """Percentage rounding: a percentage of the valid answers shown in a column with suppressed
    counts gives the hidden sum to within its rounding."""
    original = pages._category_rows

    def with_percentages(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        rows = original(*args, **kwargs)
        valid = [sum(r["cells"][i]["n"] for r in rows if not r["missing"])
                 for i in range(len(rows[0]["cells"]))] if rows else []
        for row in rows:
            for i, cell in enumerate(row["cells"]):
                if not row["missing"] and not cell["suppressed"] and valid[i]:
                    cell["percent"] = 100 * cell["n"] / valid[i]
        return rows

    monkeypatch.setattr(pages, "_category_rows", with_percentages)
    _build_refused(built, " % in ", "everything published puts it between")


def test_pooled_counts_of_suppressed_cells_are_caught(built: Path, monkeypatch) -> None:
    """Pooled count: the DDI file's frequency of a category over all sources, where one source's
    count is suppressed, is that count plus published ones."""
    original = render.ddi_bytes
    monkeypatch.setattr(render, "ddi_bytes", lambda codebooks, tables, plans: original(
        codebooks, tables, {name: TablePlan() for name in plans}))
    _build_refused(built, "codebook-ddi.xml: ")


def test_an_extreme_of_one_respondent_is_caught(built: Path, monkeypatch) -> None:
    """Single-respondent extreme: a minimum or maximum no other respondent reaches."""
    original = pages.numeric_summary
    monkeypatch.setattr(pages, "numeric_summary",
                        lambda frame, column, min_n=1: original(frame, column, 1))
    _build_refused(built, "is reached by 1 respondent(s), fewer than 5")


def test_a_histogram_or_percentile_of_too_few_respondents_is_caught(built: Path,
                                                                    monkeypatch) -> None:
    """Histograms and percentiles made without the rule (a minimum of 1): a range of fewer than
    5 values, or a percentile that is one respondent's exact value, is caught."""
    histogram, percentiles = pages.numeric_rule.histogram, pages.numeric_rule.percentiles
    monkeypatch.setattr(pages.numeric_rule, "histogram",
                        lambda values, edges, min_n: histogram(values, edges, 1))
    monkeypatch.setattr(pages.numeric_rule, "percentiles",
                        lambda values, min_n, integer: percentiles(values, 1, integer))
    _build_refused(built, "is the value of fewer than 5 respondents")


def test_an_exact_small_count_in_a_download_is_caught(built: Path, monkeypatch) -> None:
    """A small count published exactly in codebook.json, though the pages hide it."""
    original = describe.frequencies
    monkeypatch.setattr(describe, "frequencies",
                        lambda name, columns, plan=None: original(name, columns, None))
    _build_refused(built, "below the minimum cell size, is published exactly",
                   "codebook.json: ")


def test_the_plan_leaves_no_count_the_audit_can_pin(built: Path) -> None:
    """What the demo publishes: no count from 1 to 4 anywhere in codebook.json, and every
    suppressed count left at least min_cell_size possible values (the build passed the audit);
    a column with a suppressed count has at least two."""
    document = json.loads((built / "processed" / "codebook.json").read_text(encoding="utf-8"))
    for table in document["tables"].values():
        for variable in table["variables"].values():
            for counts in variable.get("frequencies", {}).values():
                shown = [n for n in counts.values() if n is not None]
                assert all(n == 0 or n >= 5 for n in shown), (variable["name"], counts)
                assert sum(n is None for n in counts.values()) != 1, (variable["name"], counts)


def test_two_small_counts_that_sum_below_the_minimum_get_a_third_hidden(built: Path) -> None:
    """The old rule hid a second count only beside a lone small one: 2 and 1 hidden beside 373
    published leave 0 to 3 for each, four values. The plan hides a third."""
    frame = pl.read_parquet(built / "processed" / "institutions.parquet")
    from coprod import pipeline
    from coprod.project import Project
    from coprod.site.pages import with_categories

    codebooks = pipeline.load(Project.at(built))
    frame = with_categories(frame, codebooks.tables["institutions"], codebooks)
    columns = disclosure.column_counts(codebooks, "institutions", frame)
    plan = disclosure.plan(codebooks, "institutions", frame)
    for (variable, source), counts in columns.items():
        hidden = plan.column("institutions", variable, source)
        small = {c for c, n in counts.items() if 0 < n < 5}
        assert small <= hidden
        # with the column's total published, each hidden count lies between 0 and their sum
        assert not hidden or sum(counts[c] for c in hidden) >= 4, (variable, source, counts)
        if small and sum(counts[c] for c in small) < 4:
            assert hidden > small, (variable, source, counts, hidden)


def test_the_demo_is_built_and_audited_again_from_scratch(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "again"
    shutil.copytree(built, root)
    result = CliRunner().invoke(main, ["--root", str(root), "build", "--force"])
    assert result.exit_code == 0, result.output
    assert published(root) == published(built)


def _site_inputs(root: Path) -> tuple:
    """What the build's audit reads, made again from a built package."""
    from coprod import pipeline
    from coprod.project import Project
    from coprod.site.summaries import summaries

    project = Project.at(root)
    codebooks = pipeline.load(project)
    tables = render._read_tables(render.Outputs(project, {}), codebooks)
    plans = disclosure.plans(codebooks, tables)
    pages_by_table = {name: pages.variable_pages(codebooks, codebooks.tables[name], frame,
                                                 plans[name]) for name, frame in tables.items()}
    entries = summaries(codebooks, tables, plans)
    return codebooks, tables, plans, pages_by_table, entries, summaries


def test_a_summary_csv_that_publishes_a_withheld_percentage_is_caught(built: Path) -> None:
    """The CSV beside a summary's page is read back by the audit: one that prints a percentage
    the page withholds gives the count away, as the page would."""
    from coprod.errors import PrivacyError

    codebooks, tables, plans, pages_by_table, entries, summaries = _site_inputs(built)
    assert any(p.withheld for p in plans.values())  # the demo has a withheld percentage
    honest = {e["path"] + ".csv": e["csv"] for e in entries}
    document = (built / "processed" / "codebook.json").read_bytes()
    ddi = (built / "build/site/downloads/codebook-ddi.xml").read_bytes()
    disclosure.audit_site(codebooks, tables, pages_by_table, entries, document, ddi, honest)
    # the same tables made without the withheld percentages: their CSVs print them
    unwithheld = summaries(codebooks, tables, {n: TablePlan(p.hidden) for n, p in plans.items()})
    leaky = {e["path"] + ".csv": e["csv"] for e in unwithheld}
    assert leaky != honest
    with pytest.raises(PrivacyError, match="Disclosure:"):
        disclosure.audit_site(codebooks, tables, pages_by_table, entries, document, ddi, leaky)
    # a row flagged suppressed that still prints its percentage is named
    path, data = next((p, d) for p, d in honest.items() if b",suppressed" in d)
    text = data.decode().replace(",,,,,suppressed", ",50.0,40.0,60.0,,suppressed", 1)
    with pytest.raises(PrivacyError, match=f"{path}: .* is flagged 'suppressed' but publishes"):
        disclosure.audit_site(codebooks, tables, pages_by_table, entries, document, ddi,
                              {**honest, path: text.encode()})


def test_a_change_between_waves_from_a_withheld_percentage_is_caught(built: Path) -> None:
    """A change shown where one of its two percentages is withheld would give it away (the
    other is published): the audit refuses it."""
    import dataclasses

    from coprod.errors import PrivacyError

    codebooks, tables, plans, pages_by_table, entries, _ = _site_inputs(built)
    document = (built / "processed" / "codebook.json").read_bytes()
    ddi = (built / "build/site/downloads/codebook-ddi.xml").read_bytes()
    entry = next(e for e in entries if any(c.points is None for c in e["changes"]))
    entry["changes"] = [dataclasses.replace(c, points=1.0, overlap=True)
                        if c.points is None else c for c in entry["changes"]]
    with pytest.raises(PrivacyError, match="is not the difference of two published"):
        disclosure.audit_site(codebooks, tables, pages_by_table, entries, document, ddi, {})
