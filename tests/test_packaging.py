"""The tool as a wheel: `python -m build` makes one from a clean copy of the sources, and it
installs into a new virtual environment (with the pinned dependencies) where `coprod` runs. No
generated file is tracked, and the version says which tool and which data package it is."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

from conftest import REPO


def _tracked() -> list[str]:
    return subprocess.run(["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True,
                          check=True).stdout.splitlines()


def test_no_generated_file_is_tracked() -> None:
    generated = [p for p in _tracked() if ".egg-info" in p or "__pycache__" in p
                 or p.startswith(("build/", "dist/", ".venv/")) or p.endswith((".pyc", ".whl"))]
    assert generated == []


def test_the_wheel_installs_into_a_clean_venv_and_runs(tmp_path: Path) -> None:
    # a copy of what git tracks for the tool: building never writes into the package's build/
    source = tmp_path / "source"
    for name in _tracked():
        if name.startswith("src/") or name in ("pyproject.toml", "README.md", "LICENSE"):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"),
                    str(source)], check=True, capture_output=True, text=True)
    (wheel,) = (tmp_path / "dist").glob("coprod-*.whl")
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                                "--disable-pip-version-check", "-c",
                                str(REPO / "constraints.txt"), str(wheel)],
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    result = subprocess.run([str(env / "bin" / "coprod"), "--help"], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Validate, harmonize, package and document" in result.stdout
    version = subprocess.run([str(env / "bin" / "coprod"), "--root", str(REPO), "--version"],
                             capture_output=True, text=True, cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert "(the tool)" in version.stdout and "data package " in version.stdout
    # the tool, not the tests or the package's data, is what the wheel holds
    listing = subprocess.run([str(python), "-m", "pip", "show", "--files", "coprod"],
                             capture_output=True, text=True, check=True).stdout
    assert "coprod/cli.py" in listing and "tests/" not in listing and "raw/" not in listing
