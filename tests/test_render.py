"""The site: a page per variable, links that resolve, escaping, deterministic bytes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import write_yaml
from coprod import pipeline
from coprod.project import Project
from coprod.site.render import _human_size


def _build(root: Path) -> Path:
    pipeline.build(Project(root), force=True)
    return root / "build" / "site"


def _links(page: Path) -> list[str]:
    return re.findall(r'(?:href|src)="([^"#]+)', page.read_text(encoding="utf-8"))


def test_index_links_to_every_codebook_page(tiny: Path) -> None:
    site = _build(tiny)
    links = set(_links(site / "index.html"))
    table = yaml.safe_load((tiny / "schemas/harmonized/things.yaml").read_text(encoding="utf-8"))
    for name in table["variables"]:
        assert f"variables/things/{name}.html" in links
        assert (site / "variables" / "things" / f"{name}.html").is_file()


def test_every_internal_link_resolves(tiny: Path) -> None:
    site = _build(tiny)
    for page in site.rglob("*.html"):
        for link in _links(page):
            assert not link.startswith(("http:", "https:", "//", "/")), (page, link)
            assert (page.parent / link).resolve().is_file(), (page, link)


def test_codebook_page_shows_labels_lineage_and_counts(tiny: Path) -> None:
    html = (_build(tiny) / "variables" / "things" / "collab.html").read_text(encoding="utf-8")
    assert "Collaborates (da)" in html and "Collaborates (nb)" in html
    assert "Samarbeider dere?" in html and "Samarbejder I?" in html
    assert "recode 1→yes, 0→no; missing 9→dont_know" in html
    assert "Synthetic test data." in html


def test_html_in_a_label_is_shown_as_text(tiny: Path) -> None:
    path = tiny / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["variables"]["collab"]["label"]["en"] = "<script>alert(1)</script>Collaborates"
    write_yaml(path, table)
    html = (_build(tiny) / "variables" / "things" / "collab.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Collaborates" in html


def test_site_bytes_are_deterministic(tiny: Path) -> None:
    site = _build(tiny)
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    site = _build(tiny)
    again = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert first == again


def _summary_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in body.split("<tr>")[1:]]


SUMMARY_PAGE = "summaries/things/collab-by-country.html"  # the summary's own page


def test_summary_table_shows_weighted_percent_ci_and_n(tiny: Path) -> None:
    rows = _summary_rows((_build(tiny) / SUMMARY_PAGE).read_text(encoding="utf-8"))
    # dk: rows 1 and 4 yes (weights 1, 0.5), row 2 no (weight 1): 1.5 / 2.5
    # no: rows 1 and 4 yes (weights 1.25, 1.0), row 2 no (weight 0.75): 2.25 / 3.0
    assert [r[0] for r in rows] == ["Denmark", "Norway"]
    # n = 3, published rounded to a multiple of the minimum cell size (2)
    assert (rows[0][1], rows[0][3]) == ("60.0", "4")
    # Norway's page hides its one "no" (below the minimum of 2) beside 2 "yes": n of 3 or 4
    # says "no" is 1 or 2, and 75.0 % with weights between 0.75 and 1.25 says at most 1.11, so
    # the audit withholds the percentage. Denmark's weights (0.5 to 1) leave "no" 1 or 2.
    assert (rows[1][1], rows[1][3]) == ("◆", "◆")


def test_summary_page_suppresses_small_cells(tiny: Path) -> None:
    path = tiny / "schemas" / "package.yaml"
    package = yaml.safe_load(path.read_text(encoding="utf-8"))
    package["min_cell_size"] = 4
    write_yaml(path, package)
    site = _build(tiny)
    html = (site / SUMMARY_PAGE).read_text(encoding="utf-8")
    rows = _summary_rows(html)
    assert [r[1:] for r in rows] == [["◆", "–", "◆"], ["◆", "–", "◆"]]
    assert "fewer than 4 respondents is suppressed" in (site / "summary.html").read_text(
        encoding="utf-8")
    assert "fewer than 4 respondents, or one withheld" in html
    assert "60.0" not in html and "75.0" not in html


def test_home_page_json_ld_lists_every_download(tiny: Path) -> None:
    import json

    site = _build(tiny)
    html = (site / "index.html").read_text(encoding="utf-8")
    data = json.loads(html.split('<script type="application/ld+json">')[1].split("</script>")[0])
    assert data["@type"] == "Dataset" and data["version"] == "0.1.0"
    # no homepage declared: the downloads are listed without a URL (never a relative one)
    assert {d["name"] for d in data["distribution"]} == {p.name for p in
                                                         (site / "downloads").iterdir()}
    assert not any("contentUrl" in d for d in data["distribution"])
    assert {c["name"] for c in data["spatialCoverage"]} == {"Denmark", "Norway"}
    assert "Synthetic test data." in data["description"]


def test_search_index_holds_question_texts_in_each_language(tiny: Path) -> None:
    import json

    site = _build(tiny)
    script = (site / "static" / "search-index.js").read_text(encoding="utf-8")
    index = json.loads(script.split("window.COPROD_SEARCH = ", 1)[1].rstrip().rstrip(";"))
    collab = next(d for d in index["documents"] if d["variable"] == "collab")
    # each source's question in its own language's field, stemmed in that language
    assert "Samarbejder I?" in collab["fields"]["question_da"]
    assert "Samarbeider dere?" in collab["fields"]["question_nb"]
    assert index["fields"]["question_da"]["lang"] == "da"
    assert collab["url"] == "variables/things/collab.html"
    # names and labels count for more than question texts, those more than category labels
    boosts = {f: spec["boost"] for f, spec in index["fields"].items()}
    assert boosts["name"] == boosts["label_en"] > boosts["question_da"] > boosts["category_en"]


def test_the_site_carries_a_snowball_stemmer_for_each_language_that_has_one(tiny: Path) -> None:
    """The stemmers of the package's languages, as plain scripts (they work from file://), and
    none of the vendored files unwrapped."""
    site = _build(tiny)
    script = (site / "static" / "search-stemmers.js").read_text(encoding="utf-8")
    for code, language in (("en", "english"), ("da", "danish"), ("nb", "norwegian")):
        assert f'window.COPROD_STEMMERS["{code}"] = exports.stemmer;' in script
        assert f'language="{language}"' in script
    assert "export " not in script.replace("exports", "")
    assert not list((site / "static" / "vendor" / "orama-stemmers").glob("*.cjs"))
    assert (site / "static" / "vendor" / "orama-stemmers" / "LICENSE").is_file()


def test_charts_are_inline_svg_with_title_and_description(tiny: Path) -> None:
    html = (_build(tiny) / SUMMARY_PAGE).read_text(encoding="utf-8")
    svg = html.split('<svg class="chart"')[1].split("</svg>")[0]
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert "Denmark 60.0 %" in svg  # the description carries the figures for screen readers


def test_codebook_page_hides_counts_below_the_minimum(tiny: Path) -> None:
    path = tiny / "schemas" / "package.yaml"
    package = yaml.safe_load(path.read_text(encoding="utf-8"))
    package["min_cell_size"] = 2
    write_yaml(path, package)
    html = (_build(tiny) / "variables" / "things" / "collab.html").read_text(encoding="utf-8")
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("<tr")[1:]]
    # dk: yes 2, no 1, dont_know 1, refused 1 -> three counts of 1 are hidden, all alike
    hidden = "◆"
    assert [(r[0], r[3]) for r in rows] == [
        ("<code>yes</code>", "2"), ("<code>no</code>", hidden),
        ("<code>dont_know</code>", hidden), ("<code>refused</code>", hidden)]
    # no: yes 2, no 1, dont_know 1: two hidden, none alone
    assert [r[5] for r in rows[:3]] == ["2", hidden, hidden]
    # and in a wave with a suppressed count, no percentage: with the total it would tell
    assert [r[4] for r in rows] == ["–"] * 4


def test_a_template_naming_an_undefined_value_fails_the_build(tiny: Path) -> None:
    from click.testing import CliRunner

    from coprod.cli import main

    page = tiny / "site_templates" / "sources.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "{% block content %}", "{% block content %}{{ no_such_value }}", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["--root", str(tiny), "build"])
    assert result.exit_code == 3
    assert "site_templates/sources.html" in result.output
    assert "'no_such_value' is undefined" in result.output
    assert not (tiny / "build" / "site").exists()  # nothing half-rendered


def test_countries_languages_and_classifications_come_from_the_codebooks(tiny: Path) -> None:
    package = tiny / "schemas" / "package.yaml"
    data = yaml.safe_load(package.read_text(encoding="utf-8"))
    data["municipality_references"]["no-2018"].update(status="partial",
                                                      provenance="Statistics Norway, a part")
    write_yaml(package, data)
    site = _build(tiny)
    index = (site / "index.html").read_text(encoding="utf-8")
    # the tiny package's countries and languages, as its codebooks name them
    assert "<strong>Countries</strong> Denmark, Norway</li>" in index
    assert "with labels in English, Danish and Norwegian Bokmål" in index
    sources = (site / "sources.html").read_text(encoding="utf-8")
    assert re.search(r"Norway 2018 <code>no-2018</code></th><td><code>reference/no.csv</code>"
                     r"</td><td><strong>partial</strong>: official, but not every municipality"
                     r"[^<]*</td><td lang=\"en\">Statistics Norway, a part</td>", sources)
    assert "Denmark 2007 <code>dk-2007</code>" in sources and "official classification" in sources
    page = (site / "variables" / "things" / "collab.html").read_text(encoding="utf-8")
    for lang, name in (("en", "English"), ("da", "Dansk"), ("nb", "Norsk bokmål")):
        assert f'<dt lang="{lang}">{name}</dt><dd lang="{lang}">' in page


def test_the_reader_is_among_the_downloads(tiny: Path) -> None:
    """The reader researchers put beside their scripts: the tool's own module, unchanged."""
    import coprod.reader

    site = _build(tiny)
    assert (site / "downloads" / "reader.py").read_bytes() == Path(
        coprod.reader.__file__).read_bytes()
    assert 'href="downloads/reader.py"' in (site / "downloads.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("size", "written"), [
    (0, "0 bytes"), (1, "1 byte"), (812, "812 bytes"), (999, "999 bytes"), (1000, "1.0 KB"),
    (4_300, "4.2 KB"), (10_189, "10 KB"), (319_488, "312 KB"), (1_023_385, "999 KB"),
    (1_024_307, "1.0 MB"), (1_048_576, "1.0 MB"), (2_202_010, "2.1 MB"), (5 * 1024 ** 3, "5.0 GB"),
])
def test_download_sizes_are_written_as_people_write_them(size: int, written: str) -> None:
    """One decimal below 10, none above, never four digits: not "1,000.3 KB" but "1.0 MB"."""
    assert _human_size(size) == written


