"""Parquet and datapackage.json: deterministic bytes, categories as dictionaries, lineage."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from coprod import pipeline
from coprod.atomic import PublishError, publish
from coprod.project import Project
from coprod.write import sha256


def _package(root: Path) -> list[Path]:
    project = Project(root)
    changed, _ = pipeline.write_package(project, pipeline.load(project))
    return changed


def test_outputs_are_byte_identical_across_runs(tiny: Path) -> None:
    changed = _package(tiny)
    assert sorted(p.name for p in changed) == [
        "codebook.json", "datapackage.json", "things.parquet"]
    first = {p: p.read_bytes() for p in changed}
    assert _package(tiny) == []  # nothing changed, nothing rewritten
    assert {p: p.read_bytes() for p in changed} == first


def test_parquet_has_dictionaries_and_lineage(tiny: Path) -> None:
    _package(tiny)
    schema = pq.read_schema(tiny / "processed" / "things.parquet")
    assert schema.field("collab").type == pa.dictionary(pa.int16(), pa.string())
    assert schema.field("municipality_code").type == pa.string()
    meta = schema.field("collab").metadata
    assert meta[b"label_da"] == b"Collaborates (da)"
    lineage = json.loads(meta[b"lineage"])
    assert lineage["no-things-2018"] == {
        "variable": "samarbeid", "question": "Samarbeider dere?",
        "rule": "recode 1→yes, 0→no; missing 9→dont_know"}
    assert lineage["dk-things-2018"]["rule"] == ("recode 1→yes, 2→no; missing 8→dont_know, "
                                                   "9→refused")
    assert b"synthetic_notice" in schema.metadata


def test_free_text_never_reaches_the_outputs(tiny: Path) -> None:
    _package(tiny)
    table = pq.read_table(tiny / "processed" / "things.parquet")
    assert "kommentar" not in table.column_names
    blob = (tiny / "processed" / "things.parquet").read_bytes()
    assert b"idrettslaget" not in blob


def test_descriptor_describes_what_was_written(tiny: Path) -> None:
    _package(tiny)
    descriptor = json.loads((tiny / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["synthetic"] is True
    assert "Synthetic test data." in descriptor["description"]
    [resource] = descriptor["resources"]
    data = (tiny / "processed" / "things.parquet").read_bytes()
    assert resource["hash"] == f"sha256:{sha256(data)}"
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert [c["value"] for c in fields["collab"]["categories"]][:2] == ["yes", "no"]
    assert fields["size"]["type"] == "integer" and "size_missing" in fields
    assert "weight_missing" not in fields  # weights are required


def test_publish_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_bytes(b"old")
    blocked = tmp_path / "a.txt" / "b.txt"  # its folder is a file: the second write fails
    with pytest.raises(PublishError, match=r"a.txt/b.txt: cannot write .*\n.*is a file where "
                                           r"a folder is needed"):
        publish({target: b"new", blocked: b"x"})
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
