"""A steward's pull request, replayed: a new wave with one bad value is annotated on its line and
fails; once fixed it builds, and `coprod diff` asks for a minor release naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from conftest import PACKAGE_ROOT, REPO, write_yaml
from coprod.cli import main
from coprod.codebook import load_codebooks

BASE = "no-institutions-2022"  # the demo wave the new one is derived from


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def test_new_wave_pull_request(demo: Path, tmp_path: Path) -> None:
    changelog = PACKAGE_ROOT / "CHANGELOG.md"
    shutil.copy(changelog if changelog.is_file() else REPO / "CHANGELOG.md",
                demo / "CHANGELOG.md")
    assert _run(demo, "build").exit_code == 0
    released = tmp_path / "released"
    shutil.copytree(demo, released)  # the package as on main before the pull request
    codebooks = load_codebooks(demo / "schemas")
    # The wave after the package's latest of the same country and survey.
    wave = 2 + max(s.wave for s in codebooks.sources.values()
                   if (s.country, s.table) == ("no", "institutions"))
    new_id, new_file = f"no-institutions-{wave}", f"raw/no/no_virksomheter_{wave}.csv"

    # The pull request: a delivery and its codebook (derived from an earlier wave's).
    base = codebooks.sources[BASE]
    dialect = base.dialect
    lines = (demo / base.file).read_bytes().decode(dialect.encoding).split(
        dialect.line_terminator)
    header = lines[0].split(dialect.delimiter)
    column = header.index("samarbeid_frivillige")
    cells = lines[5].split(dialect.delimiter)  # data row 5, physical line 6
    good = cells[column]
    cells[column] = "3"
    lines[5] = dialect.delimiter.join(cells)

    def deliver() -> None:
        (demo / new_file).write_bytes(
            dialect.line_terminator.join(lines).encode(dialect.encoding))

    deliver()
    codebook = yaml.safe_load((demo / "schemas/sources" / f"{BASE}.yaml").read_text(
        encoding="utf-8"))
    codebook.update(id=new_id, file=new_file,
                    title=f"Kommuneundersøkelsen {wave} (SYNTETISKE DEMODATA, test)")
    write_yaml(demo / "schemas/sources" / f"{new_id}.yaml", codebook)

    checked = _run(demo, "validate", "--format", "github")
    assert checked.exit_code == 1
    expected_col = 1 + sum(len(c) + 1 for c in cells[:column])
    assert (f"::error file={new_file},line=6,col={expected_col},"
            f"title={new_id}%3A unknown-code::row 5, column samarbeid_frivillige, "
            "value '3': code 3 is not in the codebook") in checked.output
    assert f"| `{new_id}` | `{new_file}` |" in checked.output

    cells[column] = good  # the steward's fix
    lines[5] = dialect.delimiter.join(cells)
    deliver()
    built = _run(demo, "build")
    assert built.exit_code == 0, built.output
    assert _run(demo, "build", "--check").exit_code == 0

    diff = _run(demo, "diff", str(released), "--format", "json",
                "--changelog", str(demo / "CHANGELOG.md"))
    assert diff.exit_code == 0, diff.output
    result = json.loads(diff.output)
    major, minor, _ = map(int, codebooks.package.version.split("."))
    assert result["bump"] == "minor"
    assert result["proposed_version"] == f"{major}.{minor + 1}.0"
    rows = len(lines) - 2  # the header, and the empty text after the last line break
    assert f"source `{new_id}` ({rows} rows)" in result["changelog"]
    changelog = (demo / "CHANGELOG.md").read_text(encoding="utf-8")
    intro, entries = changelog.split("\n## ", 1)  # the entry goes where the entries begin
    assert intro.startswith("# Changelog\n\nAll notable changes")
    assert entries.startswith(f"{major}.{minor + 1}.0 (unreleased): minor release")
    assert entries.index("\n## ") > entries.index(new_id)  # before the earlier entries


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
