"""A new wave is data, not code: a raw file plus a codebook file, and nothing in src/ changes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import polars as pl
import yaml
from click.testing import CliRunner

from conftest import REPO, write_yaml
from coprod.cli import main


def _tool_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((REPO / "src" / "coprod").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_adding_a_wave_needs_only_a_raw_file_and_a_codebook(demo: Path) -> None:
    before = _tool_digest()
    # The steward's whole change: the delivery, and a codebook derived from last wave's.
    shutil.copy(demo / "raw" / "no" / "no_virksomheter_2018.csv",
                demo / "raw" / "no" / "no_virksomheter_2019.csv")
    codebook = yaml.safe_load(
        (demo / "schemas" / "sources" / "no-institutions-2018.yaml").read_text(encoding="utf-8"))
    codebook.update(id="no-institutions-2019", file="raw/no/no_virksomheter_2019.csv",
                    title="Kommuneundersøkelsen 2019 (SYNTETISKE DEMODATA, test)")
    write_yaml(demo / "schemas" / "sources" / "no-institutions-2019.yaml", codebook)

    result = CliRunner().invoke(main, ["--root", str(demo), "build"])
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(demo / "processed" / "institutions.parquet")
    norway = frame.filter(pl.col("country") == "no")
    original = norway.filter(pl.col("wave") == 2018).height
    assert norway.filter(pl.col("wave") == 2019).height == original
    summary = (demo / "build/site/summaries/institutions/collab_any-by-country-wave.html"
               ).read_text(encoding="utf-8")
    assert "<td>2019</td>" in summary
    assert _tool_digest() == before