def test_every_page_names_its_icon(tiny: Path) -> None:
    site = _build(tiny)
    assert (site / "static" / "favicon.svg").read_bytes().startswith(b"<svg")
    for page in site.rglob("*.html"):
        depth = len(page.relative_to(site).parts) - 1
        assert (f'<link rel="icon" href="{"../" * depth}static/favicon.svg" '
                f'type="image/svg+xml">') in page.read_text(encoding="utf-8"), page


def test_availability_shows_labels_and_the_variables_index_availability(tiny: Path) -> None:
    site = _build(tiny)
    matrix = (site / "availability.html").read_text(encoding="utf-8")
    assert re.search(r'<code>collab</code></a> <span class="var-label">Collaborates</span>', matrix)
    index = (site / "variables.html").read_text(encoding="utf-8")
    # per variable, the countries and waves that asked it (the tiny package's Danish source
    # did not ask partner), and how many of the table's sources that is
    cells = dict(re.findall(r'<code>(\w+)</code></a></td>.*?<td class="asked">(.*?)</td></tr>',
                            index))
    assert re.sub(r"<[^>]+>", "", cells["collab"]) == "Denmark 2018; Norway 2018 (2 of 2)"
    assert re.sub(r"<[^>]+>", "", cells["partner"]) == "Norway 2018 (1 of 2)"


