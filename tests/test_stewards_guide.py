"""docs/stewards.md, run: its commands, in the order the page gives them, on a copy of the package
in a git repository, with the steward's hand edits made where the page says to make them. Each
must succeed, and what is committed at the end must be exactly what a fresh build makes."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conftest import REPO, copy_package

GUIDE = REPO / "docs" / "stewards.md"
COPROD = Path(sys.executable).parent / "coprod"
GIT = ["git", "-c", "user.name=Steward", "-c", "user.email=steward@invalid",
       "-c", "commit.gpgsign=false"]


EXAMPLE = "2024"  # the wave of the guide's example delivery


def commands(wave: str = EXAMPLE) -> list[list[str]]:
    """The commands of the guide's shell blocks, in order, for a delivery of ``wave``."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [shlex.split(line.replace(EXAMPLE, wave)) for block in blocks
            for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_guide_sets_the_version_before_it_builds_and_commits_last() -> None:
    order = [" ".join(c[:2]) for c in commands()]
    assert order.index("coprod bump") < order.index("coprod build")
    assert order.index("coprod build") < max(i for i, c in enumerate(commands())
                                             if c[:3] == ["coprod", "build", "--check"])
    assert order[-1] == "git commit"


def _finish(path: Path, wave: str) -> None:
    """Step 3, as a steward does it: write what the draft left as placeholders, delete the
    review list once every item is checked."""
    draft = yaml.safe_load(path.read_text(encoding="utf-8"))
    draft["title"] = f"Kommuneundersøkelsen {wave} (SYNTETISKE DEMODATA, test)"
    draft["fieldwork"] = f"{wave}-03/{wave}-05"
    draft.pop("review")
    path.write_text(yaml.safe_dump(draft, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


def test_the_guide_runs_from_delivery_to_commit(tmp_path: Path) -> None:
    root = tmp_path / "package"
    copy_package(root)
    for name in ("CHANGELOG.md", "CITATION.cff", ".gitignore"):
        shutil.copy(REPO / name, root / name)
    git = lambda *args: subprocess.run([*GIT, *args], cwd=root, check=True,  # noqa: E731
                                       capture_output=True, text=True).stdout
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "the released package")
    git("update-ref", "refs/remotes/origin/main", "HEAD")
    # Step 1: the delivery, named as the guide's example, of a wave the package does not have
    # yet: here a copy of the latest wave's file
    latest = yaml.safe_load(sorted((root / "schemas/sources").glob("no-institutions-*.yaml"))[-1]
                            .read_text(encoding="utf-8"))
    wave = str(max(int(EXAMPLE), int(latest["id"].rsplit("-", 1)[1]) + 2))
    shutil.copy(root / latest["file"], root / f"raw/no/no_virksomheter_{wave}.csv")

    for command in commands(wave):
        program = [str(COPROD), *command[1:]] if command[0] == "coprod" else command
        if command[0] == "git":
            program = [*GIT, *command[1:]]
        result = subprocess.run(program, cwd=root, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
        if command[:2] == ["coprod", "new-source"]:
            _finish(root / f"schemas/sources/no-institutions-{wave}.yaml", wave)
        if command[:2] == ["coprod", "diff"]:
            assert "**Version bump needed: minor** (proposed version " in result.stdout
            assert "that is enough." in result.stdout

    assert git("status", "--porcelain") == ""  # everything the build made is committed
    package = yaml.safe_load((root / "schemas/package.yaml").read_text(encoding="utf-8"))
    released = yaml.safe_load(git("show", "origin/main:schemas/package.yaml"))
    assert package["version"] != released["version"]
    assert f"## {package['version']} (unreleased): minor release" in (
        root / "CHANGELOG.md").read_text(encoding="utf-8")
    check = subprocess.run([str(COPROD), "build", "--check"], cwd=root, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr
