"""The next deliveries (tests/next_delivery.py: a new Norwegian wave in another dialect, and a new
country with its own language) are files only: the shipped package with them validates, builds
and publishes them, and the generic tests of the repository's package pass on it as they do on
the demo (DESIGN §6, "ready for the next delivery")."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from conftest import REPO, copy_package
from coprod.cli import main
from coprod.codebook import load_codebooks
from next_delivery import add_country, add_wave

# Generic tests of the repository's package, run against the package with the next deliveries
# (about 50 s). Left out to keep time down: the browser and interrupt tests, the bad-input
# catalogue and the pull-request replay (all pass on it: run the whole suite with COPROD_PACKAGE
# set to try), and modules of tiny packages that do not read the package (test_render does: its
# templates).
GENERIC = ["tests/test_end_to_end.py", "tests/test_demo_data.py", "tests/test_reference.py",
           "tests/test_new_wave.py", "tests/test_render.py"]


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str]:
    """The shipped demo package (always the repository's: these are *its* next deliveries)
    with both deliveries added, and built once. Read only."""
    root = copy_package(tmp_path_factory.mktemp("next") / "package", origin=REPO)
    wave, country = add_wave(root), add_country(root)
    result = _run(root, "build")
    assert result.exit_code == 0, result.output
    return root, wave, country, result.output


def _data_rows(root: Path, source_id: str) -> int:
    source = load_codebooks(root / "schemas").sources[source_id]
    text = (root / source.file).read_bytes().decode(source.dialect.encoding)
    return text.count(source.dialect.line_terminator) - 1  # the header


def test_the_next_deliveries_validate_build_and_are_published(delivered) -> None:
    root, wave, country, output = delivered
    checked = _run(root, "validate")
    assert checked.exit_code == 0, checked.output
    # The don't-knows the new wave delivered as empty cells are pointed out, not swallowed.
    assert re.search(rf"{wave}.yaml:\d+: variables.initiativ: no row is dont_know, .*"
                     r"\[missing-code-unused\]", output), output

    codebooks = load_codebooks(root / "schemas")
    for source_id in (wave, country):
        source = codebooks.sources[source_id]
        frame = pl.read_parquet(root / "processed" / f"{source.table}.parquet").with_columns(
            pl.col("country").cast(pl.String))
        rows = frame.filter(pl.col("source") == source_id)
        assert rows.height == _data_rows(root, source_id) > 0
        assert set(rows["country"]) == {source.country}
        assert set(rows["wave"]) == {2024}
    institutions = pl.read_parquet(root / "processed" / "institutions.parquet")
    assert "se" not in set(institutions["country"].cast(pl.String))  # Sweden: associations
    new = institutions.filter(pl.col("source") == wave)
    assert "partly" in set(new["collab_associations"].cast(pl.String))
    # partly counts as yes: collab_any is yes wherever a part is partly
    partly = new.filter(pl.col("collab_associations") == "partly")
    assert set(partly["collab_any"].cast(pl.String)) == {"yes"}
    assert set(new["form_cocreation"].cast(pl.String)) == {"not_asked"}

    site = root / "build" / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<strong>Countries</strong>[^<]*Sweden", index)
    sources = (site / "sources.html").read_text(encoding="utf-8")
    for source_id in (wave, country):
        assert f"<code>{source_id}</code>" in index and f"<code>{source_id}</code>" in sources
    assert "reference/se_kommuner_2024.csv" in sources
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    titles = [s["title"] for s in descriptor["sources"]]
    assert any(t.startswith(f"{wave}: ") for t in titles)
    assert any(t.startswith(f"{country}: ") for t in titles)
    summary = (site / "summary.html").read_text(encoding="utf-8")
    assert re.search(r'<th scope="row">Sweden</th>\s*<td>2024</td>', summary)
    assert re.search(r'<th scope="row">Norway</th>\s*<td>2024</td>', summary)
    # Every language's label is on a variable page, marked with its lang; so are Swedish
    # question texts.
    page = (site / "variables" / "associations" / "collab_institution.html").read_text(
        encoding="utf-8")
    assert '<dd lang="sv">Samarbetar med en eller flera kommunala verksamheter</dd>' in page
    assert '<td lang="sv">Samarbetar föreningen med en eller flera kommunala' in page


def test_the_generic_tests_pass_with_the_next_deliveries(delivered) -> None:
    """The repository's generic tests, run against the package with both deliveries
    (COPROD_PACKAGE): a steward's pull request adding them would pass CI."""
    root = delivered[0]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *GENERIC],
        cwd=REPO, env={**os.environ, "COPROD_PACKAGE": str(root)}, capture_output=True,
        text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
