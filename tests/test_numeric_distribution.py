"""Numeric variables: the histogram and percentiles a page may show under the disclosure rule
(coprod.disclosure.numeric), their audit, and integers printed as integers."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write_yaml
from coprod import pipeline
from coprod.disclosure.numeric import Bin, Percentile, audit_numeric, grid, histogram, percentiles
from coprod.project import Project
from coprod.site.pages import printed_number, range_label


def _count(values: np.ndarray, b: Bin) -> int:
    low = -math.inf if b.low is None else b.low
    high = math.inf if b.high is None else b.high
    return int(((values >= low) & (values < high)).sum())


def test_histogram_counts_are_the_data_counts_on_a_constructed_frame() -> None:
    values = np.array([1, 2, 2, 3, 10, 11, 12, 15, 19, 20, 25, 29, 29, 31, 40], dtype=float)
    edges = [0.0, 10.0, 20.0, 30.0]
    bins = histogram(values, edges, 1)
    # below 0: none (merged into the next); 0-9: 4; 10-19: 5; 20-29: 4; 30 and over: 2
    assert [(b.low, b.high, b.n) for b in bins] == [(None, 10.0, 4), (10.0, 20.0, 5),
                                                    (20.0, 30.0, 4), (30.0, None, 2)]
    assert all(_count(values, b) == b.n for b in bins)
    # with a minimum of 5: 0-9 (4) is merged with 10-19, and the last (2) with 20-29
    merged = histogram(values, edges, 5)
    assert [(b.low, b.high, b.n) for b in merged] == [(None, 20.0, 9), (20.0, None, 6)]
    assert all(_count(values, b) == b.n for b in merged)
    # fewer than two ranges left: no histogram
    assert histogram(values, edges, 8) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-50, 500), min_size=0, max_size=300), st.integers(1, 12),
       st.booleans())
def test_no_published_range_holds_fewer_than_the_minimum(data: list[int], min_n: int,
                                                         skewed: bool) -> None:
    values = np.array([v ** 2 / 50 if skewed else v for v in data], dtype=float)
    integer = not skewed
    bins = histogram(values, grid(values, integer), min_n)
    if bins:
        assert all(b.n >= min_n and _count(values, b) == b.n for b in bins)
        assert sum(b.n for b in bins) == len(values)
        assert bins[0].low is None and bins[-1].high is None  # no extreme shown
        assert audit_numeric("x", values, bins, [], min_n, n_hidden=False) == []
    for p in percentiles(values, min_n, integer):
        if p.value is not None:
            assert p.step is not None
            assert audit_numeric("x", values, [], [p], min_n, n_hidden=False) == []
            if integer:
                assert p.value == int(p.value)


def test_the_grid_is_round_and_derived_from_the_data() -> None:
    rng = np.random.default_rng(7)
    values = np.round(rng.lognormal(4, 1, 2000))
    edges = grid(values, integer=True)
    widths = {round(b - a, 6) for a, b in zip(edges, edges[1:], strict=False)}
    assert len(widths) == 1 and len(edges) - 1 <= 12
    (width,) = widths
    assert width >= 1 and re.fullmatch(r"(1|2|5)0*", str(int(width)))
    assert all(e % width == 0 for e in edges)
    assert grid(values, integer=True) == edges  # deterministic
    assert grid(values * 10, integer=True) != edges  # from the data, not fixed


def test_percentiles_are_shared_by_the_minimum_of_respondents() -> None:
    values = np.arange(1.0, 101.0)  # 1..100, every value held by one respondent
    found = {p.p: p for p in percentiles(values, 5, integer=True)}
    # P10 is 10 by nearest rank; 1 is the value of one respondent only, so it is rounded to
    # the step at which 5 values round to it: 5 (8..12 round to 10)
    assert (found[10].value, found[10].step) == (10, 5)
    assert (found[50].value, found[90].value) == (50, 90)
    # ties: 5 respondents at exactly 7 publish it as it is
    tied = np.array([1, 2, 3, 4, 7, 7, 7, 7, 7, 9, 10, 11, 12, 13], dtype=float)
    assert {p.p: (p.value, p.step) for p in percentiles(tied, 5, True)}[50] == (7, 1)
    # too few values at or below P10 (10 of 40: 4): not published
    assert percentiles(np.arange(40.0), 5, True)[0].value is None


def test_the_audit_refuses_a_small_range_a_closed_end_and_an_exact_percentile() -> None:
    values = np.arange(1.0, 101.0)
    small = [Bin(None, 3.0, 2), Bin(3.0, None, 98)]
    assert any("holds 2 value(s), fewer than 5" in p
               for p in audit_numeric("page", values, small, [], 5, False))
    closed = [Bin(1.0, 50.0, 49), Bin(50.0, None, 51)]
    assert any("lowest range is closed" in p
               for p in audit_numeric("page", values, closed, [], 5, False))
    exact = [Percentile(10, 10.0, 1.0)]
    assert any("P10 = 10 (to 1) is the value of fewer than 5" in p
               for p in audit_numeric("page", values, [], exact, 5, False))
    hidden = [Bin(None, 50.0, 49), Bin(50.0, None, 51)]
    assert any("suppressed number of values" in p
               for p in audit_numeric("page", values, hidden, [], 5, True))


def test_integers_are_printed_as_integers() -> None:
    assert printed_number(3.0, True) == "3"
    assert printed_number(3762.0, True) == "3,762"
    assert printed_number(1.25, False, 0.01) == "1.25"
    assert printed_number(0.5, False, 0.05) == "0.50"
    assert printed_number(12.5, False, 0.5) == "12.5"
    assert range_label(Bin(None, 100.0, 9), True) == "≤ 99"
    assert range_label(Bin(100.0, 200.0, 9), True) == "100–199"
    assert range_label(Bin(7.0, 8.0, 9), True) == "7"
    assert range_label(Bin(800.0, None, 9), True) == "≥ 800"
    assert range_label(Bin(0.5, 1.0, 9), False) == "0.5–1"


def test_an_integer_variable_page_prints_no_decimals(tiny: Path) -> None:
    path = tiny / "schemas" / "package.yaml"
    write_yaml(path, yaml.safe_load(path.read_text(encoding="utf-8")) | {"min_cell_size": 1})
    pipeline.build(Project(tiny), force=True)
    html = (tiny / "build/site/variables/things/size.html").read_text(encoding="utf-8")
    table = html.split('<section aria-labelledby="num-h">')[1].split("</table>")[0]
    cells = re.findall(r'<td class="num">([^<]*)', table.split("<tbody>")[1])
    # n, mean (two decimals), five percentiles, lowest, highest per source
    assert cells, table
    for row in range(len(cells) // 9):
        n, _mean, *rest = cells[row * 9:(row + 1) * 9]
        assert all(re.fullmatch(r"–|-?[\d,]+ ?", c.strip()) for c in [n, *rest]), cells
    assert '<figure class="chart">' in html.split('<section aria-labelledby="num-h">')[1]


def test_odd_values_give_no_histogram_rather_than_an_error() -> None:
    for values in (np.array([]), np.array([np.nan, np.inf, -np.inf]), np.zeros(50),
                   np.array([np.nan] * 3 + list(range(30)), dtype=float)):
        edges = grid(values, integer=False)
        bins = histogram(values, edges, 5)
        assert all(b.n >= 5 for b in bins)
        for p in percentiles(values, 5, integer=False):
            assert p.value is None or np.isfinite(p.value)
    # all the same: one range only, so no histogram; the value is shared by all
    assert histogram(np.zeros(50), grid(np.zeros(50), True), 5) == []
    assert {p.value for p in percentiles(np.zeros(50), 5, True)} == {0.0}
