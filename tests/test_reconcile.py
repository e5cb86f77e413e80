"""Reconciliation and the all-or-none rule for not_asked: each gate fails when its check breaks."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from conftest import NO_SOURCE, write_yaml
from coprod import pipeline
from coprod.cli import main
from coprod.errors import GateError
from coprod.harmonize import harmonize_source
from coprod.project import Project
from coprod.reconcile import reconcile


def _parts(root: Path, source_id: str):
    project = Project(root)
    codebooks = pipeline.load(project)
    validated = pipeline.validate(project, codebooks)
    source = codebooks.sources[source_id]
    table = codebooks.tables[source.table]
    frame = validated.frames[source_id]
    part = harmonize_source(frame, source, table, codebooks.package,
                            validated.municipalities[source_id])
    return frame, part, source, table


def test_correct_harmonization_reconciles(tiny: Path) -> None:
    for source_id in ("no-things-2018", "dk-things-2018"):
        assert reconcile(*_parts(tiny, source_id)) == []


def test_a_recoding_slip_is_caught(tiny: Path) -> None:
    frame, part, source, table = _parts(tiny, "no-things-2018")
    slipped = part.with_columns(  # one "no" turned into "yes", as a wrong recode would
        pl.when(pl.col("respondent_id") == "no-things-2018-2").then(pl.lit("yes"))
        .otherwise(pl.col("collab").cast(pl.String)).cast(part.schema["collab"]).alias("collab"))
    assert reconcile(frame, slipped, source, table) == [
        "no-things-2018: samarbeid → collab does not reconcile "
        "(no: source 1 vs harmonized 0, yes: source 2 vs harmonized 3)"]


def test_a_lost_missing_reason_is_caught(tiny: Path) -> None:
    frame, part, source, table = _parts(tiny, "no-things-2018")
    lost = part.with_columns(pl.lit(None).cast(part.schema["size_missing"]).alias("size_missing"))
    [problem] = reconcile(frame, lost, source, table)
    assert "ansatte → size does not reconcile (no_answer: source 1 vs harmonized 0)" in problem


def test_not_asked_for_some_rows_only_fails_the_build(tiny: Path) -> None:
    variables = {**NO_SOURCE["variables"],
                 "samarbeid": {**NO_SOURCE["variables"]["samarbeid"],
                               "missing": {9: "not_asked"}}}
    write_yaml(tiny / "schemas" / "sources" / "no-things-2018.yaml",
               {**NO_SOURCE, "variables": variables})
    project = Project(tiny)
    validated = pipeline.validate(project, pipeline.load(project))
    with pytest.raises(GateError, match=r"no-things-2018: collab is not_asked in 1 of 4 rows"):
        pipeline.harmonize_validated(validated)


def test_a_gate_found_after_the_last_batch_stops_the_build_and_publishes_only_the_report(
        tiny: Path) -> None:
    """The tables are written batch by batch and these gates are known after the last: the
    build stops (exit 1), publishes nothing but the validation report, and says why."""
    assert pipeline.build(Project(tiny)).ran
    before = {p: p.read_bytes() for p in (tiny / "processed").iterdir()}
    report = tiny / "build" / "reports" / "validation.json"
    report.unlink()
    variables = {**NO_SOURCE["variables"],
                 "samarbeid": {**NO_SOURCE["variables"]["samarbeid"],
                               "missing": {9: "not_asked"}}}
    write_yaml(tiny / "schemas" / "sources" / "no-things-2018.yaml",
               {**NO_SOURCE, "variables": variables})
    result = CliRunner().invoke(main, ["--root", str(tiny), "build"])
    assert result.exit_code == 1, result.output
    assert "harmonization does not add up" in result.output
    assert "no-things-2018: collab is not_asked in 1 of 4 rows" in result.output
    assert report.is_file()  # the report of this run says the data were valid
    assert {p: p.read_bytes() for p in (tiny / "processed").iterdir()} == before
