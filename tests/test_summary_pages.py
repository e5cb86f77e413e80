"""A page per summary table: its permalink, its CSV (exactly the page's figures, suppressed cells
empty), the change between waves, and the index of tables."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import yaml

from conftest import write_yaml
from coprod import pipeline
from coprod.codebook import Summary, load_codebooks
from coprod.errors import ConfigError
from coprod.project import Project
from coprod.site.summaries import changes
from coprod.summary import ShareCell

PAGE = "summaries/things/collab-by-country"  # collab by country, no among: its derived id


def _build(root: Path) -> Path:
    pipeline.build(Project(root), force=True)
    return root / "build" / "site"


def _table_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in body.split("<tr>")[1:]]


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_every_summary_has_its_page_and_csv_linked_from_the_index(tiny: Path) -> None:
    site = _build(tiny)
    codebooks = load_codebooks(tiny / "schemas")
    index = (site / "summary.html").read_text(encoding="utf-8")
    for name, table in codebooks.tables.items():
        for spec in table.summaries:
            path = f"summaries/{name}/{spec.slug}"
            assert (site / f"{path}.html").is_file() and (site / f"{path}.csv").is_file()
            assert f'href="{path}.html"' in index and f'href="{path}.csv"' in index
    page = (site / f"{PAGE}.html").read_text(encoding="utf-8")
    assert "<h1>Things collaborating" in page and '<svg class="chart"' in page
    assert 'href="collab-by-country.csv"' in page
    # the index lists the tables, it does not repeat their figures
    assert '<svg class="chart"' not in index and "60.0" not in index


def test_a_permalink_does_not_change_with_the_title_or_the_order(tiny: Path) -> None:
    path = tiny / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = table["summaries"][0]
    table["summaries"] = [{"title": {"en": "Partners", "da": "P", "nb": "P"},
                           "outcome": "partner", "by": ["country"]},
                          {**first, "title": {"en": "Renamed", "da": "R", "nb": "R"}}]
    write_yaml(path, table)
    site = _build(tiny)
    assert "<h1>Renamed" in (site / f"{PAGE}.html").read_text(encoding="utf-8")
    assert (site / "summaries/things/partner-by-country.html").is_file()


def test_two_summaries_with_one_id_are_refused_at_load(tiny: Path) -> None:
    path = tiny / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["summaries"].append({**table["summaries"][0],
                               "title": {"en": "Again", "da": "A", "nb": "A"}})
    write_yaml(path, table)
    with pytest.raises(ConfigError, match=r"same page summaries/things/collab-by-country\.html"):
        load_codebooks(tiny / "schemas")
    table["summaries"][1]["id"] = "collab-again"
    write_yaml(path, table)
    ids = [s.slug for s in load_codebooks(tiny / "schemas").tables["things"].summaries]
    assert ids == ["collab-by-country", "collab-again"]


def test_the_csv_holds_exactly_the_figures_of_the_page(tiny: Path) -> None:
    site = _build(tiny)
    rows = _table_rows((site / f"{PAGE}.html").read_text(encoding="utf-8"))
    records = _csv(site / f"{PAGE}.csv")
    assert [r["country_label"] for r in records] == [r[0] for r in rows] == ["Denmark", "Norway"]
    for row, record in zip(rows, records, strict=True):
        if record["flag"] == "suppressed":
            assert row[1:] == ["◆", "–", "◆"]
            assert (record["percent"], record["ci_low"], record["ci_high"], record["n"]) == \
                ("", "", "", "")
        else:
            assert row[1:] == [record["percent"], f"{record['ci_low']}–{record['ci_high']}",
                               record["n"]]
    # Denmark 60.0 % of n 3 (rounded to 4); Norway withheld by the plan (test_render)
    assert (records[0]["country"], records[0]["percent"], records[0]["n"]) == ("dk", "60.0", "4")
    assert records[1]["flag"] == "suppressed"


def test_suppressed_cells_are_absent_from_the_csv(tiny: Path) -> None:
    path = tiny / "schemas" / "package.yaml"
    package = yaml.safe_load(path.read_text(encoding="utf-8"))
    package["min_cell_size"] = 4
    write_yaml(path, package)
    site = _build(tiny)
    text = (site / f"{PAGE}.csv").read_text(encoding="utf-8")
    records = _csv(site / f"{PAGE}.csv")
    assert all(r["flag"] == "suppressed" and not r["percent"] and not r["n"] for r in records)
    assert "60.0" not in text and "75.0" not in text


def test_the_csv_is_the_same_bytes_on_every_build(tiny: Path) -> None:
    first = (_build(tiny) / f"{PAGE}.csv").read_bytes()
    assert (_build(tiny) / f"{PAGE}.csv").read_bytes() == first


def _cell(group: tuple[str, ...], percent: float | None, low: float | None = None,
          high: float | None = None, *, not_asked: bool = False) -> ShareCell:
    return ShareCell(group, 100, percent, low, high, not_asked=not_asked)


def test_change_between_waves_on_a_constructed_case(tiny: Path) -> None:
    table = load_codebooks(tiny / "schemas").tables["things"]
    spec = Summary(title={"en": "t"}, outcome="collab", by=["country", "wave"])
    cells = [("", _cell(g, *v)) for g, v in [
        (("dk", "2016"), (50.04, 40.0, 60.0)),
        (("dk", "2018"), (55.06, 61.0, 70.0)),   # printed 55.1 - 50.0 = +5.1; 60.0 < 61.0
        (("dk", "2020"), (None,)),                # suppressed: so is the change to it
        (("no", "2022"), (30.0, 20.0, 40.0)),
        (("no", "2018"), (40.0, 35.0, 45.0)),     # waves in order, whatever the rows' order
        (("no", "2024"), (None,)),
    ]]
    cells.append(("", _cell(("no", "2026"), None, not_asked=True)))
    found = changes(table, spec, [(c.group, a, c) for a, c in cells])
    assert [(c.group, c.before, c.after, c.points, c.overlap) for c in found] == [
        (("dk",), "2016", "2018", 5.1, False),
        (("dk",), "2018", "2020", None, None),
        (("no",), "2018", "2022", -10.0, True),
        (("no",), "2022", "2024", None, None),
    ]
    assert found[0].labels == ("Denmark",)
    # a table not split by wave and country shows no change
    assert changes(table, Summary(title={"en": "t"}, outcome="collab", by=["country"]),
                   [(c.group, a, c) for a, c in cells]) == []
