"""A source's design (``design`` in its codebook): population, sampling frame, sample design,
gross sample and a stated response rate; N counted from the data and the response rate
N / issued, on the sources page, in codebook.json and in the DDI file (validated against the
official schemas); a gross sample below N or a text in an undeclared language is a codebook
error naming the file and the field; a source without a design says "not stated"."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from coprod import pipeline
from coprod.errors import ConfigError
from coprod.project import Project

NO_SOURCE = "schemas/sources/no-things-2018.yaml"  # 4 rows in the tiny package
DESIGN = {
    "population": {"en": "Municipal services in two cities", "nb": "Kommunale tjenester i to byer"},
    "sampling_frame": "Kommunenes lister",  # plain text: in the source's language (nb)
    "sample": {"en": "All services on the lists"},
    "issued": 10,
    "response_rate": 50,
}
DDI = "{ddi:codebook:2_5}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _with_design(root: Path, design: dict) -> None:
    path = root / NO_SOURCE
    source = yaml.safe_load(path.read_text(encoding="utf-8"))
    source["design"] = design
    path.write_text(yaml.safe_dump(source, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _build(root: Path) -> Path:
    pipeline.build(Project(root), force=True)
    return root / "build" / "site"


def _row(html: str, source_id: str) -> list[str]:
    """The cells of a source's row in the sources page's design table, as text."""
    table = html.split('<table class="data design">')[1].split("</table>")[0]
    row = re.search(rf"<code>{source_id}</code></th>(.*?)</tr>", table, re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_the_sources_page_shows_the_design_n_and_the_response_rate(tiny: Path) -> None:
    _with_design(tiny, DESIGN)
    html = (_build(tiny) / "sources.html").read_text(encoding="utf-8")
    population, frame, sample, issued, n, rate = _row(html, "no-things-2018")
    assert population == "Municipal services in two cities"
    assert frame == "Kommunenes lister"  # only in Norwegian: shown in it, marked so
    assert '<td lang="nb">Kommunenes lister</td>' in html
    assert sample == "All services on the lists"
    assert (issued, n) == ("10", "4")
    assert rate == "40.0 % stated by the producer: 50.0 %"


def test_a_source_without_a_design_says_not_stated(tiny: Path) -> None:
    html = (_build(tiny) / "sources.html").read_text(encoding="utf-8")
    cells = _row(html, "dk-things-2018")
    assert cells == ["not stated"] * 4 + ["5", "not stated"]


def test_codebook_json_carries_the_design_and_the_computed_rate(tiny: Path) -> None:
    _with_design(tiny, DESIGN)
    _build(tiny)
    sources = json.loads((tiny / "processed" / "codebook.json").read_text(encoding="utf-8")
                         )["sources"]
    assert sources["no-things-2018"]["rows"] == 4
    assert sources["no-things-2018"]["design"] == {
        "population": DESIGN["population"], "sampling_frame": {"nb": "Kommunenes lister"},
        "sample": {"en": "All services on the lists"}, "issued": 10, "response_rate": 40.0,
        "response_rate_declared": 50}
    assert "design" not in sources["dk-things-2018"]


def test_the_ddi_file_has_universe_sampling_and_response_rate(tiny: Path) -> None:
    _with_design(tiny, DESIGN)
    root = ET.parse(_build(tiny) / "downloads" / "codebook-ddi.xml").getroot()
    study = root.find(f"{DDI}stdyDscr")
    universes = {u.get(XML_LANG): u.text for u in study.iter(f"{DDI}universe")}
    assert universes == {"en": "no-things-2018: Municipal services in two cities",
                         "nb": "no-things-2018: Kommunale tjenester i to byer"}
    # method comes after stdyInfo, sampProc in dataColl, respRate in anlyInfo
    children = [child.tag.removeprefix(DDI) for child in study]
    assert children.index("method") == children.index("stdyInfo") + 1
    procedures = {p.get(XML_LANG): p.text for p in study.iter(f"{DDI}sampProc")}
    assert procedures["nb"] == "no-things-2018: Kommunenes lister (10 units issued, 4 responses)"
    assert procedures["en"].startswith("no-things-2018: All services on the lists")
    rate = study.find(f"{DDI}method/{DDI}anlyInfo/{DDI}respRate").text
    assert rate == ("no-things-2018: 40.0 % (10 units issued, 4 responses); stated by the data "
                    "producer: 50.0 %")


def test_the_ddi_file_with_a_design_validates(tiny: Path) -> None:
    from test_standards import RELEASES, SCHEMAS
    etree = pytest.importorskip("lxml.etree")

    _with_design(tiny, DESIGN)
    document = etree.parse(str(_build(tiny) / "downloads" / "codebook-ddi.xml"))
    parser = etree.XMLParser(no_network=True)
    for release in RELEASES:
        schema = etree.XMLSchema(etree.parse(str(SCHEMAS / release / "codebook.xsd"), parser))
        assert schema.validate(document), (release, str(schema.error_log))


def test_a_gross_sample_below_n_is_a_codebook_error(tiny: Path) -> None:
    _with_design(tiny, {**DESIGN, "issued": 3})
    with pytest.raises(ConfigError) as error:
        _build(tiny)
    assert str(error.value).startswith(
        f"{NO_SOURCE}: design.issued: 3 units issued, fewer than the 4 responses")


@pytest.mark.parametrize(("design", "field"), [
    ({"issued": 0}, "issued"), ({"response_rate": 120}, "response_rate"),
    ({"population": {"sv": "Kommunala verksamheter"}}, "population: language 'sv'"),
    ({"sample_size": 10}, "sample_size")])
def test_a_broken_design_names_its_file_and_field(tiny: Path, design: dict,
                                                  field: str) -> None:
    _with_design(tiny, design)
    with pytest.raises(ConfigError) as error:
        _build(tiny)
    message = str(error.value)
    assert NO_SOURCE in message and f"design.{field}" in message, message
