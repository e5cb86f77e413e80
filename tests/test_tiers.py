"""Publication tiers: the demo built open (microdata published, as shipped) and restricted
(only aggregates public; the microdata with their full codebook in build/restricted/, with the
conditions of use)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from coprod.cli import main

CONDITIONS = "For research only, by licensed users who sign the data agreement; no linking."


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


@pytest.fixture(scope="module")
def restricted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import copy_package

    root = copy_package(tmp_path_factory.mktemp("restricted") / "demo",
                        ("schemas", "raw", "reference", "site_templates"))
    path = root / "schemas" / "package.yaml"
    package = yaml.safe_load(path.read_text(encoding="utf-8"))
    package.update(access="restricted", conditions=CONDITIONS)
    path.write_text(yaml.safe_dump(package, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    result = _run(root, "build")
    assert result.exit_code == 0, result.output
    return root


def _public(root: Path) -> list[Path]:
    return [p for p in [root / "datapackage.json", *(root / "processed").rglob("*"),
                        *(root / "build" / "site").rglob("*")] if p.is_file()]


def test_a_restricted_build_publishes_no_microdata(restricted: Path) -> None:
    assert sorted(p.name for p in (restricted / "processed").iterdir()) == ["codebook.json"]
    downloads = sorted(p.name for p in (restricted / "build/site/downloads").iterdir())
    assert downloads == ["codebook-ddi.xml", "codebook.json", "datapackage.json"]
    # no row of microdata: no respondent id anywhere in the public files
    ids = set(pl.read_parquet(restricted / "build/restricted/processed/institutions.parquet")[
        "respondent_id"].head(50).to_list())
    for path in _public(restricted):
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert not any(i in text for i in ids), path
    descriptor = json.loads((restricted / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["access"] == "restricted"
    assert [r["path"] for r in descriptor["resources"]] == ["processed/codebook.json"]
    downloads_page = (restricted / "build/site/downloads.html").read_text(encoding="utf-8")
    assert "Microdata: restricted" in downloads_page and CONDITIONS in downloads_page


def test_the_restricted_bundle_holds_what_a_licensed_user_needs(restricted: Path) -> None:
    bundle = restricted / "build" / "restricted"
    assert sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()) \
        == ["CONDITIONS.md", "codebook.json", "datapackage.json",
            "processed/associations.parquet", "processed/institutions.parquet"]
    assert CONDITIONS in (bundle / "CONDITIONS.md").read_text(encoding="utf-8")
    full = json.loads((bundle / "codebook.json").read_text(encoding="utf-8"))
    public = json.loads((restricted / "processed/codebook.json").read_text(encoding="utf-8"))
    counts = full["tables"]["institutions"]["variables"]["collab_associations"]["frequencies"]
    assert None not in [n for source in counts.values() for n in source.values()]
    shown = public["tables"]["institutions"]["variables"]["collab_associations"]["frequencies"]
    assert any(n is None for source in shown.values() for n in source.values())
    frictionless = Path(sys.executable).parent / "frictionless"
    checked = subprocess.run([str(frictionless), "validate", "datapackage.json"], cwd=bundle,
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout[-2000:]


def test_the_public_descriptor_of_a_restricted_build_validates(restricted: Path) -> None:
    frictionless = Path(sys.executable).parent / "frictionless"
    checked = subprocess.run([str(frictionless), "validate", "datapackage.json"],
                             cwd=restricted, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout[-2000:]
    assert _run(restricted, "build", "--check").exit_code == 0


def test_the_summary_tables_are_the_same_in_both_tiers(restricted: Path, demo: Path) -> None:
    assert _run(demo, "site").exit_code == 0  # the open demo, as shipped
    # the build id differs, and only an open package has the extract page in its menu
    strip = re.compile(r'<code title="SHA-256[^<]*</code>|\n\s*<li><a '
                       r'href="(?:\.\./)*extract.html">Extract</a></li>')
    pages = sorted(p.relative_to(demo / "build/site").as_posix()
                   for p in (demo / "build/site/summaries").rglob("*"))
    assert pages and pages == sorted(p.relative_to(restricted / "build/site").as_posix()
                                     for p in (restricted / "build/site/summaries").rglob("*"))
    for page in ["summary.html", *pages]:
        if page.endswith((".html", ".csv")):
            assert strip.sub("", (restricted / "build/site" / page).read_text(encoding="utf-8")) \
                == strip.sub("", (demo / "build/site" / page).read_text(encoding="utf-8")), page
