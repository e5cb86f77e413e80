"""Weighted shares with confidence intervals and suppression, checked against hand computation."""

from __future__ import annotations

import math

import polars as pl
import pytest

from coprod.summary import weighted_share


def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "country": ["dk"] * 5 + ["no"] * 3,
        "collab": ["yes", "yes", "no", "dont_know", "yes", "yes", "no", "no"],
        "weight": [1.0, 2.0, 1.0, 5.0, 1.0, 1.0, 1.0, 1.0],
        "source": ["a"] * 5 + ["b"] * 3,
    })


def test_weighted_share_matches_hand_computation() -> None:
    [dk, no] = weighted_share(_frame(), "collab", ["country"], min_n=2)
    # dk: answered rows have weights 1, 2, 1, 1; yes weights 1 + 2 + 1 = 4 of 5
    assert dk.group == ("dk",) and dk.n == 4
    assert dk.percent == pytest.approx(80.0)
    n_eff = 5.0**2 / (1 + 4 + 1 + 1)  # Kish: (Σw)² / Σw²
    z = 1.959963984540054
    centre = (0.8 + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(0.8 * 0.2 / n_eff + z * z / (4 * n_eff**2))
    assert dk.low == pytest.approx(100 * (centre - half))
    assert dk.high == pytest.approx(100 * (centre + half))
    assert no.percent == pytest.approx(100 / 3)


def test_small_cells_are_suppressed_without_figures() -> None:
    [dk, no] = weighted_share(_frame(), "collab", ["country"], min_n=4, secondary=False)
    assert not dk.suppressed
    assert no.suppressed and (no.percent, no.low, no.high) == (None, None, None)
    assert no.n == 3


def test_no_suppressed_cell_can_be_derived_from_its_margin() -> None:
    """Three municipalities of one country: the smallest is below the minimum. Alone, it could
    be recovered from the country's share, so the next smallest is suppressed too."""
    frame = pl.DataFrame({
        "country": ["dk"] * 21,
        "municipality": ["a"] * 10 + ["b"] * 8 + ["c"] * 3,
        "collab": (["yes"] * 6 + ["no"] * 4) + (["yes"] * 5 + ["no"] * 3) + ["yes", "no", "no"],
        "weight": [1.0] * 21,
    })
    cells = weighted_share(frame, "collab", ["country", "municipality"], min_n=5)
    assert [(c.group[1], c.suppressed, c.secondary) for c in cells] == [
        ("a", False, False), ("b", True, True), ("c", True, False)]
    assert all(c.n >= 5 for c in cells if not c.suppressed)
    # With one cell shown, the two hidden ones share the margin: neither can be derived.
    shown = [c for c in cells if not c.suppressed]
    assert len([c for c in cells if c.suppressed]) != 1 and len(shown) == 1


def test_weighted_distribution_matches_hand_computation() -> None:
    from coprod.summary import weighted_distribution

    frame = pl.DataFrame({
        "country": ["dk"] * 6,
        "initiative": ["institution", "institution", "association", "both", "institution",
                       "dont_know"],
        "weight": [1.0, 1.0, 2.0, 1.0, 1.0, 9.0],
    })
    [row] = weighted_distribution(frame, "initiative", ["country"],
                                  ["institution", "association", "both"], min_n=1)
    assert row.group == ("dk",) and row.n == 5  # dont_know is left out
    assert [c.percent for c in row.cells] == pytest.approx([50.0, 100 / 3, 100 / 6])
    [small] = weighted_distribution(frame, "initiative", ["country"],
                                    ["institution", "association", "both"], min_n=2)
    assert [c.suppressed for c in small.cells] == [False, True, True]
    assert [c.n for c in small.cells] == [3, 1, 1]
    [zero] = weighted_distribution(frame, "initiative", ["country"],
                                   ["institution", "association", "both", "citizens"], min_n=2)
    assert zero.cells[3].percent == 0.0 and not zero.cells[3].suppressed


def test_a_share_counts_every_answer_category_in_its_base() -> None:
    """A new answer ("partly") is part of the base of the share of yes, never dropped."""
    frame = _frame().with_columns(pl.Series("collab", ["yes", "partly", "no", "dont_know", "yes",
                                                        "yes", "no", "partly"]))
    [dk, no] = weighted_share(frame, "collab", ["country"], min_n=2,
                              answers=("yes", "partly", "no"))
    assert (dk.n, no.n) == (4, 3)
    assert dk.percent == pytest.approx(100 * 2 / 5)  # yes weights 1 + 1 of 1 + 2 + 1 + 1
    assert no.percent == pytest.approx(100 / 3)


@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (score interval)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_the_interval_is_wilsons_as_published(successes: int, n: int, low: float,
                                               high: float) -> None:
    from coprod.summary import wilson

    assert wilson(successes / n, n) == pytest.approx((low, high), abs=5e-5)


def test_an_interval_near_100_percent_stays_inside() -> None:
    frame = pl.DataFrame({"country": ["dk"] * 45, "collab": ["yes"] * 43 + ["no"] * 2,
                          "weight": [1.0] * 45, "source": ["a"] * 45})
    [cell] = weighted_share(frame, "collab", ["country"], min_n=2)
    assert cell.percent == pytest.approx(95.56, abs=0.01)
    assert 0 < cell.low < cell.percent < cell.high < 100  # a Wald interval would reach 100
