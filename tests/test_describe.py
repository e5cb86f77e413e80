"""Lineage, availability and the machine-readable codebook, and `coprod codebook`."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import yaml
from click.testing import CliRunner

from conftest import write_yaml
from coprod import pipeline
from coprod.cli import main
from coprod.describe import availability, codebook_document, lineage
from coprod.project import Project


def _harmonized(root: Path):
    project = Project(root)
    codebooks = pipeline.load(project)
    return codebooks, pipeline.harmonize_validated(pipeline.validate(project, codebooks)).tables


def test_lineage_names_source_variable_question_and_rule(tiny: Path) -> None:
    codebooks, _ = _harmonized(tiny)
    rules = lineage(codebooks, "things")
    assert rules["size"]["dk-things-2018"] == {
        "variable": "ansatte", "question": "Antal ansatte",
        "rule": "copy; missing 9999→dont_know"}
    assert rules["partner"]["dk-things-2018"]["rule"] == "not asked in this source: not_asked"
    assert rules["municipality_code"]["no-things-2018"]["variable"] == "kommunenr"


def test_availability_matrix(tiny: Path) -> None:
    codebooks, tables = _harmonized(tiny)
    matrix = availability(codebooks, "things", tables["things"])
    assert matrix["partner"] == {"dk-things-2018": "not_asked", "no-things-2018": "available"}
    assert matrix["collab_any"]["dk-things-2018"] == "not_asked"  # a part was not asked
    assert matrix["size"] == {"dk-things-2018": "available", "no-things-2018": "available"}
    read_back = pipeline.build(Project(tiny)) and pl.read_parquet(
        tiny / "processed" / "things.parquet")  # categories come back as Categorical
    assert availability(codebooks, "things", read_back) == matrix


def test_a_numeric_variable_answered_by_everyone_is_available(tiny: Path) -> None:
    """Its reason column is empty (null) in every row: that is every value present, not a
    question never asked."""
    codebooks, tables = _harmonized(tiny)
    source = pl.col("source") == "no-things-2018"
    answered = tables["things"].with_columns(
        pl.when(source).then(pl.col("size").fill_null(7)).otherwise(pl.col("size")),
        pl.when(source).then(None).otherwise(pl.col("size_missing")).alias("size_missing"))
    assert answered.filter(source)["size_missing"].null_count() == answered.filter(source).height
    assert availability(codebooks, "things", answered)["size"]["no-things-2018"] == "available"


def test_major_comparability_note_makes_a_variable_partial(tiny: Path) -> None:
    path = tiny / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    table["comparability"] = [{"variables": ["collab"], "sources": ["no-things-2018"],
                               "severity": "major",
                               "note": {"en": "x", "da": "x", "nb": "x"}}]
    write_yaml(path, table)
    codebooks, tables = _harmonized(tiny)
    matrix = availability(codebooks, "things", tables["things"])
    assert matrix["collab"] == {"dk-things-2018": "available", "no-things-2018": "partial"}


def test_codebook_document_counts_equal_the_table(tiny: Path) -> None:
    codebooks, tables = _harmonized(tiny)
    doc = codebook_document(codebooks, tables)
    collab = doc["tables"]["things"]["variables"]["collab"]
    # counts below the minimum (2 here) are null, as the site suppresses them
    assert collab["frequencies"]["no-things-2018"] == {"dont_know": None, "no": None, "yes": 2}
    assert collab["label"] == {"en": "Collaborates", "da": "Collaborates (da)",
                               "nb": "Collaborates (nb)"}
    size = doc["tables"]["things"]["variables"]["size"]
    assert size["frequencies"]["dk-things-2018"] == {"<value>": None, "dont_know": None}
    assert doc["sources"]["no-things-2018"]["language"] == "nb"


def test_build_writes_the_codebook_json(tiny: Path) -> None:
    pipeline.build(Project(tiny))
    doc = json.loads((tiny / "processed" / "codebook.json").read_text(encoding="utf-8"))
    assert doc["tables"]["things"]["variables"]["partner"]["availability"]["dk-things-2018"] \
        == "not_asked"


def test_codebook_command(tiny: Path) -> None:
    pipeline.build(Project(tiny))
    result = CliRunner().invoke(main, ["--root", str(tiny), "codebook", "collab"])
    assert result.exit_code == 0, result.output
    assert "things.collab (categorical, group other)" in result.output
    assert "label [da]: Collaborates (da)" in result.output
    assert ("no-things-2018 [available]: samarbeid: recode 1→yes, 0→no; missing 9→dont_know "
            "«Samarbeider dere?»") in result.output
    unknown = CliRunner().invoke(main, ["--root", str(tiny), "codebook", "nothing"])
    assert unknown.exit_code == 2
    assert "no harmonized variable 'nothing'" in unknown.output


def test_missing_translation_is_reported_by_validate(tiny: Path) -> None:
    path = tiny / "schemas" / "harmonized" / "things.yaml"
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    del table["variables"]["collab"]["label"]["nb"]
    write_yaml(path, table)
    result = CliRunner().invoke(main, ["--root", str(tiny), "validate"])
    assert result.exit_code == 1
    lines = path.read_text(encoding="utf-8").splitlines()
    collab = lines.index("  collab:")
    line = next(i for i in range(collab, len(lines)) if lines[i] == "    label:") + 1
    assert (f"schemas/harmonized/things.yaml:{line}: variables.collab.label: no nb text: add it "
            "to the codebook") in result.output
