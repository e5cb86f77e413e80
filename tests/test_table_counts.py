"""The published figures of a table come from its counts, and the counts of batches of its rows
add up to those of the whole: what lets the build count a table batch by batch."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from coprod import pipeline
from coprod.disclosure import tables as disclosure
from coprod.project import Project
from coprod.site.pages import with_categories
from coprod.summary import cell_sums, merge_sums, share_cells, weighted_share


@pytest.fixture(scope="module")
def demo() -> tuple:
    codebooks = pipeline.load(Project.at(REPO))
    frames = {name: with_categories(pl.read_parquet(REPO / "processed" / f"{name}.parquet"),
                                    codebooks.tables[name], codebooks)
              for name in codebooks.tables}
    return codebooks, frames


def _batches(frame: pl.DataFrame, cuts: list[int]) -> list[pl.DataFrame]:
    edges = [0, *sorted({min(c, frame.height) for c in cuts}), frame.height]
    return [frame[a:b] for a, b in zip(edges, edges[1:], strict=False) if b > a]


def _same_sums(got: pl.DataFrame, want: pl.DataFrame) -> None:
    keys = [c for c in want.columns if c not in ("n", "w", "w2", "low", "high")]
    got, want = got.sort(keys, nulls_last=True), want.sort(keys, nulls_last=True)
    assert got.select(keys, "n", "low", "high").equals(want.select(keys, "n", "low", "high"))
    for column in ("w", "w2"):
        assert got[column].to_list() == pytest.approx(want[column].to_list(), rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=9000), max_size=4),
       table=st.sampled_from(["institutions", "associations"]))
def test_the_counts_of_batches_add_up_to_those_of_the_whole(demo: tuple, cuts: list[int],
                                                            table: str) -> None:
    codebooks, frames = demo
    frame = frames[table]
    whole = disclosure.table_counts(codebooks, table, frame)
    parts = [disclosure.table_counts(codebooks, table, b) for b in _batches(frame, cuts)]
    total = parts[0]
    for part in parts[1:]:
        total = disclosure.add_counts(codebooks, table, total, part)
    assert total.rows == whole.rows
    assert total.columns == whole.columns
    for got, want in zip(total.summaries, whole.summaries, strict=True):
        _same_sums(got, want)


def test_the_plan_from_counted_batches_is_the_plan_of_the_whole(demo: tuple) -> None:
    codebooks, frames = demo
    for table, frame in frames.items():
        parts = [disclosure.table_counts(codebooks, table, b)
                 for b in _batches(frame, [1000, 4321, 7000])]
        total = parts[0]
        for part in parts[1:]:
            total = disclosure.add_counts(codebooks, table, total, part)
        whole = disclosure.plan(codebooks, table, frame)
        assert whole.hidden, table  # the demo has suppressed counts: the plan is not empty
        assert disclosure.plan_of(codebooks, table, total) == whole


def test_a_share_from_merged_sums_is_the_share_of_the_rows() -> None:
    frame = pl.DataFrame({
        "country": ["dk"] * 5 + ["no"] * 3,
        "collab": ["yes", "yes", "no", "dont_know", "yes", "yes", "no", "no"],
        "weight": [1.0, 2.0, 1.0, 5.0, 1.0, 1.0, 1.0, 1.0],
    })
    merged = merge_sums([cell_sums(frame[:3], "collab", ["country"]),
                         cell_sums(frame[3:], "collab", ["country"])], "collab", ["country"])
    assert share_cells(merged, "collab", ["country"], min_n=2) == weighted_share(
        frame, "collab", ["country"], min_n=2)
