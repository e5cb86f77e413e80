"""`coprod new-source`: a drafted codebook, reviewed, builds to the shipped harmonized output."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from conftest import write_yaml
from coprod.cli import main


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def _forget(root: Path, source_id: str) -> dict:
    """Remove a shipped source codebook (and the notes naming it), as if it were new."""
    path = root / "schemas" / "sources" / f"{source_id}.yaml"
    shipped = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.unlink()
    table = root / "schemas" / "harmonized" / f"{shipped['table']}.yaml"
    spec = yaml.safe_load(table.read_text(encoding="utf-8"))
    for note in spec.get("comparability", []):
        note["sources"] = [s for s in note["sources"] if s != source_id]
    spec["comparability"] = [n for n in spec.get("comparability", []) if n["sources"]]
    write_yaml(table, spec)
    return shipped


@pytest.mark.parametrize(("source_id", "raw"), [
    ("no-institutions-2022", "raw/no/no_virksomheter_2022.csv"),
    ("dk-associations-2016", "raw/dk/dk_foreninger_2016.sav"),
])
def test_reviewed_draft_builds_like_the_shipped_codebook(demo: Path, source_id: str,
                                                         raw: str) -> None:
    assert _run(demo, "build").exit_code == 0
    table = "institutions" if "institutions" in source_id else "associations"
    shipped = pl.read_parquet(demo / "processed" / f"{table}.parquet").filter(
        pl.col("source") == source_id)
    _forget(demo, source_id)

    drafted = _run(demo, "new-source", str(demo / raw), "--id", source_id)
    assert drafted.exit_code == 0, drafted.output
    assert "item(s) to review" in drafted.output
    path = demo / "schemas" / "sources" / f"{source_id}.yaml"
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert draft["review"]

    refused = _run(demo, "build")
    assert refused.exit_code == 1
    assert "drafted codebook items await review" in refused.output

    draft["review"] = []  # the steward has looked at every item
    write_yaml(path, draft)
    built = _run(demo, "build")
    assert built.exit_code == 0, built.output
    rebuilt = pl.read_parquet(demo / "processed" / f"{table}.parquet").filter(
        pl.col("source") == source_id)
    mapped = [name for name, m in draft["mappings"].items() if m != "not_asked"]
    assert len(mapped) >= 8
    for name in mapped:
        assert rebuilt[name].equals(shipped[name]), name
    assert rebuilt["municipality_code_2024"].equals(shipped["municipality_code_2024"])


def test_new_source_refuses_to_overwrite(demo: Path) -> None:
    result = _run(demo, "new-source", str(demo / "raw/no/no_virksomheter_2022.csv"),
                  "--id", "no-institutions-2022")
    assert result.exit_code == 3
    assert "schemas/sources/no-institutions-2022.yaml exists already" in result.output
