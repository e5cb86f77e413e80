"""Documentation that must keep up with the code: every command, check and CI step."""

from __future__ import annotations

import re

import yaml

from conftest import PACKAGE_ROOT, REPO
from coprod.cli import main
from coprod.validate import CHECKS

README = (REPO / "README.md").read_text(encoding="utf-8")
GUIDE = (REPO / "docs" / "stewards.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme() -> None:
    for name in main.commands:
        assert f"coprod {name}" in README, name


def test_every_check_is_explained_in_the_stewards_guide() -> None:
    for slug in [*CHECKS, "unreadable-file"]:
        assert f"`{slug}`" in GUIDE, slug


def test_workflows_are_valid_and_run_only_readme_commands() -> None:
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    assert workflows
    for path in workflows:
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert workflow["jobs"], path
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                if "run" not in step:
                    continue
                command = re.sub(r"\s*>>\s*\"\$GITHUB_STEP_SUMMARY\"", "", step["run"].strip())
                command = command.replace(".venv/bin/", "")
                assert command in README.replace(".venv/bin/", ""), (path.name, command)


def test_citation_and_licences_agree_with_the_package() -> None:
    from coprod.codebook import load_codebooks

    package = load_codebooks(PACKAGE_ROOT / "schemas").package
    citation = yaml.safe_load((PACKAGE_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["version"] == package.version
    data = next(lic for lic in package.licenses if lic.scope == "data")
    code = next(lic for lic in package.licenses if lic.scope == "code")
    assert citation["license"] == data.name
    assert "MIT License" in (REPO / "LICENSE").read_text(encoding="utf-8")
    assert code.name == "MIT"
    assert data.name in (PACKAGE_ROOT / "LICENSE-DATA.md").read_text(encoding="utf-8")