def test_the_variables_index_marks_a_partial_source_in_words(tiny: Path) -> None:
    """A source that asked a variable with a major comparability note is partial: a symbol for
    the eye, the word for a screen reader."""
    path = tiny / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["comparability"] = [{"variables": ["collab"], "sources": ["no-things-2018"],
                               "severity": "major", "note": {"en": "Asked otherwise.",
                                                             "da": "Spurgt anderledes.",
                                                             "nb": "Spurt annerledes."}}]
    path.write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
    index = (_build(tiny) / "variables.html").read_text(encoding="utf-8")
    cell = re.search(r'<code>collab</code></a></td>.*?<td class="asked">(.*?)</td></tr>',
                     index).group(1)
    assert re.sub(r"<[^>]+>", "", cell) == "Denmark 2018; Norway 2018◐ (partial) (2 of 2)"
    assert '<span class="visually-hidden"> (partial)</span>' in cell


def test_integer_extremes_are_printed_as_integers(tiny: Path) -> None:
    """On a numeric variable's page the percentiles and the lowest and highest values of an
    integer variable are integers; its mean keeps two decimals; a number variable's extremes
    are printed as they are."""
    site = _build(tiny)
    rows = re.findall(r'<tr><th scope="row">[^<]+</th><td class="num[^>]*>[^<]+</td>\s*'
                      r'((?:\s*<td class="num">(?:[^<]|<span[^>]*>[^<]*</span>)*</td>){8})'
                      r'\s*</tr>',
                      (site / "variables" / "things" / "size.html").read_text(encoding="utf-8"))
    assert rows
    for row in rows:
        mean, *percentiles, low, high = re.findall(r'<td class="num">([^<]*)', row)
        assert re.fullmatch(r"[\d,]+\.\d\d|–", mean)
        assert all(re.fullmatch(r"[\d,]+ ?|–", p) for p in percentiles), row
        assert re.fullmatch(r"[\d,]+|–", low) and re.fullmatch(r"[\d,]+|–", high), row
        assert any(v != "–" for v in (low, high)), row
    weight = (site / "variables" / "things" / "weight.html").read_text(encoding="utf-8")
    assert re.search(r'<td class="num">\d+(\.\d+)?</td>\s*</tr>', weight)
