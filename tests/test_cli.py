"""The CLI through Click's runner: exit codes and the exact messages a steward reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import NO_ROWS, write_no_csv
from coprod.cli import main


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(root), *args])


def _break_a_code(root: Path) -> None:
    rows = list(NO_ROWS)
    rows[3] = "3;1103;5;;;;1,0"
    write_no_csv(root / "raw" / "no_things.csv", rows)


def test_every_command_has_help_with_an_example() -> None:
    for name, command in main.commands.items():
        assert command.help and "Example" in command.help, name


def test_validate_ok(tiny: Path) -> None:
    result = _run(tiny, "validate")
    assert result.exit_code == 0, result.output
    assert "no-things-2018 (raw/no_things.csv, 4 rows): valid" in result.output
    assert (tiny / "build" / "reports" / "validation.json").is_file()


def test_validate_text_names_file_row_column_value(tiny: Path) -> None:
    _break_a_code(tiny)
    result = _run(tiny, "validate")
    assert result.exit_code == 1
    assert ("raw/no_things.csv:4: row 3, column samarbeid, value '5': code 5 is not in the "
            "codebook for samarbeid; correct the value, or add the code to the codebook's values "
            "and mappings [unknown-code]") in result.output
    assert "Traceback" not in result.output


def test_validate_json(tiny: Path) -> None:
    _break_a_code(tiny)
    result = _run(tiny, "validate", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    source = next(s for s in report["sources"] if s["id"] == "no-things-2018")
    assert source["file"] == "raw/no_things.csv" and source["rows"] == 4
    [error] = source["errors"]
    assert error == {"row": 3, "column": "samarbeid", "value": "5", "check": "unknown-code",
                     "message": error["message"]}
    assert error["message"].startswith("code 5 is not in the codebook for samarbeid")


def test_unknown_source_is_a_usage_error(tiny: Path) -> None:
    result = _run(tiny, "validate", "se-things-2018")
    assert result.exit_code == 2
    assert "Error: unknown source se-things-2018" in result.output


def test_outside_a_package_is_a_configuration_error(tmp_path: Path, tiny: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(tmp_path, "build")
    assert result.exit_code == 3
    assert f"{tmp_path}: not a coprod data package (no schemas/package.yaml)" in result.output
    # --root names the package itself: not a folder in it, nor one that does not exist
    inside = _run(tiny / "schemas", "validate")
    assert inside.exit_code == 3 and "not a coprod data package" in inside.output
    missing = _run(tiny / "no" / "such" / "folder", "validate")
    assert missing.exit_code == 3
    assert f"{tiny}/no/such/folder: no such folder" in missing.output
    # without --root, coprod finds the package holding the current folder, as git does
    monkeypatch.chdir(tiny / "schemas" / "sources")
    found = CliRunner().invoke(main, ["validate"])
    assert found.exit_code == 0, found.output
    monkeypatch.chdir(tmp_path)
    outside = CliRunner().invoke(main, ["validate"])
    assert outside.exit_code == 3 and "not inside a coprod data package" in outside.output


def test_build_then_nothing_to_do(tiny: Path) -> None:
    first = _run(tiny, "build")
    assert first.exit_code == 0, first.output
    assert "Ran: package (outputs missing), site (outputs missing)" in first.output
    second = _run(tiny, "build")
    assert second.exit_code == 0
    assert "Nothing to do: every output is up to date." in second.output
    assert "Ran: package (forced), site (forced)" in _run(tiny, "build", "--force").output


def test_a_change_reruns_only_what_depends_on_it(tiny: Path) -> None:
    assert _run(tiny, "build").exit_code == 0
    template = tiny / "site_templates" / "base.html"
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = _run(tiny, "build")
    assert "Ran: site (changed: site_templates/base.html); up to date: package" in result.output
    codebook = tiny / "schemas" / "sources" / "no-things-2018.yaml"
    codebook.write_text(codebook.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    result = _run(tiny, "build")
    assert ("Ran: package (changed: schemas/sources/no-things-2018.yaml), "
            "site (changed: schemas/sources/no-things-2018.yaml)") in result.output


def test_failed_build_leaves_previous_outputs(tiny: Path) -> None:
    assert _run(tiny, "build").exit_code == 0
    outputs = [tiny / "datapackage.json", tiny / "processed" / "things.parquet",
               tiny / "build" / "site" / "index.html"]
    before = {p: p.read_bytes() for p in outputs}
    _break_a_code(tiny)
    result = _run(tiny, "build")
    assert result.exit_code == 1
    assert ("Error: validation failed for no-things-2018:\n"
            "  no-things-2018: samarbeid: unknown-code '5' (1 row)") in result.output
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in outputs} == before


@pytest.mark.parametrize("command", ["harmonize", "site"])
def test_stage_commands(tiny: Path, command: str) -> None:
    if command == "site":
        assert _run(tiny, "harmonize").exit_code == 0
    result = _run(tiny, command)
    assert result.exit_code == 0, result.output
    assert (tiny / ("build/site/index.html" if command == "site" else "datapackage.json")).is_file()


def test_a_second_writer_is_refused_while_one_runs(tiny: Path) -> None:
    from coprod.pipeline import locked
    from coprod.project import Project

    with locked(Project(tiny)):
        result = _run(tiny, "build")
    assert result.exit_code == 3
    assert "Error: another coprod run is writing this package (process " in result.output
    assert not (tiny / "datapackage.json").exists()
    assert _run(tiny, "build").exit_code == 0  # the lock is gone with its holder


@pytest.mark.parametrize("setting", [{"PANDERA_VALIDATION_ENABLED": "False"},
                                     {"PANDERA_VALIDATION_DEPTH": "SCHEMA_ONLY"}])
def test_validation_cannot_be_switched_off_from_outside(tiny: Path, setting: dict) -> None:
    import os
    import subprocess
    import sys

    _break_a_code(tiny)
    result = subprocess.run([sys.executable, "-m", "coprod", "--root", str(tiny), "validate"],
                            capture_output=True, text=True, env={**os.environ, **setting})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "column samarbeid, value '5': code 5 is not in the codebook" in result.stdout


def test_bump_sets_the_version_where_it_is_written(tiny: Path) -> None:
    package = tiny / "schemas" / "package.yaml"
    package.write_text(package.read_text(encoding="utf-8").replace(
        "citation: Tiny (2026).", "citation: Tiny (2026), version 0.1.0.") + "# a comment\n",
        encoding="utf-8")
    (tiny / "CITATION.cff").write_text("cff-version: 1.2.0\ntitle: Tiny\nversion: 0.1.0\n",
                                       encoding="utf-8")
    result = _run(tiny, "bump", "minor")
    assert result.exit_code == 0, result.output
    assert result.output == ("Version 0.1.0 → 0.2.0 in schemas/package.yaml, CITATION.cff; now "
                             "run `coprod build`.\n")
    text = package.read_text(encoding="utf-8")
    assert "\nversion: 0.2.0\n" in text and "version 0.2.0." in text
    assert text.endswith("# a comment\n")  # only the version lines change
    assert "version: 0.2.0" in (tiny / "CITATION.cff").read_text(encoding="utf-8")
    assert _run(tiny, "bump", "major").output.startswith("Version 0.2.0 → 1.0.0")
    assert _run(tiny, "bump", "huge").exit_code == 2


def test_version_names_the_tool_and_the_data_package(tmp_path: Path) -> None:
    from importlib.metadata import version

    import yaml

    from conftest import PACKAGE_ROOT

    result = CliRunner().invoke(main, ["--root", str(PACKAGE_ROOT), "--version"])
    assert result.exit_code == 0, result.output
    package = yaml.safe_load((PACKAGE_ROOT / "schemas" / "package.yaml").read_text("utf-8"))
    assert result.output.splitlines() == [
        f"coprod {version('coprod')} (the tool)",
        f"data package {package['name']} {package['version']} ({PACKAGE_ROOT})"]
    elsewhere = CliRunner().invoke(main, ["--root", str(tmp_path), "--version"])
    assert elsewhere.exit_code == 0
    assert "no data package here" in elsewhere.output
