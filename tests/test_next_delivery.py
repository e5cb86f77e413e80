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
from next_delivery import add_country, add_wave, demo_only

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
    root = demo_only(copy_package(tmp_path_factory.mktemp("next") / "package", origin=REPO))
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
    summary = "".join(page.read_text(encoding="utf-8")  # every summary table's page
                      for page in sorted((site / "summaries").rglob("*.html")))
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


# --- the same deliveries, from the raw file through `coprod new-source` -------------------------


def _placeholders_filled(draft: object, finished: object) -> object:
    """The steward's hand work on a draft: every '?' or DRAFT text gets what the finished
    codebook says there; everything else of the draft stays as it was drafted."""
    if isinstance(draft, dict):
        return {k: _placeholders_filled(v, finished.get(k) if isinstance(finished, dict)
                                        else None) for k, v in draft.items()}
    if isinstance(draft, str) and (draft == "?" or "DRAFT" in draft) and finished is not None:
        return finished
    return draft


def _without_notes(mappings: dict) -> dict:
    return {k: {n: v for n, v in m.items() if n != "note"} if isinstance(m, dict) else m
            for k, m in mappings.items()}


def test_the_next_wave_is_drafted_and_finished_with_a_stewards_edits(tmp_path: Path) -> None:
    import yaml

    root = demo_only(copy_package(tmp_path / "package", origin=REPO))
    harmonized = root / "schemas" / "harmonized" / "institutions.yaml"
    shipped_table = harmonized.read_text(encoding="utf-8")
    wave = add_wave(root)
    path = root / "schemas" / "sources" / f"{wave}.yaml"
    finished = yaml.safe_load(path.read_text(encoding="utf-8"))
    finished_table = harmonized.read_text(encoding="utf-8")
    path.unlink()  # the delivery arrives without its codebook
    harmonized.write_text(shipped_table, encoding="utf-8")

    drafted = _run(root, "new-source", str(root / finished["file"]), "--id", wave)
    assert drafted.exit_code == 0, drafted.output
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    review = "\n".join(draft["review"])
    # another dialect than 2022's, read off the file
    assert draft["dialect"] == finished["dialect"]
    assert re.search(r"dialect: the file is utf-8, tab-separated, decimal '\.', LF lines; "
                     r"no-institutions-2022 was cp1252, semicolon-separated", review)
    # the three renames proposed by content, with their evidence
    for old, new in (("ansatte_totalt", "antall_tilsatte"),
                     ("samarbeid_frivillige", "samarbeid_enkeltfrivillige"),
                     ("holdning_leder", "leders_holdning")):
        assert re.search(rf"variables\.{new}: continues {old} of no-institutions-2022 "
                         r"\(score 0\.\d\d: [^)]*\)", review), (old, review)
    # the dropped question, the lost don't-knows and the new answer flagged
    assert "mappings.form_cocreation: no-institutions-2022 maps it from form_samskaping, " \
           "which the file lacks" in review
    assert re.search(r"variables\.initiativ: missing code 9 \(dont_know, \d+ rows\) of "
                     r"no-institutions-2022 occurs in no row", review)
    assert "variables.samarbeid_lag_foreninger.values: code 2 is new" in review
    # what the draft proposes is what the finished codebook says, but for the hand work (and
    # the 2022 reason for the question dropped then, carried over as 2022 wrote it)
    previous = yaml.safe_load((root / "schemas/sources/no-institutions-2022.yaml").read_text(
        encoding="utf-8"))
    assert draft["mappings"]["form_codesign"] == previous["mappings"]["form_codesign"]
    assert _without_notes(draft["mappings"]) == {
        **_without_notes(finished["mappings"]),
        "collab_associations": {"from": "samarbeid_lag_foreninger",
                                "recode": {1: "yes", 0: "no"}},
        "form_cocreation": "not_asked", "form_codesign": previous["mappings"]["form_codesign"]}

    # The steward's edits: the new category (harmonized codebook), the recode of code 2, the
    # reason for the dropped question; the placeholders written; the review list deleted.
    harmonized.write_text(finished_table, encoding="utf-8")
    edited = _placeholders_filled(draft, finished)
    edited["mappings"]["collab_associations"]["recode"][2] = "partly"
    edited["mappings"]["form_cocreation"] = finished["mappings"]["form_cocreation"]
    del edited["review"]
    path.write_text(yaml.safe_dump(edited, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    checked = _run(root, "validate", wave)
    assert checked.exit_code == 0, checked.output
    assert "[missing-code-unused]" in checked.output  # still said, until the file is fixed
    built = _run(root, "build")
    assert built.exit_code == 0, built.output
    frame = pl.read_parquet(root / "processed" / "institutions.parquet").filter(
        pl.col("source") == wave)
    assert frame.height == _data_rows(root, wave)
    assert frame["n_employees"].null_count() < frame.height  # mapped from the renamed column


def test_a_new_country_goes_from_its_raw_file_to_a_green_build(tmp_path: Path) -> None:
    import yaml

    root = demo_only(copy_package(tmp_path / "package", origin=REPO))
    country = add_country(root)  # the country's files: language, labels, classification
    path = root / "schemas" / "sources" / f"{country}.yaml"
    finished = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.unlink()

    drafted = _run(root, "new-source", str(root / finished["file"]), "--id", country)
    assert drafted.exit_code == 0, drafted.output
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert draft["dialect"] == finished["dialect"]  # its own dialect, decimal comma included
    assert (draft["id_variable"], draft["municipality"]) == (
        finished["id_variable"], finished["municipality"])
    assert draft["language"] == "?" and "language:" in "\n".join(draft["review"])
    refused = _run(root, "build")
    assert refused.exit_code == 1

    # The steward writes the language, title, fieldwork, question texts, labels and mappings.
    edited = _placeholders_filled(draft, finished)
    edited["variables"] = finished["variables"]
    edited["mappings"] = finished["mappings"]
    del edited["review"]
    path.write_text(yaml.safe_dump(edited, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    checked = _run(root, "validate")
    assert checked.exit_code == 0, checked.output
    built = _run(root, "build")
    assert built.exit_code == 0, built.output
    index = (root / "build" / "site" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<strong>Countries</strong>[^<]*Sweden", index)
