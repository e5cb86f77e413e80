"""The site's charts (coprod.site.charts) as markup: colour by country in a shade per wave, safe for
colour-blind readers; values clear of the whiskers; labels wrapped to their column; one note
for the bars a group lacks; a legend for stacked answers; a caption; the same bytes every time.
How they look in a browser, at phone and desktop width, is tested in test_browser.py."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import pytest
import yaml

from conftest import write_yaml
from coprod import pipeline
from coprod.codebook import load_codebooks
from coprod.project import Project
from coprod.site import pages
from coprod.site.charts import (
    FONT,
    LABEL_MAX,
    SMALL,
    Bar,
    Row,
    Shades,
    answer_colours,
    bars,
    contrast,
    stacked,
    text_width,
    wrap,
)

PACKAGE = Path(__file__).resolve().parents[1]
DEMO = Shades(("dk", "no"), {"dk": ["2016", "2018"], "no": ["2018", "2022"]})


def _texts(svg: str, kind: str) -> list[tuple[dict[str, str], str]]:
    """(attributes, text) of each <text> of the given class."""
    out = []
    for attributes, text in re.findall(r"<text([^>]*)>([^<]*)</text>", svg):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', attributes))
        if kind in attrs.get("class", "").split():
            out.append((attrs, text))
    return out


# --- colour ------------------------------------------------------------------------------------

# Machado, Oliveira & Fernandes (2009), severity 1: linear RGB as the dichromat sees it
CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}


def _lab(colour: str, vision: str | None = None) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour, as seen with ``vision`` (None: typical)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    rgb = [linear(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5)]
    if vision is not None:
        rgb = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True))))
               for row in CVD[vision]]
    r, g, b = rgb
    x, y, z = (0.4124 * r + 0.3576 * g + 0.1805 * b, 0.2126 * r + 0.7152 * g + 0.0722 * b,
               0.0193 * r + 0.1192 * g + 0.9505 * b)

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116
    fx, fy, fz = f(x / 0.95047), f(y), f(z / 1.08883)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _distance(a: str, b: str, vision: str | None) -> float:
    return math.dist(_lab(a, vision), _lab(b, vision))


def test_the_site_colours_each_country_and_shades_each_wave() -> None:
    """Built from the demo codebooks: Denmark and Norway in different hues, each wave of a
    country in its own shade (the latest in the full hue), the same on every call."""
    shades = pages.shades(load_codebooks(PACKAGE / "schemas"))
    assert shades == DEMO
    dk16, dk18, no18, no22 = (shades(c, w) for c, w in (("dk", 2016), ("dk", "2018"),
                                                        ("no", "2018"), ("no", 2022)))
    assert len({dk16.fill, dk18.fill, no18.fill, no22.fill}) == 4
    assert dk16.stroke == dk18.stroke != no18.stroke == no22.stroke  # the country's outline
    assert shades("dk", None) == dk18  # waves pooled: the country's full hue
    assert shades("dk", "1999") == dk18 and shades("se", "2018") == shades(None)
    assert shades("no", "2018") == Shades(("dk", "no"), {"no": ["2022", "2018"]})("no", "2018")


@pytest.mark.parametrize("vision", [None, *CVD])
def test_country_and_wave_shades_stay_apart_for_colour_blind_readers(vision: str | None) -> None:
    fills = [DEMO(c, w).fill for c, w in (("dk", "2016"), ("dk", "2018"), ("no", "2018"),
                                           ("no", "2022"))]
    for a, b in itertools.combinations(fills, 2):
        assert _distance(a, b, vision) >= 20, (vision, a, b)


def test_every_bar_is_outlined_with_3_to_1_contrast_on_white() -> None:
    """WCAG 1.4.11: a light shade of an earlier wave is outlined in its country's dark
    shade; the full hues hold 3:1 by themselves."""
    for country, wave in itertools.product(("dk", "no", None), ("2016", "2018", "2022", None)):
        fill = DEMO(country, wave)
        assert contrast(fill.stroke, "#ffffff") >= 3, (country, wave, fill)
    for country in ("dk", "no"):
        assert contrast(DEMO(country).fill, "#ffffff") >= 3


@pytest.mark.parametrize(("count", "ordinal"), [(2, False), (4, False), (6, False),
                                                (7, False), (3, True), (4, True), (5, True)])
@pytest.mark.parametrize("vision", [None, *CVD])
def test_neighbouring_answers_stay_apart_for_colour_blind_readers(
        count: int, ordinal: bool, vision: str | None) -> None:
    colours = answer_colours(count, ordinal=ordinal)
    assert len(colours) == len(set(colours)) == count
    for a, b in itertools.pairwise(colours):
        assert _distance(a, b, vision) >= 15, (count, ordinal, vision, a, b)


# --- bars --------------------------------------------------------------------------------------


def test_a_bar_chart_fills_its_container_and_keeps_its_text_size() -> None:
    """No viewBox (it would scale the text with the width): width 100 %, the label column in
    the left padding, positions in percent, text in px."""
    svg = bars([Bar("Denmark 2016", 40.0, 35.0, 45.0, country="dk", wave="2016")],
               title="T", description="D", shades=DEMO)
    assert "viewBox" not in svg and 'width="100%"' in svg and 'role="img"' in svg
    padding = re.search(r"padding:0 ([\d.]+)px 0 ([\d.]+)px", svg)
    assert padding is not None
    assert float(padding[2]) >= text_width("Denmark 2016") + 10
    assert float(padding[1]) >= text_width("100.0") + 5  # room for a value after a full bar
    assert f'font-size="{FONT}"' in svg and FONT >= 11 and SMALL >= 11
    assert f'fill="{DEMO("dk", "2016").fill}"' in svg and 'width="40%"' in svg


def test_the_value_stands_after_the_whisker_not_on_it() -> None:
    svg = bars([Bar("a", 50.0, 41.5, 58.25), Bar("b", 20.0), Bar("c", 30.0, 10.0, 25.0)],
               title="T", description="D")
    values = [(attrs["x"], attrs["dx"], text) for attrs, text in _texts(svg, "ch-value")]
    assert values == [("58.25%", "5", "50.0"), ("20%", "5", "20.0"), ("30%", "5", "30.0")]
    assert svg.count('class="ch-ci"') == 2  # a whisker with a white halo under the dark line
    assert 'x1="41.5%" x2="58.25%"' in svg


def test_bars_are_grouped_under_headings_and_long_labels_wrap() -> None:
    long = "Health promotion and prevention of illness among the elderly"
    svg = bars([Bar("School", 90.0, group="Denmark", country="dk"),
                Bar(long, 45.0, group="Denmark", country="dk"),
                Bar("School", 77.4, group="Norway", country="no")],
               title="T", description="D", shades=DEMO)
    assert [text for _, text in _texts(svg, "ch-head")] == ["Denmark", "Norway"]
    labels = [text for _, text in _texts(svg, "ch-label")]
    assert labels[0] == "School" and labels[-1] == "School" and len(labels) > 3
    assert " ".join(labels[1:-1]) == long
    assert all(text_width(line) <= LABEL_MAX for line in labels)
    assert wrap(long, LABEL_MAX) == labels[1:-1]
    assert f'fill="{DEMO("dk").fill}"' in svg and f'fill="{DEMO("no").fill}"' in svg


def test_a_word_longer_than_the_label_column_is_broken_to_fit() -> None:
    """After a hyphen where there is one, else between letters: no label runs off the chart."""
    assert wrap("Nordre-Land-kommune-og-Søndre-Land", LABEL_MAX) == [
        "Nordre-Land-kommune-", "og-Søndre-Land"]
    lines = wrap("Aa" * 30 + " og", LABEL_MAX)
    assert "".join(lines).replace(" ", "") == "Aa" * 30 + "og"
    assert all(text_width(line) <= LABEL_MAX for line in lines) and lines[-1].endswith(" og")
    assert wrap("", LABEL_MAX) == [""]


def test_bars_a_group_lacks_are_named_once_under_its_heading() -> None:
    svg = bars([Bar("Denmark 2016", None, group="Citizens", note="not offered"),
                Bar("Norway 2018", None, group="Citizens", note="not offered"),
                Bar("Norway 2022", 7.0, group="Citizens"),
                Bar("Norway 2022", None, group="Others")],
               title="T", description="D")
    assert [t for _, t in _texts(svg, "ch-note")] == [
        "Not offered: Denmark 2016, Norway 2018.", "◆ suppressed"]
    assert [t for _, t in _texts(svg, "ch-label")] == ["Norway 2022", "Norway 2022"]
    with pytest.raises(ValueError, match="not together"):
        bars([Bar("a", 1.0, group="x"), Bar("b", 1.0, group="y"), Bar("c", 1.0, group="x")],
             title="T", description="D")


def test_text_is_escaped_and_measured_like_dejavu_sans() -> None:
    svg = bars([Bar("<b>&amp;</b>", 10.0, group="A & B")], title="<T>", description="a<b",
               caption="Base: x < y")
    assert "<b>" not in svg and "&lt;b&gt;&amp;amp;&lt;/b&gt;" in svg and "A &amp; B" in svg
    assert "<title" in svg and "&lt;T&gt;" in svg and "<figcaption" in svg
    # as Chromium sets DejaVu Sans at 12 px
    assert text_width("Denmark 2016") == pytest.approx(89.5, abs=0.5)
    assert text_width("Idrætsanlæg") > text_width("Idraetsanlg")  # æ as wide as it is


def test_a_chart_is_the_same_bytes_every_time_and_says_its_base() -> None:
    def make() -> str:
        return bars([Bar("x", 33.333333, 30.1, 36.7, country="no", wave="2018")],
                    title="T", description="D", caption="Base: valid answers.", shades=DEMO,
                    salt="s1")
    assert make() == make()
    assert 'width="33.33%"' in make()
    assert make().endswith('<figcaption class="ch-caption">Base: valid answers.</figcaption>')
    assert bars([], title="T", description="D", caption="Base: none.") == \
        '<figcaption class="ch-caption">Base: none.</figcaption>'


# --- stacked -----------------------------------------------------------------------------------


def test_a_stacked_chart_has_a_legend_and_values_where_they_fit() -> None:
    rows = [Row("2016", [51.4, 22.8, 14.6, 8.0, 3.2], group="Denmark"),
            Row("2018", [51.0, 22.4, None, 7.0, 2.6], group="Denmark"),
            Row("2018", [48.2, 28.5, 14.2, 0.0, 9.1], group="Norway")]
    names = ["Institution", "Association", "Both", "Administration", "Others"]
    svg = stacked(rows, names, title="T", description="D", caption="Base: x.")
    legend = re.findall(r'<li><svg[^>]*><rect[^>]* fill="([^"]+)"[^>]*/></svg>([^<]+)</li>', svg)
    assert [name for _, name in legend] == names
    assert [colour for colour, _ in legend] == answer_colours(5)
    assert [t for _, t in _texts(svg, "ch-note")] == ["◆ suppressed"]  # the row with a None
    inside = {t: attrs["class"] for attrs, t in _texts(svg, "ch-inside")}
    assert inside["51.4"] == "ch-inside" and inside["48.2"] == "ch-inside"  # fits a phone
    assert inside.get("8.0") in (None, "ch-inside ch-wide")  # only where the chart is wide
    assert "3.2" not in inside and "0.0" not in inside
    # segments of the first and last rows (an answer not offered, 0 %, has none), and the legend
    assert svg.count("<rect") == 5 + 4 + 5


def test_the_text_inside_a_segment_reads_on_its_colour() -> None:
    svg = stacked([Row("a", [60.0, 40.0])], ["x", "y"], ordinal=True, title="T",
                  description="D")
    fills = re.findall(r'<rect x="[^"]*" y="[^"]*" width="[^"]*" height="\d+" fill="([^"]+)"',
                       str(svg).split("<ul")[0])
    texts = [attrs["fill"] for attrs, _ in _texts(svg, "ch-inside")]
    assert len(fills) == len(texts) == 2
    for fill, ink in zip(fills, texts, strict=True):
        assert contrast(fill, ink) >= 4.5, (fill, ink)


# --- on the built site -------------------------------------------------------------------------


def test_the_built_site_colours_denmark_and_norway_apart_and_states_each_base(
        tiny: Path) -> None:
    path = tiny / "schemas" / "package.yaml"  # no count suppressed, so every bar is drawn
    write_yaml(path, yaml.safe_load(path.read_text(encoding="utf-8")) | {"min_cell_size": 1})
    pipeline.build(Project(tiny), force=True)
    site = tiny / "build" / "site"
    shades = pages.shades(load_codebooks(tiny / "schemas"))
    variable = (site / "variables" / "things" / "collab.html").read_text(encoding="utf-8")
    chart = variable.split('<figure class="chart">')[1].split("</figure>")[0]
    fills = set(re.findall(r'<rect [^>]*fill="([^"]+)"', chart))
    assert fills == {shades("dk", 2018).fill, shades("no", 2018).fill}
    assert shades("dk", 2018).fill != shades("no", 2018).fill
    assert [t for _, t in _texts(chart, "ch-label")][:2] == ["Denmark 2018", "Norway 2018"]
    assert "<figcaption" in chart and "Base: the valid answers" in chart and "unweighted" in chart
    summary = "".join(p.read_text(encoding="utf-8")
                      for p in sorted((site / "summaries").rglob("*.html")))
    captions = re.findall(r'<figcaption class="ch-caption">([^<]+)</figcaption>', summary)
    assert captions and all("Base: the respondents who answered" in c and "weighted" in c
                            for c in captions)
