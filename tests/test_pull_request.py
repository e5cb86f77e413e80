"""A steward's pull request, replayed: a new 2024 wave with one bad value is annotated on its
line and fails; once fixed it builds, and `coprod diff` asks for a minor release naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from conftest import REPO, write_yaml
from coprod.cli import main


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def test_new_wave_pull_request(demo: Path, tmp_path: Path) -> None:
    shutil.copy(REPO / "CHANGELOG.md", demo / "CHANGELOG.md")
    assert _run(demo, "build").exit_code == 0
    released = tmp_path / "released"
    shutil.copytree(demo, released)  # the package as on main before the pull request

    # The pull request: a delivery and its codebook (derived from the last wave's).
    lines = (demo / "raw/no/no_virksomheter_2022.csv").read_bytes().split(b"\r\n")
    header = lines[0].decode("cp1252").split(";")
    column = header.index("samarbeid_frivillige")
    cells = lines[5].decode("cp1252").split(";")  # data row 5, physical line 6
    good = cells[column]
    cells[column] = "3"
    lines[5] = ";".join(cells).encode("cp1252")
    (demo / "raw/no/no_virksomheter_2024.csv").write_bytes(b"\r\n".join(lines))
    codebook = yaml.safe_load(
        (demo / "schemas/sources/no-institutions-2022.yaml").read_text(encoding="utf-8"))
    codebook.update(id="no-institutions-2024", file="raw/no/no_virksomheter_2024.csv",
                    title="Kommuneundersøkelsen 2024 (SYNTETISKE DEMODATA, test)")
    write_yaml(demo / "schemas/sources/no-institutions-2024.yaml", codebook)

    checked = _run(demo, "validate", "--format", "github")
    assert checked.exit_code == 1
    expected_col = 1 + sum(len(c) + 1 for c in cells[:column])
    assert (f"::error file=raw/no/no_virksomheter_2024.csv,line=6,col={expected_col},"
            "title=no-institutions-2024%3A unknown-code::row 5, column samarbeid_frivillige, "
            "value '3': code 3 is not in the codebook") in checked.output
    assert "| `no-institutions-2024` | `raw/no/no_virksomheter_2024.csv` |" in checked.output

    cells[column] = good  # the steward's fix
    lines[5] = ";".join(cells).encode("cp1252")
    (demo / "raw/no/no_virksomheter_2024.csv").write_bytes(b"\r\n".join(lines))
    built = _run(demo, "build")
    assert built.exit_code == 0, built.output
    assert _run(demo, "build", "--check").exit_code == 0

    diff = _run(demo, "diff", str(released), "--format", "json",
                "--changelog", str(demo / "CHANGELOG.md"))
    assert diff.exit_code == 0, diff.output
    result = json.loads(diff.output)
    assert result["bump"] == "minor"
    assert result["proposed_version"] == "0.3.0"
    assert "source `no-institutions-2024` (1021 rows)" in result["changelog"]
    changelog = (demo / "CHANGELOG.md").read_text(encoding="utf-8")
    intro, entries = changelog.split("\n## ", 1)  # the entry goes where the entries begin
    assert intro.startswith("# Changelog\n\nAll notable changes")
    assert entries.startswith("0.3.0 (unreleased): minor release")
    assert entries.index("## 0.2.") > entries.index("no-institutions-2024")


def test_diff_against_a_git_ref_finds_a_breaking_change(demo: Path) -> None:
    import subprocess

    assert _run(demo, "build").exit_code == 0
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=demo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=demo, check=True)
    subprocess.run([*git, "commit", "-qm", "release"], cwd=demo, check=True)

    path = demo / "schemas" / "harmonized" / "associations.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    del spec["variables"]["public_funding"]
    for note in spec["comparability"]:
        note["variables"] = [v for v in note["variables"] if v != "public_funding"]
    spec["comparability"] = [n for n in spec["comparability"] if n["variables"]]
    write_yaml(path, spec)
    for source in (demo / "schemas" / "sources").glob("*associations*.yaml"):
        codebook = yaml.safe_load(source.read_text(encoding="utf-8"))
        codebook["mappings"].pop("public_funding")
        write_yaml(source, codebook)
    rebuilt = _run(demo, "build")
    assert rebuilt.exit_code == 0, rebuilt.output

    result = _run(demo, "diff", "HEAD")
    assert result.exit_code == 0, result.output
    assert "**Version bump needed: major** (proposed version 1.0.0)." in result.output
    assert "| removed-field | major | column `associations.public_funding` |" in result.output
